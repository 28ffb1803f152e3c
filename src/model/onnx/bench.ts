// Bench rows for the onnxruntime-web backend (issue 8, "Benchmarks"). Models: ./bench-models.ts
// (the same f32 weights on both sides).
//
// onnx/decode: one decoding step (one new token, logits of that token) of the WGSL engine against
// onnxruntime-web on the same weights, same page, same run: the WebGPU provider on our device,
// and the wasm provider (the fallback, one thread without cross-origin isolation). After a
// CONTEXT-token prefill in setup, every run appends one token to the same sequence on each side,
// so the i-th run of both sides sees the same context length; every WINDOW tokens both caches are
// truncated back to CONTEXT (the same run on both sides). That is a real decoding loop, where
// every step has a new sequence length, which makes onnxruntime's WebGPU provider build programs
// for the new shapes; the "fixed" rows truncate back to CONTEXT before every step instead (the
// same length each run, onnxruntime's program cache warm after the warm-up; its cache then pays one
// small GPU copy per step to drop the truncated position). Both sides are awaited to completion of
// their GPU work (onSubmittedWorkDone): logits stay on the GPU, where a sampler reads them.
// ratio = ORT ms / WGSL ms: the WGSL engine's speed-up (issue 8's goal: at least 1.5). Setup
// refuses to time a pair whose prefill logits differ by more than 1e-3. Tokens/s = 1000 / median
// of each side's own samples (warm-up included; the harness keeps its medians to itself).
//
// onnx/logits-to-token: from logits ready in onnxruntime's own output buffer (the one GPUBuffer
// of a one-token WebGPU forward, handed over without a copy) to the chosen token id on the CPU.
// GPU side: the fused logit pipeline (src/kernels/logits/fused.ts, as the decode lanes run it)
// reads that buffer and reads back its few words. Baseline: read the whole row back, then choose
// in JavaScript: an argmax loop, or the reference top-p (sort, cumulative mass, seeded draw).
// The logits come from a one-layer random model of the row's vocabulary; only the choice is timed.
// Setup checks that both sides choose the same token (greedy) or that the GPU's token is in the
// CPU's top-p set (sampling).
import type { BenchCase, BenchInstance } from '../../bench/types';
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { LogitPipeline, type StepParams } from '../../kernels/logits/fused';
import {
  isKept,
  maxAndLogSumExp,
  sampleReference,
  thresholdsReference,
} from '../../kernels/logits/reference';
import { seedFromNumber } from '../../kernels/random/philox';
import { compareArrays } from '../../testing/compare';
import { randomLlama, shapesExpert, type BenchModel, type BenchPair } from './bench-models';
import type { Provider } from './session';

const CONTEXT = 32;
const WINDOW = 64;

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timedInto(samples: number[], body: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  await body();
  samples.push(performance.now() - start);
}

/** Deterministic, spread-out token ids. */
const tokenAt = (i: number, vocab: number) => (i * 7919 + 13) % vocab;

const RANDOM_6L = randomLlama('random 6L d=256, Llama-shaped: the exporter writes no GPT-2', {
  vocab_size: 8192,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 6,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 128,
});

type Context = 'growing' | 'fixed';

function decodeCase(model: BenchModel, provider: Provider, context: Context = 'growing'): BenchCase {
  const wgslMs: number[] = [];
  const ortMs: number[] = [];
  const at = context === 'growing' ? `${CONTEXT}..${CONTEXT + WINDOW - 1} (growing)` : `${CONTEXT} (fixed)`;
  const base = `${model.text}, decode 1 tok at ${at}`;
  const rate = (samples: number[]) => (1000 / median(samples)).toFixed(1);
  return {
    name: 'onnx/decode',
    get shape() {
      if (wgslMs.length === 0 || ortMs.length === 0) return base;
      return `${base} (wgsl ${rate(wgslMs)} tok/s, ort-${provider} ${rate(ortMs)} tok/s)`;
    },
    baseline: `ort-${provider}`,
    async setup(gpu: Gpu): Promise<BenchInstance> {
      wgslMs.length = 0;
      ortMs.length = 0;
      const pair = await model.load(gpu, provider, true);
      try {
        return await decodeInstance(
          gpu,
          pair,
          context === 'fixed' ? CONTEXT + 1 : CONTEXT + WINDOW,
          wgslMs,
          ortMs,
        );
      } catch (error) {
        pair.dispose();
        throw error;
      }
    },
  };
}

