// Shared by the activation backward tests and Kernel checks: one-shot GPU runs and error bounds.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import type { SwiGluShape, UnaryActivation } from '../activation/activation';
import { geluArgument, sigmoidFormBound } from '../activation/testing';
import type { ActivationBackwardKernel } from './activation-backward';

const U = 2 ** -24;
const GELU_SCALE = Math.sqrt(2 / Math.PI);

/**
 * Bound on |op'(x) on the GPU - op'(x) in f64|. Both derivatives are sums of two sigmoid-type
 * terms: s and (GELU) x 2u' t / (1 + t)^2, (SiLU) s x sigmoid(-x). Each carries WGSL exp's
 * 3 + 2|a| ulp plus ~3u|a| from the f32 argument a (2u for GELU, x for SiLU) and a few roundings:
 * (8 + 5|a|) u times the sum of the terms' magnitudes (absolute, because the terms cancel near
 * op'(x) = 0). Below 2^-124 (1 + |x|) (GELU: 2^-124 (1 + |x| 2u')) results may be subnormal
 * and flushed.
 */
export function derivativeBound(op: UnaryActivation, x: number): number {
  const floor = (1 + Math.abs(x)) * 2 ** -124;
  if (op === 'silu') {
    const s = 1 / (1 + Math.exp(-x));
    const magnitude = s * (1 + Math.abs(x) / (1 + Math.exp(x)));
    return Number.isFinite(x) ? (8 + 5 * Math.abs(x)) * U * magnitude + floor : floor;
  }
  // GELU's t = exp(-|a|) is subnormal (flushed) for 87 < |a| < 104 (|x| ~ 10): the second term
  // then loses up to |x| 2u'(x) 2^-126, with x clamped to [-16, 16] as in the shader.
  const clamped = Math.min(16, Math.max(-16, x));
  const factor = Math.abs(clamped) * 2 * GELU_SCALE * (1 + 0.134145 * clamped * clamped);
  const geluFloor = (1 + factor) * 2 ** -124;
  const a = geluArgument(x);
  if (!Number.isFinite(a) || Math.abs(a) > 318) return geluFloor; // both terms exact (0 or 1) there
  const s = 1 / (1 + Math.exp(-a));
  const t = Math.exp(-Math.abs(a));
  return (8 + 5 * Math.abs(a)) * U * (s + factor * (t / (1 + t) ** 2)) + geluFloor;
}

/** dY * op'(x): the derivative's bound times |dY| plus the product's rounding. */
export function unaryBackwardBound(
  op: UnaryActivation,
  x: number,
  gradOutput: number,
  expected: number,
): number {
  return Math.abs(gradOutput) * derivativeBound(op, x) + U * Math.abs(expected);
}

/** Packed [rows, 2I] bound: dGate = dOut up silu'(gate) (two products), dUp = dOut silu(gate). */
export function swigluBackwardBound(
  packed: ArrayLike<number>,
  gradOutput: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rows, intermediate }: SwiGluShape,
): Float64Array {
  const bound = new Float64Array(rows * 2 * intermediate);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < intermediate; j++) {
      const gateIndex = r * 2 * intermediate + j;
      const upIndex = gateIndex + intermediate;
      const gate = packed[gateIndex];
      const dOut = Math.abs(gradOutput[r * intermediate + j]);
      const silu = gate / (1 + Math.exp(-gate));
      bound[gateIndex] =
        dOut * Math.abs(packed[upIndex]) * derivativeBound('silu', gate) +
        2 * U * Math.abs(expected[gateIndex]);
      bound[upIndex] =
        dOut * sigmoidFormBound(gate, silu, gate) + U * Math.abs(expected[upIndex]) + 2 ** -125;
    }
  }
  return bound;
}

/** Uploads, encodes once, reads back, releases. `swiglu` selects the packed SwiGLU backward. */
export async function runActivationBackward(
  gpu: Gpu,
  kernel: ActivationBackwardKernel,
  op: UnaryActivation | 'swiglu',
  input: Float32Array,
  gradOutput: Float32Array,
  shape?: SwiGluShape,
): Promise<Float32Array> {
  const owned = [
    uploadStorage(gpu, input, 'activation-backward-test:x'),
    uploadStorage(gpu, gradOutput, 'activation-backward-test:dY'),
    uploadStorage(gpu, new Float32Array(input.length), 'activation-backward-test:dX'),
  ];
  const [x, dy, dx] = owned;
  try {
    await submitPass(gpu, 'activation-backward-test', (pass) => {
      if (op === 'swiglu')
        kernel.encodeSwiGlu(pass, x, dy, dx, shape ?? { rows: 1, intermediate: input.length / 2 });
      else kernel.encodeUnary(pass, op, x, dy, dx, input.length);
    });
    return await readFloat32(gpu, dx, input.length);
  } finally {
    for (const buffer of owned) buffer.destroy();
  }
}
