// Shared by optimizer.gpu.test.ts and checks.ts: several AdamW steps (gradient norm, clipping,
// update) on the GPU beside the f64 reference, compared after every step.
// Criteria (derived from f32 rounding, with slack; the worst ratio is reported):
//   norm:    |gpu - ref| <= 1e-5 ref               (sum of up to 65,537 squares in another order)
//   m, v:    |gpu - ref| <= 1e-5 |ref| + 1e-6 max|ref over the tensor|   (cancellation in b m + (1-b) g)
//   p:       |gpu - ref| <= t (2^-23 |ref| + 1e-5 lr)   (one f32 rounding of p and a ~1e-6 relative
//            error of the update per step, accumulated over t steps)
// A skipped step (NaN/Inf gradient) must leave the GPU's p, m, v bit-identical.
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { gaussian, seededRandom } from '../../testing/logits';
import type { CheckResources } from '../logits/checks-support';
import { AdamWKernel, type AdamWTensor } from './adamw';
import { gradientStatsBytes, GradientNormKernel, readGradientStats } from './gradient-norm';
import { ADAMW_DEFAULTS, type AdamWHyperParameters } from './params';
import { adamWStepReference, type AdamWStateReference } from './reference';
import { learningRateAt } from './schedule';

export interface OptimizerCase {
  sizes: readonly number[];
  steps: number;
  maxGradientNorm: number;
  seed: number;
  /** Step (1-based) at which gradient tensor `tensor` gets a NaN, an Inf and a -Inf. */
  poison?: { step: number; tensor: number };
}

export interface OptimizerComparison {
  failures: string[];
  /** Worst |gpu - ref| / bound over the norm, the moments and the parameters. */
  worst: { norm: number; moments: number; parameters: number };
  skippedSteps: number;
  timing: TimedResult;
  referenceMs: number;
}

function makeGradient(random: () => number, n: number, scale: number): Float32Array<ArrayBuffer> {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = gaussian(random) * scale;
  return values;
}

