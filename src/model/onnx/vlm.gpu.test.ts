// Parity of the onnxruntime-web vision-language model with the WGSL engine on the Shapes VLM: the
// committed Idefics3 export (public/fixtures/onnx/shapes-vlm/, written by scripts/export-onnx.mjs)
// loaded through loadOrtAnyModel, and the safetensors folder it came from (public/models/shapes-vlm/)
// through the engine's loader, both from Vite's server. Same tokens, images and cache operations
// in both; logits within 1e-3 (max |difference|) over a prefill with an image, 10 cached decode
// steps, a fork, a truncate and a padded batch with images at different offsets. Then bad input:
// Idefics3 folders with a graph missing or of the wrong names are refused with what was found and
// what was expected, and every session opened is released.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { readFloat32 } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { DEFAULT_WORLD, imageToFloat32, rasterize, sampleSceneAt } from '../../world';
import { WgslModel } from '../engine/model';
import type { ForwardRequest, LanguageModel } from '../interface';
import { ModelLoadError } from '../loading/errors';
import { loadModelFolder } from '../loading/loadModelFolder';
import { urlSource } from '../loading/sources';
import { GraphBuilder } from './export/graph';
import type { OrtModelOptions } from './model';
import { createOrtSession } from './runtime';
import type { SessionFactory } from './session';
import { memorySource, servedFolder } from './testing';
import { OrtVisionLanguageModel, loadOrtAnyModel } from './vlm';

const TOLERANCE = 1e-3;
// On SwiftShader the first runs compile every shader of both backends: minutes on a busy machine.
const SLOW = 600_000;
const NAME = 'shapes-vlm';
const VLM_FILES = [
  'config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/vision_encoder.onnx',
  'onnx/embed_tokens.onnx',
  'onnx/decoder_model_merged.onnx',
];

/** Scene `index` of the evaluation seed, rendered as the models read it (48 x 48 x 3 in [0, 1]). */
const sceneImage = (index: number) => imageToFloat32(rasterize(sampleSceneAt(DEFAULT_WORLD, 1000001, index)));

async function loadPair(options: OrtModelOptions) {
  const gpu = await testGpu();
  const folder = await loadModelFolder(urlSource(`${location.origin}/models/${NAME}/`, { cache: null }));
  const wgsl = await WgslModel.create(
    gpu,
    folder.config,
    { get: (tensor) => folder.tensors.get(tensor)!.toFloat32() },
    { name: NAME, fileHashes: folder.fileHashes, weightDtype: 'f32' },
  );
  const { model } = await loadOrtAnyModel(
    gpu,
    urlSource(`${location.origin}/fixtures/onnx/${NAME}/`, { cache: null }),
    options,
  );
  return { gpu, wgsl, onnx: model as OrtVisionLanguageModel, config: folder.config };
}

type Pair = Awaited<ReturnType<typeof loadPair>>;

/** Runs `request` on both models (`ids` maps the engine's sequences to the ONNX model's); worst |difference|. */
async function compare(pair: Pair, request: ForwardRequest, ids: Map<number, number>, label: string) {
  const { gpu, wgsl, onnx, config } = pair;
  const V = config.vocabSize;
  const expected = await wgsl.forward(request);
  const want = await readFloat32(gpu, expected.logits, expected.rows.length * V);
  const actual = await onnx.forward({
    ...request,
    sequences: request.sequences.map((s) => ({ ...s, sequence: ids.get(s.sequence)! })),
  });
  expect(
    actual.rows.map((r) => r.position),
    label,
  ).toEqual(expected.rows.map((r) => r.position));
  const got = await readFloat32(gpu, actual.logits, actual.rows.length * V);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(Number.isFinite(worst), label).toBe(true);
  expect(worst, label).toBeLessThan(TOLERANCE);
  return worst;
}

/** The same sequence operation on both models; returns the engine's id and records the ONNX one. */
function both(
  pair: Pair,
  ids: Map<number, number>,
  make: (m: LanguageModel, of: (s: number) => number) => number,
) {
  const id = make(pair.wgsl, (s) => s);
  ids.set(
    id,
    make(pair.onnx, (s) => ids.get(s)!),
  );
  return id;
}

