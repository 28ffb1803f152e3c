// Bench rows for the linear backward kernel at the FFN training shape T = 1024, d = 256, I = 1024
// (the up-projection: X [M, K] = [1024, 256], W 256 -> 1024, dY [M, N] = [1024, 1024]): the weight
// gradient dW = X^T dY (reduction over M) and the input gradient dX = dY W^T (reduction over N), in
// both weight layouts, one gradient per row.
// Baseline "forward-matmul": the forward MatmulKernel (tiled path) on a product of the same size,
// output [rows, cols] and inner length as the backward product, so ratio = forward ms / backward
// ms shows how close the backward comes to the forward (1 = as fast). For dX it is the very same
// product (W [K, N] "kn" read as a forward "nk" weight, and vice versa); for dW the forward cannot
// read X transposed, so it multiplies a [rows, M] matrix by a "kn" [M, cols] one of the same size.
// Both sides: one submission, awaited with onSubmittedWorkDone (outputs stay on the GPU).
// GFLOP/s = 2 M K N / median time of this case's backward runs (warm-up included; the harness
// keeps its medians to itself), printed in the shape column, which the harness reads after the runs.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { destroyWeight, uploadWeight, type MatmulWeight, type WeightLayout } from '../matmul/chunks';
import { MatmulKernel, type MatmulShape } from '../matmul/matmul';
import { gaussianArray } from '../matmul/testing';
import { LinearBackwardKernel, type LinearGradients, type LinearShape } from './backward-linear';

type Gradient = 'dW' | 'dX';

const SHAPE: LinearShape = { m: 1024, k: 256, n: 1024 };
const ROWS: { gradient: Gradient; layout: WeightLayout }[] = [
  { gradient: 'dW', layout: 'kn' },
  { gradient: 'dW', layout: 'nk' },
  { gradient: 'dX', layout: 'kn' },
  { gradient: 'dX', layout: 'nk' },
];

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The forward product of the baseline: its shape, and its X and W as data. */
interface ForwardProduct {
  shape: MatmulShape;
  x: Float32Array;
  w: Float32Array;
  layout: WeightLayout;
}

function forwardProduct(gradient: Gradient, layout: WeightLayout, w: Float32Array): ForwardProduct {
  const { m, k, n } = SHAPE;
  if (gradient === 'dX') {
    // dX [M, K] = dY [M, N] . W^T: a forward product with inner N and output K, W's layout flipped.
    return { shape: { m, k: n, n: k }, x: gaussianArray(7, m * n), w, layout: layout === 'kn' ? 'nk' : 'kn' };
  }
  // dW [rows, cols] with inner M: rows, cols = K, N ("kn") or N, K ("nk").
  const [rows, cols] = layout === 'kn' ? [k, n] : [n, k];
  return {
    shape: { m: rows, k: m, n: cols },
    x: gaussianArray(7, rows * m),
    w: gaussianArray(8, m * cols),
    layout: 'kn',
  };
}

function backwardCase(gradient: Gradient, layout: WeightLayout): BenchCase {
  const { m, k, n } = SHAPE;
  const samples: number[] = [];
  const base = `M=${m} K=${k} N=${n} ${layout}`;
  return {
    name: `backward-linear/${gradient}`,
    get shape() {
      if (samples.length === 0) return base;
      const gflops = (2 * m * n * k) / (median(samples) * 1e6);
      return `${base} ${gflops.toFixed(2)} GFLOP/s`;
    },
    baseline: 'forward-matmul',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      samples.length = 0;
      const label = `backward-linear-bench:${gradient} ${base}`;
      const wData = gaussianArray(3, k * n, 0.05);
      const owned = [
        uploadStorage(gpu, gaussianArray(1, m * n), `${label}:dY`),
        uploadStorage(gpu, gaussianArray(2, m * k), `${label}:x`),
        uploadStorage(gpu, wData, `${label}:w`),
      ];
      const [dY, x, w] = owned;
      const output = (size: number, what: string) => {
        const buffer = gpu.device.createBuffer({
          label: `${label}:${what}`,
          size,
          usage: GPUBufferUsage.STORAGE,
        });
        owned.push(buffer);
        return buffer;
      };
      const gradients: LinearGradients =
        gradient === 'dW'
          ? { weight: { buffer: output(k * n * 4, 'dW') } }
          : { input: { buffer: output(m * k * 4, 'dX') } };
      const forward = forwardProduct(gradient, layout, wData);
      const fm = forward.shape;
      const forwardX = uploadStorage(gpu, forward.x, `${label}:forward-x`);
      owned.push(forwardX);
      const forwardY = output(fm.m * fm.n * 4, 'forward-y');
      let forwardWeight: MatmulWeight | undefined;
      const kernels: { destroy(): void }[] = [];
      const dispose = () => {
        for (const kernel of kernels) kernel.destroy();
        if (forwardWeight) destroyWeight(forwardWeight);
        for (const buffer of owned) buffer.destroy();
      };
      let backward: LinearBackwardKernel;
      let matmul: MatmulKernel;
      try {
        forwardWeight = uploadWeight(gpu, forward.w, forward.layout, fm.n, fm.k, `${label}:forward-w`);
        backward = await LinearBackwardKernel.create(gpu, label);
        kernels.push(backward);
        matmul = await MatmulKernel.create(gpu, `${label}:forward`, { path: 'tiled', weightDtypes: ['f32'] });
        kernels.push(matmul);
      } catch (error) {
        dispose();
        throw error;
      }
      const weight = forwardWeight;
      const submit = async (encode: (pass: GPUComputePassEncoder) => void) => {
        const encoder = gpu.device.createCommandEncoder({ label });
        const pass = encoder.beginComputePass({ label });
        encode(pass);
        pass.end();
        gpu.device.queue.submit([encoder.finish()]);
        await gpu.device.queue.onSubmittedWorkDone();
      };
      return {
        async run() {
          const start = performance.now();
          await submit((pass) => backward.encode(pass, dY, x, { buffer: w, layout }, gradients, SHAPE));
          samples.push(performance.now() - start);
        },
        async runBaseline() {
          await submit((pass) => matmul.encode(pass, forwardX, weight, forwardY, fm));
        },
        dispose,
      };
    },
  };
}

export const benchCases: BenchCase[] = ROWS.map(({ gradient, layout }) => backwardCase(gradient, layout));
