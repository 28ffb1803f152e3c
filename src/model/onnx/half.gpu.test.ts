// float16 logits and KV caches through the real loading code: the Shapes expert exported with
// float16 at the graph boundary (dtype fp16 = onnx/decoder_model_merged_fp16.onnx: float16 logits,
// past_key_values and present around f32 weights; or float16 logits only), served in memory with
// the Hub's layout, against the WGSL engine in f32 over a prefill (every position), 10 cached
// decode steps and a padded batch of three lanes with a fork.
// - WebGPU: onnxruntime's WebGPU kernels run float16 only with `shader-f16`, which SwiftShader
//   lacks; the model refuses such a graph at load (auto: moves it to wasm with a notice), and on
//   GPUs that have the feature the real fp16 export runs. The conversion path itself (the
//   f16-to-f32 kernel gathering rows of a float16 GPU output) runs on every GPU through a real
//   session whose logits are handed over as a float16 GPU tensor.
// - wasm: the real fp16 exports, logits converted on the CPU.
//
// Tolerances, from half precision (11 significant bits, unit roundoff u = 2^-11 ~ 4.9e-4):
// - float16 logits only: the Cast after the head rounds each logit once, so
//   |onnx - engine| <= 1e-3 (the f32 parity bound of model.gpu.test.ts) + u * |logit|, per entry.
// - float16 logits and cache: every cached key and value is also rounded (relative u), and the
//   perturbation passes through softmax and 3 layers of residual updates; 1e-2 of the row's
//   largest |logit| is ~20 u, room for that growth and no more (a wrong conversion, e.g. a lost
//   sign or exponent, is off by the logit itself). The worst errors seen are printed.
import type { InferenceSession } from 'onnxruntime-web/webgpu';
import { afterAll, describe, expect, test } from 'vitest';
import { readFloat32 } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { WgslModel } from '../engine/model';
import type { LanguageModel, SequenceId } from '../interface';
import { ModelLoadError } from '../loading/errors';
import { f32ArrayToF16 } from '../loading/float16';
import { loadModelFolder } from '../loading/loadModelFolder';
import { urlSource } from '../loading/sources';
import { exportOnnxFolder, type FolderExportOptions } from './export/folder';
import type { OnnxDtype } from './layout';
import { loadOrtModel, type OrtModelOptions } from './model';
import { createOrtSession, ort } from './runtime';
import type { SessionFactory } from './session';
import { memorySource, servedFolder, type MemoryFolder } from './testing';

const NAME = 'shapes-expert';
const SLOW = 600_000;
const HALF_UNIT_ROUNDOFF = 2 ** -11;
const F32_PARITY = 1e-3;
const HALF_CACHE_RELATIVE = 1e-2;
const PROMPT = [2, 14, 9, 33, 5, 41, 17, 8, 23, 30, 11, 6];

const worstSeen: string[] = [];
afterAll(() => console.warn(`float16 parity, ${NAME}: ${worstSeen.join('; ')}`));

async function exported(options: FolderExportOptions): Promise<MemoryFolder> {
  const files = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
  const source = await servedFolder(`models/${NAME}`, [...files, 'model.safetensors']);
  return exportOnnxFolder(source, NAME, options) as MemoryFolder;
}

async function loadPair(folder: MemoryFolder, dtype: OnnxDtype, options: OrtModelOptions) {
  const gpu = await testGpu();
  const loaded = await loadModelFolder(urlSource(`${location.origin}/models/${NAME}/`, { cache: null }));
  const wgsl = await WgslModel.create(
    gpu,
    loaded.config,
    { get: (tensor) => loaded.tensors.get(tensor)!.toFloat32() },
    { name: NAME, weightDtype: 'f32' },
  );
  const { model: onnx } = await loadOrtModel(gpu, memorySource(folder), { dtype, ...options });
  return { gpu, wgsl, onnx, vocab: loaded.config.vocabSize };
}

type Pair = Awaited<ReturnType<typeof loadPair>>;

/** Worst error of each row in units of `bound(expected)`, over every returned row. */
async function forwardBoth(
  pair: Pair,
  sequences: { ids: [SequenceId, SequenceId]; tokens: number[] }[],
  logits: 'all' | 'last',
  excess: (got: Float32Array, want: Float32Array) => number,
): Promise<number> {
  const { gpu, wgsl, onnx, vocab } = pair;
  const run = async (model: LanguageModel, side: 0 | 1) => {
    const out = await model.forward({
      sequences: sequences.map((s) => ({ sequence: s.ids[side], tokens: s.tokens })),
      logits,
    });
    return { rows: out.rows.length, data: await readFloat32(gpu, out.logits, out.rows.length * vocab) };
  };
  const want = await run(wgsl, 0);
  const got = await run(onnx, 1);
  expect(got.rows).toBe(want.rows);
  let worst = 0;
  for (let r = 0; r < want.rows; r++) {
    const row = (data: Float32Array) => data.subarray(r * vocab, (r + 1) * vocab);
    worst = Math.max(worst, excess(row(got.data), row(want.data)));
  }
  return worst;
}