describe.each([{ provider: 'webgpu' } as OrtModelOptions, { provider: 'wasm' } as OrtModelOptions])(
  'onnxruntime-web VLM (Idefics3 layout) vs WGSL engine: shapes-vlm on %o',
  (options) => {
    let ready: Promise<Pair>;
    const worstSeen = new Map<string, number>();
    beforeAll(async () => {
      (await testGpu()).takeUncapturedErrors(); // the page is shared: errors of earlier files are not ours
      ready = loadPair(options);
      await ready;
    }, SLOW);
    afterAll(async () => {
      const { wgsl, onnx } = await ready;
      wgsl.dispose();
      onnx.dispose();
      console.warn(
        `parity shapes-vlm (${options.provider}): worst |logit difference| ` +
          [...worstSeen].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', '),
      );
    });

    const placeholders = () => Array<number>(9).fill(4);
    const PROMPT_TEXT = [14, 9, 33, 5, 41, 17];

    test('it is a vision-language model with the engine image interface', async () => {
      const { onnx, wgsl, gpu } = await ready;
      expect(onnx).toBeInstanceOf(OrtVisionLanguageModel);
      expect(onnx.provider).toBe(options.provider);
      expect(onnx.notice).toBeNull();
      expect(onnx.capabilities).toMatchObject({
        images: true,
        fork: true,
        truncate: true,
        hiddenStates: false,
      });
      expect(onnx.layout).toMatchObject({ tokenInput: 'inputs_embeds', embedsType: 'float32' });
      expect(onnx.info.config.vision).toEqual(wgsl.info.config.vision);
      expect(onnx.imageLayout).toEqual({ rows: 0, cols: 0, frames: 1, imageSeqLen: 9 });
      expect(Object.keys(onnx.info.fileHashes)).toEqual(expect.arrayContaining(VLM_FILES));
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    });

    test(
      'prefill with an image (every position) and 10 cached decode steps',
      async () => {
        const pair = await ready;
        const ids = new Map<number, number>();
        const seq = both(pair, ids, (m) => m.createSequence());
        const prompt = [2, ...placeholders(), ...PROMPT_TEXT];
        let worst = await compare(
          pair,
          { sequences: [{ sequence: seq, tokens: prompt, image: sceneImage(0) }], logits: 'all' },
          ids,
          'prefill',
        );
        for (let step = 0; step < 10; step++) {
          const token = (step * 17 + 5) % pair.config.vocabSize;
          worst = Math.max(
            worst,
            await compare(pair, { sequences: [{ sequence: seq, tokens: [token] }] }, ids, `decode ${step}`),
          );
        }
        expect(pair.onnx.sequenceLength(ids.get(seq)!)).toBe(prompt.length + 10);
        worstSeen.set('prefill+decode', worst);
        // The image reaches the logits: the same tokens without it give other logits (far beyond
        // the tolerance), so the parity above is not the text's alone.
        const plain = pair.onnx.createSequence();
        const without = await pair.onnx.forward({ sequences: [{ sequence: plain, tokens: prompt }] });
        const withoutLast = await readFloat32(pair.gpu, without.logits, pair.config.vocabSize);
        const other = pair.onnx.createSequence();
        const withImage = await pair.onnx.forward({
          sequences: [{ sequence: other, tokens: prompt, image: sceneImage(0) }],
        });
        const withLast = await readFloat32(pair.gpu, withImage.logits, pair.config.vocabSize);
        const change = Math.max(...withLast.map((v, i) => Math.abs(v - withoutLast[i])));
        expect(change).toBeGreaterThan(100 * TOLERANCE);
        pair.onnx.releaseSequence(plain);
        pair.onnx.releaseSequence(other);
        pair.wgsl.releaseSequence(seq);
        pair.onnx.releaseSequence(ids.get(seq)!);
        expect(pair.gpu.takeUncapturedErrors()).toEqual([]);
      },
      SLOW,
    );

    test(
      'fork, truncate, and a padded batch with images at different offsets',
      async () => {
        const pair = await ready;
        const ids = new Map<number, number>();
        const image = sceneImage(1);
        const a = both(pair, ids, (m) => m.createSequence());
        let worst = await compare(
          pair,
          { sequences: [{ sequence: a, tokens: [2, ...placeholders(), 14, 9], image }] },
          ids,
          'prompt',
        );
        const b = both(pair, ids, (m, of) => m.fork(of(a)));
        const c = both(pair, ids, (m) => m.createSequence());
        const d = both(pair, ids, (m) => m.createSequence());
        // Cached 11/11/0/0; new 2, 1, 14 (another image after 3 text tokens), 11 (the same image
        // object as a's: encoded once) tokens; every row.
        const batch: ForwardRequest = {
          sequences: [
            { sequence: a, tokens: [33, 5] },
            { sequence: b, tokens: [41] },
            { sequence: c, tokens: [2, 20, 21, ...placeholders(), 6, 7], image: sceneImage(2) },
            { sequence: d, tokens: [2, ...placeholders(), 8], image },
          ],
          logits: 'all',
        };
        worst = Math.max(worst, await compare(pair, batch, ids, 'batch after fork'));
        pair.wgsl.truncate(a, 12); // speculative rollback, into the text after the image
        pair.onnx.truncate(ids.get(a)!, 12);
        worst = Math.max(
          worst,
          await compare(
            pair,
            {
              sequences: [
                { sequence: a, tokens: [9] },
                { sequence: b, tokens: [10, 11] },
              ],
            },
            ids,
            'after truncate',
          ),
        );
        const e = both(pair, ids, (m, of) => m.fork(of(a))); // fork of a truncated cache
        for (let step = 0; step < 3; step++) {
          const sequences = [a, b, c, d, e].map((sequence, i) => ({
            sequence,
            tokens: [(step * 7 + i * 3 + 1) % pair.config.vocabSize],
          }));
          worst = Math.max(worst, await compare(pair, { sequences }, ids, `lanes step ${step}`));
        }
        // Placeholders without an image embed as ordinary tokens, in both backends.
        const f = both(pair, ids, (m) => m.createSequence());
        worst = Math.max(
          worst,
          await compare(
            pair,
            { sequences: [{ sequence: f, tokens: [2, ...placeholders(), 3] }] },
            ids,
            'no image',
          ),
        );
        for (const s of [a, b, c, d, e, f])
          expect(pair.onnx.sequenceLength(ids.get(s)!), `sequence ${s}`).toBe(pair.wgsl.sequenceLength(s));
        worstSeen.set('fork/truncate/batch', worst);
        for (const s of [a, b, c, d, e, f]) {
          pair.wgsl.releaseSequence(s);
          pair.onnx.releaseSequence(ids.get(s)!);
        }
        expect(pair.gpu.takeUncapturedErrors()).toEqual([]);
      },
      SLOW,
    );

    test('an image of the wrong size, or with the wrong number of placeholders, is refused', async () => {
      const { onnx } = await ready;
      const seq = onnx.createSequence();
      const tooSmall = onnx.forward({
        sequences: [{ sequence: seq, tokens: [2, ...placeholders()], image: new Float32Array(10) }],
      });
      await expect(tooSmall).rejects.toThrow(KernelInputError);
      await expect(tooSmall).rejects.toThrow('render or resize the image to 48 x 48 first');
      await expect(
        onnx.forward({ sequences: [{ sequence: seq, tokens: [2, 4, 4, 5], image: sceneImage(0) }] }),
      ).rejects.toThrow(
        'an image needs exactly 9 image tokens (id 4) among the new tokens, one per patch, but 2 were given',
      );
      expect(onnx.sequenceLength(seq)).toBe(0);
      onnx.releaseSequence(seq);
    });
  },
);