export async function compareOptimizerSteps(
  gpu: Gpu,
  resources: CheckResources,
  c: OptimizerCase,
): Promise<OptimizerComparison> {
  const random = seededRandom(c.seed);
  const decay = c.sizes.map((_, i) => i % 2 === 1);
  const reference: AdamWStateReference[] = c.sizes.map((n, i) => ({
    parameter: Float64Array.from(makeGradient(random, n, 1)),
    firstMoment: new Float64Array(n),
    secondMoment: new Float64Array(n),
    decay: decay[i],
  }));
  const norm = resources.own(await GradientNormKernel.create(gpu, c.sizes, 'optimizer-test:norm'));
  const adam = resources.own(await AdamWKernel.create(gpu, c.sizes.length, 'optimizer-test:adamw'));
  const stats = resources.storage(gradientStatsBytes(c.sizes.length), 'stats');
  const tensors: AdamWTensor[] = c.sizes.map((n, i) => ({
    parameter: resources.upload(Float32Array.from(reference[i].parameter), `p${i}`),
    gradient: resources.storage(n * 4, `g${i}`),
    firstMoment: resources.storage(n * 4, `m${i}`),
    secondMoment: resources.storage(n * 4, `v${i}`),
    count: n,
    decay: decay[i],
  }));
  const failures: string[] = [];
  const worst = { norm: 0, moments: 0, parameters: 0 };
  let timing: TimedResult = { ms: 0, source: 'wall-clock' };
  let referenceMs = 0;
  let skippedSteps = 0;
  const readState = () =>
    Promise.all(
      tensors.map(async (t) =>
        Promise.all([t.parameter, t.firstMoment, t.secondMoment].map((b) => readFloat32(gpu, b, t.count))),
      ),
    );
  const schedule = { warmupSteps: 2, totalSteps: c.steps, peak: 1e-2, floor: 1e-3 };
  for (let step = 1; step <= c.steps; step++) {
    const hyper: AdamWHyperParameters = {
      ...ADAMW_DEFAULTS,
      learningRate: learningRateAt(schedule, step - 1),
      step,
      maxGradientNorm: c.maxGradientNorm,
    };
    // Gradient scales differ per tensor and step so clipping sees varied norms.
    const gradients = c.sizes.map((n, i) => makeGradient(random, n, 0.1 * (1 + i) * step));
    if (c.poison?.step === step) {
      const g = gradients[c.poison.tensor];
      [NaN, Infinity, -Infinity].forEach((value, k) => (g[Math.min(k * 3, g.length - 1)] = value));
    }
    gradients.forEach((g, i) => gpu.device.queue.writeBuffer(tensors[i].gradient, 0, g));
    const before = c.poison?.step === step ? await readState() : null;
    timing = await timeComputePass(gpu, 'optimizer-test', (pass) => {
      norm.encode(
        pass,
        tensors.map((t) => t.gradient),
        stats,
      );
      adam.encode(pass, tensors, stats, hyper);
    });
    const start = performance.now();
    const result = adamWStepReference(reference, gradients, hyper);
    referenceMs += performance.now() - start;
    const got = await readGradientStats(gpu, stats, c.sizes.length);
    const normRatio = Math.abs(got.norm - result.norm) / (1e-5 * result.norm);
    worst.norm = Math.max(worst.norm, Number.isNaN(normRatio) ? Infinity : normRatio);
    if (!(normRatio <= 1)) failures.push(`step ${step}: norm GPU ${got.norm} vs ${result.norm}`);
    const state = await readState();
    if (!result.applied) {
      skippedSteps++;
      const expectedCounts = c.sizes.map((_, i) => (i === c.poison?.tensor ? Math.min(3, c.sizes[i]) : 0));
      if (got.nonFinitePerTensor.join() !== expectedCounts.join())
        failures.push(
          `step ${step}: non-finite per tensor ${got.nonFinitePerTensor.join()} vs ${expectedCounts.join()}`,
        );
      state.forEach((arrays, i) =>
        arrays.forEach((values, k) => {
          const old = before?.[i][k];
          if (!old || values.some((v, j) => !Object.is(v, old[j])))
            failures.push(`step ${step}: tensor ${i} ${['p', 'm', 'v'][k]} changed on a skipped step`);
        }),
      );
      continue;
    }
    if (got.nonFinite !== 0)
      failures.push(`step ${step}: ${got.nonFinite} non-finite reported, none expected`);
    state.forEach(([p, m, v], i) => {
      const ref = reference[i];
      for (const [what, values, want] of [
        ['m', m, ref.firstMoment],
        ['v', v, ref.secondMoment],
      ] as const) {
        let scale = 0;
        for (const x of want) scale = Math.max(scale, Math.abs(x));
        for (let j = 0; j < values.length; j++) {
          const ratio = Math.abs(values[j] - want[j]) / (1e-5 * Math.abs(want[j]) + 1e-6 * scale);
          worst.moments = Math.max(worst.moments, Number.isNaN(ratio) ? Infinity : ratio);
          if (!(ratio <= 1)) {
            failures.push(`step ${step} tensor ${i} ${what}[${j}]: GPU ${values[j]} vs ${want[j]}`);
            break;
          }
        }
      }
      for (let j = 0; j < p.length; j++) {
        const bound = step * (2 ** -23 * Math.abs(ref.parameter[j]) + 1e-5 * schedule.peak);
        const ratio = Math.abs(p[j] - ref.parameter[j]) / bound;
        worst.parameters = Math.max(worst.parameters, Number.isNaN(ratio) ? Infinity : ratio);
        if (!(ratio <= 1)) {
          failures.push(`step ${step} tensor ${i} p[${j}]: GPU ${p[j]} vs ${ref.parameter[j]}`);
          break;
        }
      }
    });
  }
  return { failures, worst, skippedSteps, timing, referenceMs };
}