/** `limit`: a cache this long is truncated back to CONTEXT before the next step. */
async function decodeInstance(
  gpu: Gpu,
  pair: BenchPair,
  limit: number,
  wgslMs: number[],
  ortMs: number[],
): Promise<BenchInstance> {
  const wgsl = pair.wgsl!;
  const { onnx } = pair;
  const vocab = pair.config.vocabSize;
  const prompt = Array.from({ length: CONTEXT }, (_, i) => tokenAt(i, vocab));
  const sides = [
    { model: wgsl, sequence: wgsl.createSequence(), step: 0 },
    { model: onnx, sequence: onnx.createSequence(), step: 0 },
  ];
  const prefill: Float32Array[] = [];
  for (const { model, sequence } of sides) {
    const out = await model.forward({ sequences: [{ sequence, tokens: prompt }] });
    prefill.push(await readFloat32(gpu, out.logits, vocab));
  }
  const mismatch = compareArrays('prefill logits (ORT vs WGSL)', prefill[1], prefill[0], {
    atol: 1e-3,
    rtol: 0,
  });
  if (mismatch !== null) throw new Error(`refusing to time models that disagree: ${mismatch}`);
  const decodeStep = async (side: (typeof sides)[number]) => {
    if (side.model.sequenceLength(side.sequence) >= limit) side.model.truncate(side.sequence, CONTEXT);
    const token = tokenAt(CONTEXT + side.step++, vocab);
    await side.model.forward({ sequences: [{ sequence: side.sequence, tokens: [token] }] });
    await gpu.device.queue.onSubmittedWorkDone();
  };
  return {
    run: () => timedInto(wgslMs, () => decodeStep(sides[0])),
    runBaseline: () => timedInto(ortMs, () => decodeStep(sides[1])),
    dispose: () => pair.dispose(),
  };
}

type Choice = 'greedy' | 'top-p';

const TOP_P_PARAMS = { topK: 0, topP: 0.9, minP: 0 };
const SEED = seedFromNumber(0x0118);

function stepParams(choice: Choice, counter: number): StepParams {
  return {
    weights: [1],
    baseInput: 0,
    beta: 0,
    temperature: 1,
    ...(choice === 'greedy' ? { topK: 0, topP: 1, minP: 0 } : TOP_P_PARAMS),
    seed: SEED,
    streamBase: 0,
    counter,
    draws: 1,
    greedy: choice === 'greedy',
  };
}

/** What a JS decoding loop does with a logits row it read back: the token it picks. */
function chooseOnCpu(row: Float32Array, choice: Choice, counter: number): number | null {
  if (choice === 'greedy') {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
    return best;
  }
  const { lse } = maxAndLogSumExp(row);
  const { thresholdKey } = thresholdsReference(row, lse, TOP_P_PARAMS);
  return sampleReference(row, lse, thresholdKey, SEED, 0, counter).token;
}

function choiceCase(vocab: number, choice: Choice): BenchCase {
  const model = randomLlama(`1L d=16 V=${vocab}`, {
    vocab_size: vocab,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 16,
  });
  const what = choice === 'greedy' ? 'greedy (argmax)' : 'T=1 top-p 0.9 seeded sample';
  return {
    name: 'onnx/logits-to-token',
    shape: `V=${vocab.toLocaleString('en-US')} ${what}, logits in ORT's webgpu output buffer`,
    baseline: choice === 'greedy' ? 'readback+js-argmax' : 'readback+js-top-p',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      const pair = await model.load(gpu, 'webgpu', false);
      let pipeline: LogitPipeline | null = null;
      try {
        const { onnx } = pair;
        const sequence = onnx.createSequence();
        await onnx.forward({ sequences: [{ sequence, tokens: [1, 5, 9] }] });
        // One new token of one sequence: the forward hands out onnxruntime's own buffer.
        const { logits } = await onnx.forward({ sequences: [{ sequence, tokens: [4] }] });
        if (logits.label.startsWith('onnx-logits:'))
          throw new Error(`expected onnxruntime's output buffer, got the model's copy "${logits.label}"`);
        pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab }, 1);
        const onGpu = pipeline;
        const gpuToken = async (counter: number) =>
          (await onGpu.step([{ buffer: logits }], stepParams(choice, counter))).rows[0].tokens[0];
        const cpuToken = async (counter: number) =>
          chooseOnCpu(await readFloat32(gpu, logits, vocab), choice, counter);
        const row = await readFloat32(gpu, logits, vocab);
        const [gpuFirst, cpuFirst] = [await gpuToken(0), await cpuToken(0)];
        const { thresholdKey } = thresholdsReference(row, maxAndLogSumExp(row).lse, TOP_P_PARAMS);
        const agrees = choice === 'greedy' ? gpuFirst === cpuFirst : isKept(row[gpuFirst], thresholdKey);
        if (!agrees)
          throw new Error(`GPU chose ${gpuFirst}, the CPU ${cpuFirst} (${choice}): refusing to time`);
        let gpuCounter = 1;
        let cpuCounter = 1;
        return {
          run: async () => void (await gpuToken(gpuCounter++)),
          runBaseline: async () => void (await cpuToken(cpuCounter++)),
          dispose: () => {
            onGpu.destroy();
            pair.dispose();
          },
        };
      } catch (error) {
        pipeline?.destroy();
        pair.dispose();
        throw error;
      }
    },
  };
}

export const benchCases: BenchCase[] = [
  decodeCase(shapesExpert, 'webgpu'),
  decodeCase(shapesExpert, 'webgpu', 'fixed'),
  decodeCase(shapesExpert, 'wasm'),
  decodeCase(RANDOM_6L, 'webgpu'),
  decodeCase(RANDOM_6L, 'webgpu', 'fixed'),
  decodeCase(RANDOM_6L, 'wasm'),
  choiceCase(50_257, 'greedy'),
  choiceCase(151_936, 'greedy'),
  choiceCase(151_936, 'top-p'),
];