/** Largest |got - want| / (F32_PARITY + u |want|): at most 1 when only the logits were rounded. */
function perEntryExcess(got: Float32Array, want: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const bound = F32_PARITY + HALF_UNIT_ROUNDOFF * Math.abs(want[i]);
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / bound);
    if (!Number.isFinite(got[i])) return Infinity;
  }
  return worst;
}

/** Largest |got - want| relative to the row's largest |want|. */
function rowRelativeError(got: Float32Array, want: Float32Array): number {
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i])) return Infinity;
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  return worst / scale;
}

/** Prefill with every row, 10 cached decode steps, then a padded batch of three lanes (a fork). */
async function prefillDecodeBatch(
  pair: Pair,
  excess: (got: Float32Array, want: Float32Array) => number,
): Promise<number> {
  const { wgsl, onnx, vocab } = pair;
  const a: [SequenceId, SequenceId] = [wgsl.createSequence(), onnx.createSequence()];
  let worst = await forwardBoth(pair, [{ ids: a, tokens: PROMPT }], 'all', excess);
  for (let step = 0; step < 10; step++) {
    const token = (step * 17 + 4) % vocab;
    worst = Math.max(worst, await forwardBoth(pair, [{ ids: a, tokens: [token] }], 'last', excess));
  }
  const b: [SequenceId, SequenceId] = [wgsl.fork(a[0]), onnx.fork(a[1])];
  const c: [SequenceId, SequenceId] = [wgsl.createSequence(), onnx.createSequence()];
  const batch = [
    { ids: a, tokens: [4, 5] },
    { ids: b, tokens: [6] },
    { ids: c, tokens: PROMPT.slice(3, 8) },
  ];
  worst = Math.max(worst, await forwardBoth(pair, batch, 'all', excess));
  expect(onnx.sequenceLength(a[1])).toBe(PROMPT.length + 12);
  for (const [w, o] of [a, b, c]) {
    wgsl.releaseSequence(w);
    onnx.releaseSequence(o);
  }
  return worst;
}

/**
 * A real session on the float32 export whose logits output is handed over as a float16 GPU
 * tensor (the f32 logits rounded to f16 on the CPU, test-side), as the WebGPU provider hands over
 * an fp16 export's logits on a GPU with shader-f16. Its metadata still says float32 (a graph that
 * declares float16 is refused on GPUs without shader-f16, this one included): the model goes by
 * each run's tensor, so the conversion path runs here all the same.
 */
