// Backward of RoPE (src/kernels/rope/rope.ts). The forward rotates each pair
// (x[i], x[i + D/2]) by R(angle); R is orthogonal, so dX = R(angle)^T dY = R(-angle) dY:
//
//   dX[i]       = dY[i] cos(angle) + dY[i + D/2] sin(angle)
//   dX[i + D/2] = dY[i + D/2] cos(angle) - dY[i] sin(angle)
//
// In place on the gradient buffer, with exactly the forward's layout, options, validation and
// turn table: this is the forward kernel running its `ropeBackward` entry point
// (shaders/rope.wgsl), so the (sin, cos) are bit for bit the forward's and the result is exactly
// the transpose of what the forward applied. Spec: ./reference.ts.
import type { Gpu } from '../../gpu/runtime';
import { RopeKernel } from '../rope/rope';

export class RopeBackwardKernel extends RopeKernel {
  static override async create(gpu: Gpu, label = 'rope-backward'): Promise<RopeBackwardKernel> {
    const [device, pipeline, uniforms, turns] = await RopeKernel.resources(gpu, label, 'ropeBackward');
    return new RopeBackwardKernel(device, pipeline, uniforms, turns, {
      kernel: 'rope backward',
      buffer: 'gradient',
    });
  }
}
