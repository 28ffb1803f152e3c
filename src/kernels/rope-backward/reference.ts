// The spec of the RoPE backward kernel (./rope-backward.ts), in f64: the transpose of the forward
// rotation (src/kernels/rope/reference.ts), i.e. the rotation by -angle:
//   dX[i]       = dY[i] cos(angle) + dY[i + D/2] sin(angle)
//   dX[i + D/2] = dY[i + D/2] cos(angle) - dY[i] sin(angle)
// Elements outside the rotated heads are copied unchanged (their gradient passes through).
// ./reference.test.ts checks it against finite differences of the forward reference.
import { ropeReference, type RopeReferenceShape } from '../rope/reference';

export function ropeBackwardReference(
  gradOutput: ArrayLike<number>,
  positions: ArrayLike<number>,
  inverseFrequencies: ArrayLike<number>,
  shape: RopeReferenceShape,
): Float64Array {
  return ropeReference(gradOutput, positions, inverseFrequencies, shape, -1);
}
