// Parity of the composed FFN training step (./ffn-step.ts) with the f64 CPU references of its
// kernels chained the same way (matmul, gelu, linear backward, gelu backward, AdamW), over two
// steps, on tiny shapes that take each matmul path: T = 8 (GEMV) and T = 33 (tiled, no dimension a
// multiple of a tile). Each step's reference starts from the GPU's state before that step (p, m,
// v read back), as llm.c checks one step at a time, so step 2 checks a forward on parameters the
// GPU's AdamW wrote and a bias correction that is no longer trivial, without compounding errors.
// Checked per step: Y, dX, the four gradients, the gradient norm, the AdamW moments, parameters.
// Tolerances: values, gradients and moments |gpu - ref| <= 1e-5 max|ref| + 1e-4 |ref| per tensor:
// f32 sums of at most 40 terms (~40 * 2^-24 = 2.4e-6 relative to the magnitudes) chained through
// three stages, with slack; a wrong index, a missed term or a wrong residual is off by O(max|ref|).
// Parameters: p_t = p_{t-1} - lr (m^ / (sqrt(v^) + eps) + lambda p_{t-1}) in f64 on the GPU's own
// p_{t-1}, m_t, v_t, within 2^-22 |p| + 1e-5 lr (f32 rounding of the update and of p). Comparing
// them with the reference chain instead would measure Adam's conditioning, not the code: near
// g = 0 the first step lr g / (|g| + eps) flips between -lr and +lr on a rounding error of g.
import { afterAll, describe, expect, test } from 'vitest';
import { unaryReference } from '../../kernels/activation/reference';
import { unaryBackwardReference } from '../../kernels/activation-backward/reference';
import { linearBackwardReference } from '../../kernels/backward-linear/reference';
import { matmulPath } from '../../kernels/matmul/matmul';
import { matmulReference } from '../../kernels/matmul/reference';
import { gaussianArray } from '../../kernels/matmul/testing';
import { ADAMW_DEFAULTS, biasCorrection, type AdamWHyperParameters } from '../../kernels/optimizer/params';
import { adamWStepReference, type AdamWStateReference } from '../../kernels/optimizer/reference';
import { compareArrays } from '../../testing/compare';
import { testGpu } from '../../testing/gpu';
import { FFN_PARAMETERS, FfnTrainingStep, type FfnParameters, type FfnShape } from './ffn-step';

const HYPER = { ...ADAMW_DEFAULTS, weightDecay: 0.1, maxGradientNorm: 1, learningRate: 1e-2 };
const STEPS = 2;

const worst = { values: 0, parameters: 0 };
afterAll(() => {
  console.warn(
    `ffn step parity: worst |gpu - ref| / bound: values and gradients ${worst.values.toFixed(3)}, ` +
      `parameters ${worst.parameters.toFixed(3)}`,
  );
});

/** GPT-2-like scales: X ~ N(0, 1), weights ~ N(0, 1/fan_in) so H and Y stay O(1), biases ~ N(0, 0.1^2). */
function seededParameters(seed: number, { dim, hidden }: FfnShape): FfnParameters {
  return {
    upWeight: gaussianArray(seed, dim * hidden, 1 / Math.sqrt(dim)),
    upBias: gaussianArray(seed + 1, hidden, 0.1),
    downWeight: gaussianArray(seed + 2, hidden * dim, 1 / Math.sqrt(hidden)),
    downBias: gaussianArray(seed + 3, dim, 0.1),
  };
}

interface ReferenceStep {
  output: Float64Array;
  gradInput: Float64Array;
  gradients: Float64Array[];
  norm: number;
}

/** One step in f64 from the kernels' references, updating `state` (FFN_PARAMETERS order) in place. */
function referenceStep(
  { tokens: t, dim: d, hidden: i }: FfnShape,
  state: AdamWStateReference[],
  x: Float32Array,
  gradOutput: Float32Array,
  hyper: AdamWHyperParameters,
): ReferenceStep {
  // The references take f32 inputs, as the kernels read them: parameters and the intermediate
  // tensors are rounded to f32 between stages, where the GPU stores them.
  const [upWeight, upBias, downWeight, downBias] = state.map((s) => Float32Array.from(s.parameter));
  const pre = matmulReference({ x, w: upWeight, layout: 'kn', m: t, k: d, n: i, bias: upBias }).y;
  const activation = Float32Array.from(unaryReference('gelu', pre));
  const output = matmulReference({
    x: activation,
    w: downWeight,
    layout: 'kn',
    m: t,
    k: i,
    n: d,
    bias: downBias,
    accumulateInto: x,
  }).y;
  const down = linearBackwardReference({
    m: t,
    k: i,
    n: d,
    layout: 'kn',
    dY: gradOutput,
    x: activation,
    w: downWeight,
  });
  const gradPre = Float32Array.from(unaryBackwardReference('gelu', Float32Array.from(pre), down.dX.value));
  const up = linearBackwardReference({
    m: t,
    k: d,
    n: i,
    layout: 'kn',
    dY: gradPre,
    x,
    w: upWeight,
    dX0: gradOutput,
  });
  const gradients = [up.dW.value, up.dBias.value, down.dW.value, down.dBias.value];
  const { norm, applied } = adamWStepReference(state, gradients, hyper);
  if (!applied) throw new Error('reference step skipped: a non-finite gradient in a seeded case (a bug)');
  return { output, gradInput: up.dX.value, gradients, norm };
}