const halfLogitsOnGpu: SessionFactory = async (bytes, options) => {
  const session = await createOrtSession(bytes, options);
  const run = session.run.bind(session);
  const device = (await testGpu()).device;
  session.run = (async (feeds: InferenceSession.FeedsType) => {
    const outputs = await run(feeds);
    const logits = outputs.logits;
    const halves = f32ArrayToF16((await logits.getData(true)) as Float32Array);
    const buffer = device.createBuffer({
      label: 'half-test:logits-f16',
      size: Math.ceil(halves.byteLength / 16) * 16, // onnxruntime rounds its buffers to 16 bytes too
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(buffer, 0, halves);
    const half = ort.Tensor.fromGpuBuffer(buffer, {
      dataType: 'float16',
      dims: logits.dims,
      dispose: () => buffer.destroy(),
    });
    return { ...outputs, logits: half };
  }) as InferenceSession['run'];
  return session;
};

describe('float16 logits on the WebGPU path: converted by the f16-to-f32 kernel', () => {
  test(
    'each logit within 1e-3 + 2^-11 |logit| of the engine, batches and forks included',
    async () => {
      const folder = await exported({});
      const pair = await loadPair(folder, 'fp32', { provider: 'webgpu', sessionFactory: halfLogitsOnGpu });
      try {
        expect(pair.onnx.provider).toBe('webgpu');
        const worst = await prefillDecodeBatch(pair, perEntryExcess);
        worstSeen.push(`webgpu fp16 logits ${worst.toFixed(3)} of the per-entry bound`);
        expect(worst).toBeLessThanOrEqual(1);
        // A lone sequence's float32 logits would be onnxruntime's own buffer; float16 ones are converted.
        const sequence = pair.onnx.createSequence();
        const out = await pair.onnx.forward({ sequences: [{ sequence, tokens: PROMPT }] });
        expect(out.logits.label).toMatch(/^onnx-logits:/);
        expect(pair.gpu.takeUncapturedErrors()).toEqual([]);
      } finally {
        pair.wgsl.dispose();
        pair.onnx.dispose();
      }
    },
    SLOW,
  );
});

describe('float16 ONNX exports on the wasm provider: converted on the CPU', () => {
  test(
    'fp16 export (float16 logits and KV cache): within 1e-2 of each row’s largest logit',
    async () => {
      const pair = await loadPair(await exported({ dtype: 'fp16' }), 'fp16', { provider: 'wasm' });
      try {
        expect(pair.onnx.layout).toMatchObject({ logitsType: 'float16', cacheType: 'float16' });
        expect(pair.onnx.info.dtype).toBe('f16');
        expect(pair.onnx.info.fileHashes['onnx/decoder_model_merged_fp16.onnx']).toMatch(/^[0-9a-f]{64}$/);
        const worst = await prefillDecodeBatch(pair, rowRelativeError);
        worstSeen.push(`wasm fp16 logits+cache ${worst.toExponential(2)} of the row maximum`);
        expect(worst).toBeLessThan(HALF_CACHE_RELATIVE);
      } finally {
        pair.wgsl.dispose();
        pair.onnx.dispose();
      }
    },
    SLOW,
  );

  test(
    'float16 logits, float32 cache: each logit within 1e-3 + 2^-11 |logit| (one rounding)',
    async () => {
      const pair = await loadPair(await exported({ logitsType: 'float16' }), 'fp32', { provider: 'wasm' });
      try {
        expect(pair.onnx.layout).toMatchObject({ logitsType: 'float16', cacheType: 'float32' });
        const worst = await prefillDecodeBatch(pair, perEntryExcess);
        worstSeen.push(`wasm fp16 logits ${worst.toFixed(3)} of the per-entry bound`);
        expect(worst).toBeLessThanOrEqual(1);
      } finally {
        pair.wgsl.dispose();
        pair.onnx.dispose();
      }
    },
    SLOW,
  );
});

describe('the fp16 export on onnxruntime-web WebGPU', () => {
  test(
    'runs within 1e-2 with shader-f16; without it, webgpu is refused at load and auto moves to wasm',
    async () => {
      const gpu = await testGpu();
      const folder = await exported({ dtype: 'fp16' });
      if (gpu.device.features.has('shader-f16')) {
        console.warn('fp16 export on WebGPU: this GPU has shader-f16, so the parity branch runs');
        const pair = await loadPair(folder, 'fp16', { provider: 'webgpu' });
        try {
          const worst = await prefillDecodeBatch(pair, rowRelativeError);
          worstSeen.push(`webgpu fp16 logits+cache ${worst.toExponential(2)} of the row maximum`);
          expect(worst).toBeLessThan(HALF_CACHE_RELATIVE);
          expect(pair.gpu.takeUncapturedErrors()).toEqual([]);
        } finally {
          pair.wgsl.dispose();
          pair.onnx.dispose();
        }
        return;
      }
      console.warn('fp16 export on WebGPU: this GPU lacks shader-f16, so the refusal branch runs');
      const refused = await loadOrtModel(gpu, memorySource(folder), {
        dtype: 'fp16',
        provider: 'webgpu',
      }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ModelLoadError);
      expect((refused as ModelLoadError).message).toBe(
        "onnx/decoder_model_merged_fp16.onnx has float16 logits and KV cache, and onnxruntime-web's WebGPU " +
          "provider runs float16 only on GPUs with the 'shader-f16' feature, which this one lacks: choose a dtype " +
          'with float32 outputs (fp32, q8 or q4) or the wasm provider',
      );
      const { model } = await loadOrtModel(gpu, memorySource(folder), { dtype: 'fp16' });
      try {
        expect(model.provider).toBe('wasm');
        expect(model.notice).toMatch(/lacks; it runs on the CPU \(wasm provider\) instead/);
        const sequence = model.createSequence();
        const out = await model.forward({ sequences: [{ sequence, tokens: PROMPT }] });
        const logits = await readFloat32(gpu, out.logits, model.info.config.vocabSize);
        expect(logits.every(Number.isFinite)).toBe(true);
      } finally {
        model.dispose();
      }
    },
    SLOW,
  );
});
