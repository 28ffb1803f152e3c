// Parity of the onnxruntime-web backend with the WGSL engine on the project's own models: the
// committed ONNX exports (public/fixtures/onnx/, Hub layout, written by scripts/export-onnx.mjs)
// and the safetensors folders they came from (public/models/), both loaded through the real
// loaders from Vite's server. Same tokens, same cache operations in both backends; logits within
// 1e-3 (max |difference|) over a prefill, 10 cached decode steps, fork, truncate and padded batches.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFloat32 } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { WgslModel } from '../engine/model';
import type { ForwardRequest, LanguageModel } from '../interface';
import { loadModelFolder } from '../loading/loadModelFolder';
import { urlSource } from '../loading/sources';
import { loadOrtModel, type OrtModelOptions } from './model';
import { exportOnnxFolder } from './export/folder';
import { createOrtSession } from './runtime';
import type { SessionFactory } from './session';
import { memorySource, servedFolder } from './testing';

const TOLERANCE = 1e-3;
// On SwiftShader the first runs compile every shader of both backends: minutes on a busy machine.
const SLOW = 600_000;

/** Worst |difference| of each model, by test, printed at the end (the report quotes them). */
const worstSeen = new Map<string, number>();

async function loadPair(
  name: string,
  options: OrtModelOptions = { provider: 'webgpu' },
  onnxSource = urlSource(`${location.origin}/fixtures/onnx/${name}/`, { cache: null }),
) {
  const gpu = await testGpu();
  const folder = await loadModelFolder(urlSource(`${location.origin}/models/${name}/`, { cache: null }));
  const wgsl = await WgslModel.create(
    gpu,
    folder.config,
    { get: (tensor) => folder.tensors.get(tensor)!.toFloat32() },
    { name, fileHashes: folder.fileHashes, weightDtype: 'f32' },
  );
  const { model: onnx } = await loadOrtModel(gpu, onnxSource, options);
  return { gpu, wgsl, onnx, vocab: folder.config.vocabSize };
}

type Pair = Awaited<ReturnType<typeof loadPair>>;

/**
 * Runs the same forward on both models (`request` names the WGSL engine's sequences; `onnxIds`
 * maps them to the ONNX model's) and returns the worst |difference| of all returned rows.
 */
async function compare(pair: Pair, request: ForwardRequest, onnxIds: Map<number, number>, label: string) {
  const { gpu, wgsl, onnx, vocab } = pair;
  const expected = await wgsl.forward(request);
  const want = await readFloat32(gpu, expected.logits, expected.rows.length * vocab);
  const actual = await onnx.forward({
    ...request,
    sequences: request.sequences.map((s) => ({ ...s, sequence: onnxIds.get(s.sequence)! })),
  });
  expect(
    actual.rows.map((r) => r.position),
    label,
  ).toEqual(expected.rows.map((r) => r.position));
  const got = await readFloat32(gpu, actual.logits, actual.rows.length * vocab);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst, label).toBeLessThan(TOLERANCE);
  expect(Number.isFinite(worst), label).toBe(true);
  return worst;
}

/**
 * Does the same sequence operation on both models: `make(model, id)` gets each model's id of the
 * WGSL sequence `of` (for fork). Returns the WGSL id and records the ONNX one in `ids`.
 */
function both(
  pair: Pair,
  ids: Map<number, number>,
  make: (m: LanguageModel, of: (s: number) => number) => number,
): number {
  const id = make(pair.wgsl, (s) => s);
  ids.set(
    id,
    make(pair.onnx, (s) => ids.get(s)!),
  );
  return id;
}

const PROMPT = [2, 14, 9, 33, 5, 41, 17, 8, 23, 30, 11, 6];