/** The values/gradients criterion of the header; records the worst ratio. */
function checkValues(name: string, got: Float32Array, want: Float64Array): string | null {
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  const atol = 1e-5 * scale;
  const rtol = 1e-4;
  for (let j = 0; j < want.length; j++) {
    const ratio = Math.abs(got[j] - want[j]) / (atol + rtol * Math.abs(want[j]));
    worst.values = Math.max(worst.values, Number.isNaN(ratio) ? Infinity : ratio);
  }
  return compareArrays(name, got, want, { atol, rtol });
}

/** The parameter criterion of the header: AdamW's update applied in f64 to the GPU's own state. */
function checkParameters(
  name: string,
  got: Float32Array,
  previous: Float32Array,
  moments: { first: Float32Array; second: Float32Array },
  hyper: AdamWHyperParameters,
  decay: boolean,
): string | null {
  const lambda = decay ? hyper.weightDecay : 0;
  const corrections = [biasCorrection(hyper.beta1, hyper.step), biasCorrection(hyper.beta2, hyper.step)];
  for (let j = 0; j < got.length; j++) {
    const m = moments.first[j] / corrections[0];
    const v = moments.second[j] / corrections[1];
    const want =
      previous[j] - hyper.learningRate * (m / (Math.sqrt(v) + hyper.epsilon) + lambda * previous[j]);
    const bound = 2 ** -22 * Math.abs(want) + 1e-5 * hyper.learningRate;
    const ratio = Math.abs(got[j] - want) / bound;
    worst.parameters = Math.max(worst.parameters, Number.isNaN(ratio) ? Infinity : ratio);
    if (!(ratio <= 1)) return `${name}[${j}]: GPU ${got[j]} vs ${want} (bound ${bound.toExponential(2)})`;
  }
  return null;
}

const SHAPES: FfnShape[] = [
  { tokens: 8, dim: 16, hidden: 32 },
  { tokens: 33, dim: 24, hidden: 40 },
];

describe('the FFN training step matches the chained f64 references over two steps', () => {
  test.each(SHAPES.map((shape) => ({ ...shape, path: matmulPath(shape.tokens) })))(
    'T $tokens d $dim I $hidden (matmul $path path)',
    async (shape) => {
      const gpu = await testGpu();
      const seed = shape.tokens * 100 + shape.dim;
      const initial = seededParameters(seed, shape);
      const x = gaussianArray(seed + 10, shape.tokens * shape.dim);
      const gradOutput = gaussianArray(seed + 11, shape.tokens * shape.dim);
      const decay = (name: string) => name === 'upWeight' || name === 'downWeight';
      const step = await FfnTrainingStep.create(gpu, shape, initial, 'ffn-step-test');
      try {
        step.setBatch(x, gradOutput);
        for (let t = 1; t <= STEPS; t++) {
          const [before, firstBefore, secondBefore] = await Promise.all(
            (['parameter', 'firstMoment', 'secondMoment'] as const).map((s) => step.readParameters(s)),
          );
          const state: AdamWStateReference[] = FFN_PARAMETERS.map((name) => ({
            parameter: Float64Array.from(before[name]),
            firstMoment: Float64Array.from(firstBefore[name]),
            secondMoment: Float64Array.from(secondBefore[name]),
            decay: decay(name),
          }));
          const hyper = { ...HYPER, step: t };
          const stats = await step.run(hyper);
          expect(gpu.takeUncapturedErrors()).toEqual([]);
          const want = referenceStep(shape, state, x, gradOutput, hyper);
          expect(stats.nonFinite).toBe(0);
          expect(Math.abs(stats.norm - want.norm) / want.norm).toBeLessThan(1e-5);
          const { output, gradInput } = await step.readActivations();
          const [gradients, first, second, parameters] = await Promise.all(
            (['gradient', 'firstMoment', 'secondMoment', 'parameter'] as const).map((s) =>
              step.readParameters(s),
            ),
          );
          const failures = [
            checkValues(`step ${t} Y`, output, want.output),
            checkValues(`step ${t} dX`, gradInput, want.gradInput),
            ...FFN_PARAMETERS.flatMap((name, k) => [
              checkValues(`step ${t} d${name}`, gradients[name], want.gradients[k]),
              checkValues(`step ${t} m(${name})`, first[name], state[k].firstMoment),
              checkValues(`step ${t} v(${name})`, second[name], state[k].secondMoment),
              checkParameters(
                `step ${t} ${name}`,
                parameters[name],
                before[name],
                { first: first[name], second: second[name] },
                hyper,
                decay(name),
              ),
            ]),
          ].filter((failure) => failure !== null);
          expect(failures, failures.join('\n')).toEqual([]);
        }
      } finally {
        step.dispose();
      }
    },
  );
});

describe('bad arguments are refused with the value named', () => {
  test('shape, parameter lengths, batch lengths', async () => {
    const gpu = await testGpu();
    const shape = { tokens: 4, dim: 8, hidden: 16 };
    const initial = seededParameters(1, shape);
    await expect(FfnTrainingStep.create(gpu, { ...shape, hidden: 0 }, initial)).rejects.toThrow(
      /ffn training step: hidden \(I\) must be an integer in 1\.\.\d+, got 0/,
    );
    await expect(
      FfnTrainingStep.create(gpu, shape, { ...initial, downBias: new Float32Array(7) }),
    ).rejects.toThrow(/ffn training step: downBias has 7 entries, the shape needs 8/);
    const step = await FfnTrainingStep.create(gpu, shape, initial);
    try {
      expect(() => step.setBatch(new Float32Array(32), new Float32Array(31))).toThrow(
        /gradOutput dY \[T, d\] has 31 entries, the shape needs 32/,
      );
    } finally {
      step.dispose();
    }
  });
});
