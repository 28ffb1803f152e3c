// Limits (issue 3, item 5): a vocabulary table larger than one binding is split into row chunks
// (src/kernels/matmul/chunks.ts) and still gives the reference's logits, through the embedding
// lookup and the head, tied (GPT-2) and untied (Llama).
//
// The chunk limit is made artificially small (20,000 bytes, WgslModel.create's `chunkLimit`
// option) so a tiny model exercises the split that real 151,936-row heads need.
import { describe, expect, test } from 'vitest';
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { splitRowsForLimit } from '../../kernels/matmul/chunks';
import { compareArrays } from '../../testing/compare';
import type { ModelConfig } from '../config';
import { ReferenceModel } from '../reference/forward';
import { tinyGpt2ConfigJson, tinyLlamaConfigJson, tinyModel } from '../reference/tiny';
import { testGpu } from '../../testing/gpu';
import { WgslModel } from './model';
import type { TensorSource } from './weights';

// d = 32 f32: a vocabulary row is 128 bytes, so 20,000 bytes hold 156 rows and the 1,000-row table
// (128,000 bytes) becomes 7 uneven chunks (6 x 156 + 64). The layers' matrices (at most
// 32 x 160 x 4 = 20,480 bytes for Llama's stacked gate/up) are mostly single chunks.
const LIMIT = 20_000;
const VOCAB = 1000;
const TOLERANCE = { atol: 2e-5, rtol: 2e-5 };

const CASES = [
  { name: 'gpt2 (tied head)', configJson: tinyGpt2ConfigJson({ vocab_size: VOCAB }), table: 'wte' },
  {
    name: 'llama (untied head)',
    configJson: tinyLlamaConfigJson({ vocab_size: VOCAB }),
    table: 'embed_tokens',
  },
];

/** Labels of the buffers created while `work` runs. */
async function labelsCreatedBy<T>(
  gpu: Gpu,
  work: () => Promise<T>,
): Promise<{ result: T; labels: string[] }> {
  const device = gpu.device;
  const original = device.createBuffer;
  const labels: string[] = [];
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    labels.push(descriptor.label ?? '');
    return original.call(device, descriptor);
  };
  try {
    return { result: await work(), labels };
  } finally {
    Reflect.deleteProperty(device, 'createBuffer');
  }
}

function sourceOf(weights: Map<string, Float32Array>): TensorSource {
  return {
    get(name) {
      const data = weights.get(name);
      if (!data) throw new Error(`missing ${name}`);
      return data;
    },
  };
}

/** Prefill logits for every position, then one cached decode step, against the reference. */
async function expectReferenceLogits(
  gpu: Gpu,
  model: WgslModel,
  config: ModelConfig,
  weights: Map<string, Float32Array>,
): Promise<void> {
  const V = config.vocabSize;
  // Ids from every chunk of the table, including the last row.
  const prompt = [0, 155, 156, 157, 400, 777, 936, 999, 500, 3, 998, 312, 624, 625, 801, 17, 42];
  const reference = new ReferenceModel(config, weights);
  const refSeq = reference.createSequence();
  const seq = model.createSequence();
  const out = await model.forward({ sequences: [{ sequence: seq, tokens: prompt }], logits: 'all' });
  const got = await readFloat32(gpu, out.logits, prompt.length * V);
  const want = reference.forward({ sequences: [{ sequence: refSeq, tokens: prompt }], logits: 'all' });
  want.logits.forEach((row, r) =>
    expect(compareArrays(`prefill row ${r}`, got.subarray(r * V, (r + 1) * V), row, TOLERANCE)).toBeNull(),
  );
  const step = await model.forward({ sequences: [{ sequence: seq, tokens: [999] }] });
  const stepRef = reference.forward({ sequences: [{ sequence: refSeq, tokens: [999] }] });
  expect(
    compareArrays('decode step', await readFloat32(gpu, step.logits, V), stepRef.logits[0], TOLERANCE),
  ).toBeNull();
  model.releaseSequence(seq);
}

/** The chunk labels uploadWeight gives a table split under LIMIT: `name:table[start:end]`. */
function expectedChunkLabels(modelName: string, table: string, d: number): string[] {
  return splitRowsForLimit(VOCAB, d, 4, LIMIT).map(
    ({ start, end }) => `${modelName}:${table}[${start}:${end}]`,
  );
}

describe.each(CASES)('a vocabulary table over the chunk limit: $name', ({ configJson, table }) => {
  test('is split into chunks and gives the reference logits', async () => {
    const gpu = await testGpu();
    const { config, weights } = tinyModel(configJson, 11);
    const chunkLabels = expectedChunkLabels('split', table, config.hiddenSize);
    expect(chunkLabels).toHaveLength(7);
    const { result: model, labels } = await labelsCreatedBy(gpu, () =>
      WgslModel.create(gpu, config, sourceOf(weights), { name: 'split', chunkLimit: LIMIT }),
    );
    try {
      for (const label of chunkLabels) expect(labels).toContain(label);
      if (!config.tieWordEmbeddings)
        for (const label of expectedChunkLabels('split', 'lm_head', config.hiddenSize))
          expect(labels).toContain(label);
      expect(labels).not.toContain(`split:${table}`); // not also uploaded whole
      await expectReferenceLogits(gpu, model, config, weights);
    } finally {
      model.dispose();
    }
  });
});