describe.each([
  ['shapes-expert', { provider: 'webgpu' } as OrtModelOptions],
  ['shapes-draft', { provider: 'webgpu' } as OrtModelOptions],
  ['shapes-draft', { provider: 'wasm' } as OrtModelOptions],
])('onnxruntime-web backend vs WGSL engine: %s on %o', (name, options) => {
  let ready: Promise<Pair>;
  const key = `${name} (${options.provider})`;
  // Loaded when the block starts, not at collection: one pair's shaders compile at a time.
  beforeAll(async () => {
    (await testGpu()).takeUncapturedErrors(); // the page is shared: errors of earlier files are not ours
    ready = loadPair(name, options);
    await ready;
  }, SLOW);
  afterAll(async () => {
    const { wgsl, onnx } = await ready;
    wgsl.dispose();
    onnx.dispose();
    console.warn(
      `parity ${key}: worst |logit difference| ${[...worstSeen]
        .filter(([k]) => k.startsWith(key))
        .map(([k, v]) => `${k.slice(key.length + 1)} ${v.toExponential(2)}`)
        .join(', ')}`,
    );
  });

  test('the model says where it runs and what it cannot do', async () => {
    const { onnx, gpu } = await ready;
    expect(onnx.provider).toBe(options.provider);
    expect(onnx.notice).toBeNull();
    expect(onnx.batching).toBe('padded');
    expect(onnx.capabilities).toMatchObject({
      fork: true,
      truncate: true,
      hiddenStates: false,
      logitLens: false,
    });
    expect(onnx.info.fileHashes['onnx/decoder_model_merged.onnx']).toMatch(/^[0-9a-f]{64}$/);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
  });

  test(
    'prefill (every position) and 10 cached decode steps',
    async () => {
      const pair = await ready;
      const ids = new Map<number, number>();
      const seq = both(pair, ids, (m) => m.createSequence());
      let worst = await compare(
        pair,
        { sequences: [{ sequence: seq, tokens: PROMPT }], logits: 'all' },
        ids,
        'prefill',
      );
      for (let step = 0; step < 10; step++) {
        const token = (step * 17 + 4) % pair.vocab;
        worst = Math.max(
          worst,
          await compare(pair, { sequences: [{ sequence: seq, tokens: [token] }] }, ids, `decode ${step}`),
        );
      }
      expect(pair.onnx.sequenceLength(ids.get(seq)!)).toBe(PROMPT.length + 10);
      worstSeen.set(`${key} prefill+decode`, worst);
      pair.wgsl.releaseSequence(seq);
      pair.onnx.releaseSequence(ids.get(seq)!);
      expect(pair.gpu.takeUncapturedErrors()).toEqual([]);
    },
    SLOW,
  );

  test(
    'fork, truncate and padded batches of unequal lengths',
    async () => {
      const pair = await ready;
      const ids = new Map<number, number>();
      const a = both(pair, ids, (m) => m.createSequence());
      let worst = await compare(
        pair,
        { sequences: [{ sequence: a, tokens: PROMPT.slice(0, 8) }] },
        ids,
        'prompt',
      );
      const b = both(pair, ids, (m, of) => m.fork(of(a)));
      const c = both(pair, ids, (m) => m.createSequence());
      // Cached 8/8/0, new 2/1/5 tokens, every row.
      const batch = {
        sequences: [
          { sequence: a, tokens: [4, 5] },
          { sequence: b, tokens: [6] },
          { sequence: c, tokens: PROMPT.slice(3, 8) },
        ],
        logits: 'all' as const,
      };
      worst = Math.max(worst, await compare(pair, batch, ids, 'batch after fork'));
      pair.wgsl.truncate(a, 7); // speculative rollback
      pair.onnx.truncate(ids.get(a)!, 7);
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
      const d = both(pair, ids, (m, of) => m.fork(of(a))); // fork of a truncated cache
      for (let step = 0; step < 3; step++) {
        const sequences = [a, b, c, d].map((sequence, i) => ({
          sequence,
          tokens: [(step * 7 + i * 3 + 1) % pair.vocab],
        }));
        worst = Math.max(worst, await compare(pair, { sequences }, ids, `lanes step ${step}`));
      }
      for (const s of [a, b, c, d])
        expect(pair.onnx.sequenceLength(ids.get(s)!), `sequence ${s}`).toBe(pair.wgsl.sequenceLength(s));
      worstSeen.set(`${key} fork/truncate/batch`, worst);
      for (const s of [a, b, c, d]) {
        pair.wgsl.releaseSequence(s);
        pair.onnx.releaseSequence(ids.get(s)!);
      }
      expect(pair.gpu.takeUncapturedErrors()).toEqual([]);
    },
    SLOW,
  );
});

