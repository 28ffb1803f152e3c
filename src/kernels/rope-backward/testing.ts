// Shared by the RoPE backward tests and Kernel checks: one-shot runs of the forward or backward
// kernel (same encode signature), and the effective (cos, sin) the GPU forward applies, read off by
// rotating unit vectors: (1, 0) -> (1 cos - 0 sin, 0 cos + 1 sin) = (cos, sin) exactly.
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import type { RopeFrequencies, RopeKernel, RopeShape } from '../rope/rope';
import type { RopeBackwardKernel } from './rope-backward';

/** Rotates a copy of `data` (in place on the GPU) and reads it back. */
export async function runRotation(
  gpu: Gpu,
  kernel: RopeKernel | RopeBackwardKernel,
  data: Float32Array,
  positions: number[],
  shape: RopeShape,
  frequencies: RopeFrequencies,
): Promise<Float32Array> {
  const buffer = uploadStorage(gpu, data, 'rope-backward-test:data');
  const positionBuffer = uploadStorage(gpu, Uint32Array.from(positions), 'rope-backward-test:positions');
  try {
    await submitPass(gpu, 'rope-backward-test', (pass) =>
      kernel.encode(pass, buffer, positionBuffer, shape, frequencies),
    );
    return await readFloat32(gpu, buffer, data.length);
  } finally {
    buffer.destroy();
    positionBuffer.destroy();
  }
}

/** For each (token, head, i): the GPU forward's (cos, sin), as [tokens * heads * half] each. */
export async function forwardRotation(
  gpu: Gpu,
  forward: RopeKernel,
  positions: number[],
  shape: RopeShape,
  frequencies: RopeFrequencies,
): Promise<{ cos: Float32Array; sin: Float32Array }> {
  const { tokens, heads, headDim } = shape;
  const half = headDim / 2;
  const rowStride = shape.rowStride ?? heads * headDim;
  const offset = shape.offset ?? 0;
  const units = new Float32Array(tokens * rowStride);
  for (let t = 0; t < tokens; t++)
    for (let h = 0; h < heads; h++)
      units.fill(1, t * rowStride + offset + h * headDim, t * rowStride + offset + h * headDim + half);
  const rotated = await runRotation(gpu, forward, units, positions, shape, frequencies);
  const cos = new Float32Array(tokens * heads * half);
  const sin = new Float32Array(tokens * heads * half);
  for (let t = 0; t < tokens; t++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < half; i++) {
        const base = t * rowStride + offset + h * headDim + i;
        cos[(t * heads + h) * half + i] = rotated[base];
        sin[(t * heads + h) * half + i] = rotated[base + half];
      }
  return { cos, sin };
}

/** f64 R^T dY with the given (cos, sin): the exact transpose of the rotation the forward applied. */
export function transposeRotation(
  gradient: Float32Array,
  rotation: { cos: Float32Array; sin: Float32Array },
  shape: RopeShape,
): Float64Array {
  const { tokens, heads, headDim } = shape;
  const half = headDim / 2;
  const rowStride = shape.rowStride ?? heads * headDim;
  const offset = shape.offset ?? 0;
  const out = Float64Array.from(gradient);
  for (let t = 0; t < tokens; t++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < half; i++) {
        const base = t * rowStride + offset + h * headDim + i;
        const c = rotation.cos[(t * heads + h) * half + i];
        const s = rotation.sin[(t * heads + h) * half + i];
        const [a, b] = [gradient[base], gradient[base + half]];
        out[base] = a * c + b * s;
        out[base + half] = b * c - a * s;
      }
  return out;
}
