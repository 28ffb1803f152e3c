// Bench row for one training step of a transformer feed-forward block (issue: "a peer from the
// field, measured in the same page"): the GPT-2 MLP at d = 256, I = 4d = 1024, T = 1024 tokens,
// forward + backward + global gradient norm + AdamW with clipping, in our WGSL kernels
// (./ffn-step.ts) against the same computation in TensorFlow.js on its WebGPU backend
// (./tfjs-step.ts: same formulas, same f32 data, same FLOPs; the header there lists what is
// identical and the one difference). ratio = tfjs ms / wgsl ms: above 1 means ours is faster.
//
// Both sides hold the same initial weights, X and dY (dY a fixed random tensor, as if from the
// rest of the network) and take one full step per run, awaited to completion the same way: each
// reads the gradient norm back (ours: the stats buffer; TF.js: `await norm.data()`), which is the
// one readback a trainer does per step and resolves only after the step's GPU work. They run on
// two GPUDevices of the same adapter (TF.js makes its own), interleaved by the harness.
// GFLOP/s in the shape column count the six matmuls only (12 T d I), from this case's own samples
// (warm-up included; the harness keeps its medians to itself).
//
// Cross-check in setup, before any timing: both sides take step 1 from the same state, then the
// norm, dX, the four gradients, both moments and the parameters are compared; a disagreement
// refuses to time. The summary is printed (console.warn, shown on stderr by scripts/bench.mjs).
import type { BenchCase, BenchInstance } from '../../bench/types';
import type { Gpu } from '../../gpu/runtime';
import { gaussianArray } from '../../kernels/matmul/testing';
import { ADAMW_DEFAULTS, type AdamWHyperParameters } from '../../kernels/optimizer/params';
import { FFN_PARAMETERS, FfnTrainingStep, type FfnParameters, type FfnShape } from './ffn-step';
import { TfjsFfnStep } from './tfjs-step';

const SHAPE: FfnShape = { tokens: 1024, dim: 256, hidden: 1024 };
/** nanoGPT-like: lr 6e-4, weight decay 0.1, betas (0.9, 0.95), clipping at 1. */
const OPTIMIZER = { ...ADAMW_DEFAULTS, beta2: 0.95, weightDecay: 0.1, maxGradientNorm: 1 };
const LEARNING_RATE = 6e-4;
/**
 * Two f32 evaluations in different orders of sums of up to 1024 terms: |a - b| <= 1e-4 max|b| +
 * 1e-3 |b| per tensor (gamma_1024 = 6e-5 of the magnitudes, with slack); a bug is off by O(max).
 */
const VALUE_TOLERANCE = { scale: 1e-4, relative: 1e-3 };

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function hyperAt(step: number): AdamWHyperParameters {
  return { ...OPTIMIZER, learningRate: LEARNING_RATE, step };
}

/** Worst |a - b| / (scale max|b| + relative |b|); <= 1 agrees. */
function worstRatio(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (const v of b) max = Math.max(max, Math.abs(v));
  let worst = 0;
  for (let j = 0; j < b.length; j++) {
    const bound = VALUE_TOLERANCE.scale * max + VALUE_TOLERANCE.relative * Math.abs(b[j]) + 1e-30;
    const ratio = Math.abs(a[j] - b[j]) / bound;
    worst = Math.max(worst, Number.isNaN(ratio) ? Infinity : ratio);
  }
  return worst;
}

/**
 * Parameters after step 1 from m = v = 0: p1 = p0 - lr (u(g') + lambda p0), u(g) = g / (|g| + eps),
 * g' the clipped gradient (m / (1 - beta1)). Where g' is near 0, u swings from -1 to +1 on a
 * rounding error of g', so the bound propagates the two sides' own gradient disagreement:
 * |u(a) - u(b)| <= min(2, eps |a - b| / (min(|a|, |b|) + eps)^2) for a, b of one sign, else 2.
 * Returns the worst ratio and how many entries needed the propagated term (for the report).
 */
function compareFirstUpdate(
  ours: Float32Array,
  theirs: Float32Array,
  ourMoment: Float32Array,
  theirMoment: Float32Array,
): { worst: number; illConditioned: number } {
  let worst = 0;
  let illConditioned = 0;
  for (let j = 0; j < ours.length; j++) {
    const a = ourMoment[j] / (1 - OPTIMIZER.beta1);
    const b = theirMoment[j] / (1 - OPTIMIZER.beta1);
    const swing =
      Math.sign(a) !== Math.sign(b)
        ? 2
        : Math.min(
            2,
            (OPTIMIZER.epsilon * Math.abs(a - b)) /
              (Math.min(Math.abs(a), Math.abs(b)) + OPTIMIZER.epsilon) ** 2,
          );
    const rounding = 2 ** -22 * Math.abs(theirs[j]) + 1e-4 * LEARNING_RATE;
    if (LEARNING_RATE * swing > rounding) illConditioned++;
    const ratio = Math.abs(ours[j] - theirs[j]) / (rounding + LEARNING_RATE * swing);
    worst = Math.max(worst, Number.isNaN(ratio) ? Infinity : ratio);
  }
  return { worst, illConditioned };
}