describe('onnxruntime-web backend: provider fallback', () => {
  test(
    'a WebGPU failure in auto mode falls back to wasm with a notice, and the logits still match',
    async () => {
      const gpu = await testGpu();
      const failingWebGpu: SessionFactory = (bytes, sessionOptions) => {
        const providers = JSON.stringify(
          sessionOptions.executionProviders?.map((p) => (typeof p === 'string' ? p : p.name)),
        );
        if (providers.includes('webgpu'))
          return Promise.reject(new Error('no WebGPU adapter for onnxruntime (simulated)'));
        return createOrtSession(bytes, sessionOptions);
      };
      const { model } = await loadOrtModel(
        gpu,
        urlSource(`${location.origin}/fixtures/onnx/shapes-draft/`, { cache: null }),
        {
          sessionFactory: failingWebGpu,
        },
      );
      try {
        expect(model.provider).toBe('wasm');
        expect(model.notice).toMatch(
          /could not run onnx\/decoder_model_merged\.onnx on WebGPU \(no WebGPU adapter for onnxruntime \(simulated\)\).*CPU \(wasm provider\)/,
        );
        const seq = model.createSequence();
        const out = await model.forward({ sequences: [{ sequence: seq, tokens: PROMPT.slice(0, 4) }] });
        const logits = await readFloat32(gpu, out.logits, model.info.config.vocabSize);
        expect(logits.every(Number.isFinite)).toBe(true);
      } finally {
        model.dispose();
      }
    },
    SLOW,
  );
});

describe('onnxruntime-web backend: a graph without position_ids', () => {
  test(
    'runs sequences of unequal lengths in separate groups, with the same logits',
    async () => {
      const name = 'shapes-draft';
      const files = [
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'model.safetensors',
      ];
      const exported = exportOnnxFolder(await servedFolder(`models/${name}`, files), name, {
        positionIds: false,
      });
      const source = memorySource(exported as Record<string, Uint8Array<ArrayBuffer>>);
      const pair = await loadPair(name, { provider: 'webgpu' }, source);
      try {
        expect(pair.onnx.layout.positionIds).toBe(false);
        expect(pair.onnx.batching).toBe('equal-lengths');
        const ids = new Map<number, number>();
        const [a, b, c] = [0, 1, 2].map(() => both(pair, ids, (m) => m.createSequence()));
        let worst = await compare(
          pair,
          {
            sequences: [
              { sequence: a, tokens: PROMPT.slice(0, 4) },
              { sequence: b, tokens: PROMPT.slice(4, 8) },
              { sequence: c, tokens: PROMPT.slice(0, 2) },
            ],
            logits: 'all',
          },
          ids,
          'prompts (groups {a, b}, {c})',
        );
        for (let step = 0; step < 3; step++) {
          const sequences = [c, a, b].map((sequence, i) => ({
            sequence,
            tokens: [(step * 5 + i * 11 + 3) % pair.vocab],
          }));
          worst = Math.max(worst, await compare(pair, { sequences }, ids, `step ${step}`));
        }
        worstSeen.set(`${name} (webgpu, no position_ids) groups`, worst);
        console.warn(
          `parity ${name} without position_ids: worst |logit difference| ${worst.toExponential(2)}`,
        );
      } finally {
        pair.wgsl.dispose();
        pair.onnx.dispose();
      }
    },
    SLOW,
  );
});
