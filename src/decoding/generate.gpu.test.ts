// Greedy generation on the WGSL engine + fused logit pipeline equals the argmax chain of the CPU
// reference on the same weights; seeded sampling is reproducible and respects top-k.
import { afterAll, describe, expect, test } from 'vitest';
import { LogitPipeline } from '../kernels/logits/fused';
import { expectedTensors } from '../model/architectures/tensors';
import { WgslModel } from '../model/engine/model';
import { TINY_VOCAB, folderAsFiles, tinyTokenizerJson } from '../model/loading/fixtures/tinyModels';
import { loadModelFolder } from '../model/loading/loadModelFolder';
import { localFilesSource } from '../model/loading/localFiles';
import { writeSafetensors } from '../model/loading/safetensorsWriter';
import { ReferenceModel } from '../model/reference/forward';
import { tinyGpt2ConfigJson, tinyModel } from '../model/reference/tiny';
import { TextTokenizer } from '../model/tokenizer';
import { testGpu } from '../testing/gpu';
import { generate, pipelineChooser, type SamplingSettings } from './generate';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
// vocab_size = the tokenizer's vocabulary, so every generated id decodes.
const configJson = tinyGpt2ConfigJson({ vocab_size: TINY_VOCAB.length });

async function setUp() {
  const gpu = await testGpu();
  const { config, weights } = tinyModel(configJson, 7);
  const tensors = Object.fromEntries(
    expectedTensors(config).map((spec) => [
      spec.name,
      { dtype: 'F32' as const, shape: spec.shape, data: weights.get(spec.name)! },
    ]),
  );
  const folder = {
    'config.json': json(configJson),
    'tokenizer.json': json(tinyTokenizerJson()),
    'model.safetensors': writeSafetensors(tensors),
  };
  const loaded = await loadModelFolder(localFilesSource(folderAsFiles(folder, 'tiny-gpt2')));
  const model = await WgslModel.create(
    gpu,
    loaded.config,
    { get: (name) => loaded.tensors.get(name)!.toFloat32() },
    { name: loaded.name, fileHashes: loaded.fileHashes },
  );
  const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: config.vocabSize }, 1);
  const tokenizer = TextTokenizer.fromJson(loaded.tokenizerJson, loaded.tokenizerConfig);
  return { model, pipeline, tokenizer, reference: new ReferenceModel(loaded.config, weights) };
}

const GREEDY: SamplingSettings = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0 };

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

describe('generate on the WGSL engine', () => {
  const ready = setUp();
  afterAll(async () => {
    const { model, pipeline } = await ready;
    pipeline.destroy();
    model.dispose();
  });

  test('greedy generation equals the argmax chain of the CPU reference', async () => {
    const { model, pipeline, tokenizer, reference } = await ready;
    const prompt = 'the cat sat a b c';
    const result = await generate({
      model,
      tokenizer,
      choose: pipelineChooser(pipeline, GREEDY),
      prompt,
      maxTokens: 12,
      eosTokenIds: [],
    });
    const chain = tokenizer.encode(prompt);
    const expected: number[] = [];
    const sequence = reference.createSequence();
    let input = chain;
    for (let step = 0; step < 12; step++) {
      const logits = reference.forward({ sequences: [{ sequence, tokens: input }] }).logits[0];
      const next = argmax(logits);
      expected.push(next);
      input = [next];
    }
    expect(result.tokens.map((t) => t.id)).toEqual(expected);
    expect(result.stopReason).toBe('max-tokens');
    for (const token of result.tokens) expect(token.probability).toBeGreaterThan(1 / TINY_VOCAB.length);
  });

  test('seeded sampling repeats exactly and top-k = 1 is greedy', async () => {
    const { model, pipeline, tokenizer } = await ready;
    const run = (settings: SamplingSettings) =>
      generate({
        model,
        tokenizer,
        choose: pipelineChooser(pipeline, settings),
        prompt: 'the cat',
        maxTokens: 8,
        eosTokenIds: [],
      }).then((r) => r.tokens.map((t) => t.id));
    const sampling = { ...GREEDY, greedy: false, temperature: 1.5, seed: 1234 };
    const first = await run(sampling);
    expect(await run(sampling)).toEqual(first);
    // One model runs one forward at a time: other seeds in turn, not concurrently.
    const others: string[] = [];
    for (const seed of [5, 6, 7]) others.push((await run({ ...sampling, seed })).join());
    expect(others.some((ids) => ids !== first.join())).toBe(true);
    expect(await run({ ...sampling, topK: 1 })).toEqual(await run(GREEDY));
  });
});