/** Creates real sessions and counts how many were created and released. */
function countingFactory() {
  const state = { created: 0, released: 0 };
  const factory: SessionFactory = async (bytes, sessionOptions) => {
    const session = await createOrtSession(bytes, sessionOptions);
    state.created++;
    const release = session.release.bind(session);
    session.release = () => {
      state.released++;
      return release();
    };
    return session;
  };
  return { factory, state };
}

async function refusal(promise: Promise<unknown>): Promise<ModelLoadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

/** A graph with a vision encoder's shape of work but other names (images -> features). */
function misnamedEncoder(): Uint8Array<ArrayBuffer> {
  const g = new GraphBuilder();
  const images = g.input('images', 'float32', ['batch_size', 'num_images', 3, 48, 48]);
  g.output('features', images, 'float32', ['batch_size', 'num_images', 3, 48, 48]);
  return new Uint8Array(g.encode('misnamed vision encoder', 'bad-input test'));
}

describe('onnxruntime-web VLM: bad Idefics3 folders', () => {
  let vlm: Record<string, Uint8Array<ArrayBuffer>>;
  beforeAll(async () => {
    (await testGpu()).takeUncapturedErrors();
    vlm = await servedFolder(`fixtures/onnx/${NAME}`, VLM_FILES);
  }, SLOW);

  test('a folder without vision_encoder is refused, naming the graphs an Idefics3 folder holds', async () => {
    const gpu = await testGpu();
    const without = { ...vlm };
    delete without['onnx/vision_encoder.onnx'];
    const { factory, state } = countingFactory();
    const error = await refusal(loadOrtAnyModel(gpu, memorySource(without), { sessionFactory: factory }));
    expect(error.kind).toBe('missing-file');
    expect(error.file).toBe('onnx/vision_encoder.onnx');
    expect(error.message).toContain(
      'has no onnx/vision_encoder.onnx (dtype fp32): an Idefics3/SmolVLM folder holds onnx/vision_encoder.onnx, ' +
        'onnx/embed_tokens.onnx, onnx/decoder_model_merged.onnx',
    );
    expect(state.created).toBe(0); // refused before any session
  });

  test(
    'a vision_encoder with other input names is refused with the names found and expected; sessions released',
    async () => {
      const gpu = await testGpu();
      const { factory, state } = countingFactory();
      const folder = { ...vlm, 'onnx/vision_encoder.onnx': misnamedEncoder() };
      const error = await refusal(
        loadOrtAnyModel(gpu, memorySource(folder), { provider: 'webgpu', sessionFactory: factory }),
      );
      expect(error.kind).toBe('format');
      expect(error.file).toBe('onnx/vision_encoder.onnx');
      expect(error.message).toContain(
        'onnx/vision_encoder.onnx is not the vision_encoder graph of an Idefics3/SmolVLM folder',
      );
      expect(error.message).toContain(
        'missing inputs pixel_values; inputs this backend cannot feed: images; missing outputs image_features',
      );
      expect(error.message).toContain('It has inputs [images] and outputs [features]');
      expect(error.message).toContain(
        'expected inputs [pixel_values] (optional: pixel_attention_mask) and outputs [image_features]',
      );
      expect(state).toEqual({ created: 2, released: 2 }); // the decoder's and the encoder's
    },
    SLOW,
  );

  test(
    "a text decoder in the decoder's place is refused as one; its session released",
    async () => {
      const gpu = await testGpu();
      const { factory, state } = countingFactory();
      const [textDecoder] = Object.values(
        await servedFolder('fixtures/onnx/shapes-draft', ['onnx/decoder_model_merged.onnx']),
      );
      const folder = { ...vlm, 'onnx/decoder_model_merged.onnx': textDecoder };
      const error = await refusal(
        loadOrtAnyModel(gpu, memorySource(folder), { provider: 'webgpu', sessionFactory: factory }),
      );
      expect(error.file).toBe('onnx/decoder_model_merged.onnx');
      expect(error.message).toContain('is not a supported vision-language decoder (inputs_embeds)');
      expect(error.message).toContain('it takes input_ids instead of inputs_embeds: it is a text decoder');
      expect(error.message).toContain('it has inputs [input_ids, attention_mask, position_ids');
      expect(error.message).toContain(
        'expected inputs [inputs_embeds, attention_mask, past_key_values.0.key',
      );
      expect(state).toEqual({ created: 1, released: 1 });
    },
    SLOW,
  );

  test(
    'an embed_tokens graph swapped for the vision encoder is named as such; every session released',
    async () => {
      const gpu = await testGpu();
      const { factory, state } = countingFactory();
      const folder = { ...vlm, 'onnx/embed_tokens.onnx': vlm['onnx/vision_encoder.onnx'] };
      const error = await refusal(
        loadOrtAnyModel(gpu, memorySource(folder), { provider: 'webgpu', sessionFactory: factory }),
      );
      expect(error.file).toBe('onnx/embed_tokens.onnx');
      expect(error.message).toContain('it looks like the vision_encoder graph, not the embed_tokens');
      expect(error.message).toContain('expected inputs [input_ids] and outputs [inputs_embeds]');
      expect(state).toEqual({ created: 3, released: 3 });
      expect(gpu.takeUncapturedErrors()).toEqual([]);
    },
    SLOW,
  );
});
