// Shared by attention-backward.gpu.test.ts and checks.ts: seeded Q, K, V, dO, the GPU gradients
// and the f64 reference, compared entry by entry against
//   |gpu - ref| <= 1e-5 * max|ref over the tensor| + 1e-5 * |ref|
// (each gradient is a sum of up to T * D products of f32 values and recomputed exp(s - lse); the
// measured worst is far below, see the test's printed ratio).
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { gaussian, seededRandom } from '../../testing/logits';
import type { CheckResources } from '../logits/checks-support';
import type { AttentionBackwardKernel } from './attention-backward';
import type { AttentionBackwardPath } from './path';
import { attentionBackwardReference, type AttentionBackwardShape } from './reference';

export interface AttentionBackwardComparison {
  failures: string[];
  /** Worst |gpu - ref| / bound over dQ, dK, dV. */
  worst: number;
  timing: TimedResult;
  referenceMs: number;
}

function randomArray(random: () => number, n: number, scale: number): Float32Array {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = gaussian(random) * scale;
  return values;
}

export async function compareAttentionBackward(
  gpu: Gpu,
  resources: CheckResources,
  kernel: AttentionBackwardKernel,
  shape: AttentionBackwardShape,
  seed: number,
  /** The kernel's own choice when absent. */
  path?: AttentionBackwardPath,
): Promise<AttentionBackwardComparison> {
  const { tokens, numHeads: H, numKvHeads: Hkv, headDim: D } = shape;
  const B = shape.batch ?? 1;
  const T = B * tokens; // rows of the whole batch
  const random = seededRandom(seed);
  // Scores of a few units: peaked and flat rows both occur.
  const inputs = {
    query: randomArray(random, T * H * D, 1.5),
    key: randomArray(random, T * Hkv * D, 1.5),
    value: randomArray(random, T * Hkv * D, 1),
    outputGradient: randomArray(random, T * H * D, 1),
  };
  const buffers = {
    query: resources.upload(inputs.query, 'q'),
    key: resources.upload(inputs.key, 'k'),
    value: resources.upload(inputs.value, 'v'),
    outputGradient: resources.upload(inputs.outputGradient, 'do'),
    queryGradient: resources.storage(T * H * D * 4, 'dq'),
    keyGradient: resources.storage(T * Hkv * D * 4, 'dk'),
    valueGradient: resources.storage(T * Hkv * D * 4, 'dv'),
  };
  const timing = await timeComputePass(gpu, 'attention-backward-test', (pass) =>
    kernel.encode(pass, buffers, shape, path),
  );
  const start = performance.now();
  // The reference runs each sequence alone: a batch must equal B independent sequences.
  const want = {
    query: new Float64Array(T * H * D),
    key: new Float64Array(T * Hkv * D),
    value: new Float64Array(T * Hkv * D),
  };
  for (let b = 0; b < B; b++) {
    const q = [b * tokens * H * D, (b + 1) * tokens * H * D] as const;
    const kv = [b * tokens * Hkv * D, (b + 1) * tokens * Hkv * D] as const;
    const one = attentionBackwardReference(
      {
        query: inputs.query.subarray(...q),
        key: inputs.key.subarray(...kv),
        value: inputs.value.subarray(...kv),
        outputGradient: inputs.outputGradient.subarray(...q),
      },
      { tokens, numHeads: H, numKvHeads: Hkv, headDim: D },
    );
    want.query.set(one.query, q[0]);
    want.key.set(one.key, kv[0]);
    want.value.set(one.value, kv[0]);
  }
  const referenceMs = performance.now() - start;
  const failures: string[] = [];
  let worst = 0;
  for (const [name, buffer] of [
    ['query', buffers.queryGradient],
    ['key', buffers.keyGradient],
    ['value', buffers.valueGradient],
  ] as const) {
    const expected = want[name];
    const got = await readFloat32(gpu, buffer, expected.length);
    let scale = 0;
    for (const x of expected) scale = Math.max(scale, Math.abs(x));
    for (let i = 0; i < expected.length; i++) {
      // T = 1 gives dQ = dK = 0 exactly (one key: P = 1, dS = 0), and the GPU must agree exactly.
      const difference = Math.abs(got[i] - expected[i]);
      const ratio = difference === 0 ? 0 : difference / (1e-5 * scale + 1e-5 * Math.abs(expected[i]));
      worst = Math.max(worst, Number.isNaN(ratio) ? Infinity : ratio);
      if (!(ratio <= 1)) {
        failures.push(
          `${B > 1 ? `B ${B} ` : ''}T ${tokens} D ${D} d${name}[${i}]: GPU ${got[i]} vs ${expected[i]}` +
            (path === undefined ? '' : ` (${path})`),
        );
        break;
      }
    }
  }
  return { failures, worst, timing, referenceMs };
}