/** Step 1 on both sides from the same state; throws (refusing to time) on a disagreement. */
async function crossCheck(ours: FfnTrainingStep, theirs: TfjsFfnStep): Promise<string> {
  const hyper = hyperAt(1);
  const ourNorm = (await ours.run(hyper)).norm;
  const theirNorm = await theirs.run(hyper);
  const rows: [string, number][] = [['norm', Math.abs(ourNorm - theirNorm) / (1e-5 * theirNorm)]];
  const [ourGradInput, theirGradInput] = await Promise.all([
    ours.readActivations().then((a) => a.gradInput),
    theirs.readGradInput(),
  ]);
  rows.push(['dX', worstRatio(ourGradInput, theirGradInput)]);
  const states = ['gradient', 'firstMoment', 'secondMoment'] as const;
  const ourStates = await Promise.all(states.map((s) => ours.readParameters(s)));
  const theirStates = await Promise.all(states.map((s) => theirs.readParameters(s)));
  states.forEach((state, k) => {
    for (const name of FFN_PARAMETERS) {
      rows.push([`${state} ${name}`, worstRatio(ourStates[k][name], theirStates[k][name])]);
    }
  });
  const [ourParameters, theirParameters]: FfnParameters[] = await Promise.all([
    ours.readParameters('parameter'),
    theirs.readParameters('parameter'),
  ]);
  let illConditioned = 0;
  for (const name of FFN_PARAMETERS) {
    const result = compareFirstUpdate(
      ourParameters[name],
      theirParameters[name],
      ourStates[1][name],
      theirStates[1][name],
    );
    rows.push([`parameter ${name}`, result.worst]);
    illConditioned += result.illConditioned;
  }
  const worst = rows.reduce((w, [, ratio]) => Math.max(w, Number.isNaN(ratio) ? Infinity : ratio), 0);
  const report =
    `ffn cross-check (WGSL vs TF.js after step 1 from the same state; worst |diff| / tolerance, <= 1 ` +
    `agrees): ${rows.map(([what, ratio]) => `${what} ${ratio.toFixed(3)}`).join(', ')}; ` +
    `gradient norm ${ourNorm.toPrecision(7)} vs ${theirNorm.toPrecision(7)}; ` +
    `${illConditioned} parameter entries with g near 0 checked against the propagated bound`;
  if (!(worst <= 1)) throw new Error(`refusing to time sides that disagree: ${report}`);
  return report;
}

function ffnCase(): BenchCase {
  const wgslMs: number[] = [];
  const tfjsMs: number[] = [];
  const base = `T=${SHAPE.tokens} d=${SHAPE.dim} I=${SHAPE.hidden} f32 fwd+bwd+norm+AdamW`;
  const flops = 12 * SHAPE.tokens * SHAPE.dim * SHAPE.hidden;
  const rate = (samples: number[]) => (flops / (median(samples) * 1e6)).toFixed(1);
  return {
    name: 'ffn/train-step',
    get shape() {
      if (wgslMs.length === 0 || tfjsMs.length === 0) return base;
      return `${base} (wgsl ${rate(wgslMs)} GFLOP/s, tfjs ${rate(tfjsMs)} GFLOP/s)`;
    },
    baseline: 'tfjs-webgpu',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      wgslMs.length = 0;
      tfjsMs.length = 0;
      const { tokens, dim, hidden } = SHAPE;
      const initial: FfnParameters = {
        upWeight: gaussianArray(1, dim * hidden, 0.02),
        upBias: gaussianArray(2, hidden, 0.02),
        downWeight: gaussianArray(3, hidden * dim, 0.02),
        downBias: gaussianArray(4, dim, 0.02),
      };
      const input = gaussianArray(5, tokens * dim);
      const gradOutput = gaussianArray(6, tokens * dim);
      const ours = await FfnTrainingStep.create(gpu, SHAPE, initial, 'ffn-bench');
      let theirs: TfjsFfnStep | null = null;
      try {
        ours.setBatch(input, gradOutput);
        theirs = await TfjsFfnStep.create(SHAPE, initial, input, gradOutput);
        console.warn(await crossCheck(ours, theirs));
        const peer = theirs;
        let ourStep = 1;
        let theirStep = 1;
        return {
          async run() {
            const start = performance.now();
            await ours.run(hyperAt(++ourStep));
            wgslMs.push(performance.now() - start);
          },
          async runBaseline() {
            const start = performance.now();
            await peer.run(hyperAt(++theirStep));
            tfjsMs.push(performance.now() - start);
          },
          dispose() {
            ours.dispose();
            peer.dispose();
          },
        };
      } catch (error) {
        ours.dispose();
        theirs?.dispose();
        throw error;
      }
    },
  };
}

export const benchCases: BenchCase[] = [ffnCase()];
