// Bench rows for the matmul kernel at the engine's shapes: a GPT-2-shaped model with d = 256
// (c_attn 256 -> 768, "kn"; the tied head 256 -> 50,257, "nk") and Qwen2.5-0.5B's MLP
// up-projection (896 -> 4,864, "nk"), at M = 1 (decoding, GEMV path) and M = 64 (prefill, tiled,
// also with f16 weights); and at training shapes: a tiny model's c_fc (64 -> 256) at M = 48 and
// 128 (the 32- and 128-row tiles), and the FFN up-projection of backward-linear/bench.ts at M = 1024.
// Baseline "js-loop": the same product in a plain JavaScript i-k-j triple loop over Float32Arrays
// on the CPU (full shape). GPU side: one submission, awaited with onSubmittedWorkDone (the output
// stays on the GPU, as in the engine). GFLOP/s = 2 M N K / median GPU time of this case's runs
// (warm-up included, measured by the case itself: the harness keeps its medians to itself); it is
// printed in the shape column, which the harness reads after the runs.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { destroyWeight, uploadWeight, type WeightDtype, type WeightLayout } from './chunks';
import { matmulPath, MatmulKernel } from './matmul';
import { matmulJsLoop } from './reference';
import { gaussianArray } from './testing';

interface Shape {
  m: number;
  k: number;
  n: number;
  layout: WeightLayout;
  what: string;
  dtype?: WeightDtype;
}

const SHAPES: Shape[] = [
  ...[1, 64].flatMap((m) => [
    { m, k: 256, n: 768, layout: 'kn' as const, what: 'gpt2-d256 c_attn' },
    { m, k: 256, n: 50_257, layout: 'nk' as const, what: 'gpt2-d256 head' },
    { m, k: 896, n: 4_864, layout: 'nk' as const, what: 'qwen2.5-0.5b up' },
  ]),
  { m: 64, k: 896, n: 4_864, layout: 'nk', what: 'qwen2.5-0.5b up', dtype: 'f16' },
  // Training of tiny models: M = batch x tokens, d = 64, MLP 64 -> 256.
  { m: 48, k: 64, n: 256, layout: 'kn', what: 'tiny train c_fc' },
  { m: 128, k: 64, n: 256, layout: 'kn', what: 'tiny train c_fc' },
  // The FFN training shape of backward-linear/bench.ts (T = 1024, d = 256, I = 1024).
  { m: 1024, k: 256, n: 1024, layout: 'kn', what: 'ffn up, T=1024' },
  { m: 1024, k: 256, n: 1024, layout: 'nk', what: 'ffn up, T=1024' },
];

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function matmulCase({ m, k, n, layout, what, dtype = 'f32' }: Shape): BenchCase {
  const samples: number[] = [];
  const base = `M=${m} K=${k} N=${n} ${layout}${dtype === 'f16' ? ' f16' : ''} (${what})`;
  return {
    name: `matmul/${matmulPath(m)}`,
    get shape() {
      if (samples.length === 0) return base;
      const gflops = (2 * m * n * k) / (median(samples) * 1e6);
      return `${base} ${gflops.toFixed(2)} GFLOP/s`;
    },
    baseline: 'js-loop',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      samples.length = 0;
      const label = `matmul-bench:${base}`;
      const xData = gaussianArray(1, m * k);
      const wData = gaussianArray(2, n * k, 0.05);
      const x = uploadStorage(gpu, xData, `${label}:x`);
      const weight = uploadWeight(gpu, wData, layout, n, k, `${label}:w`, undefined, dtype);
      const y = gpu.device.createBuffer({
        label: `${label}:y`,
        size: m * n * 4,
        usage: GPUBufferUsage.STORAGE,
      });
      const dispose = () => {
        x.destroy();
        destroyWeight(weight);
        y.destroy();
      };
      let kernel: MatmulKernel;
      try {
        kernel = await MatmulKernel.create(gpu, label);
      } catch (error) {
        dispose();
        throw error;
      }
      // The JS loop streams W as [K, N]; an "nk" weight is transposed once here, outside the timing.
      const wKn = layout === 'kn' ? wData : transpose(wData, n, k);
      const yHost = new Float32Array(m * n);
      return {
        async run() {
          const start = performance.now();
          const encoder = gpu.device.createCommandEncoder({ label });
          const pass = encoder.beginComputePass({ label });
          kernel.encode(pass, x, weight, y, { m, k, n });
          pass.end();
          gpu.device.queue.submit([encoder.finish()]);
          await gpu.device.queue.onSubmittedWorkDone();
          samples.push(performance.now() - start);
        },
        async runBaseline() {
          matmulJsLoop(xData, wKn, yHost, m, k, n);
        },
        dispose() {
          kernel.destroy();
          dispose();
        },
      };
    },
  };
}

/** [rows, cols] -> [cols, rows]. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

export const benchCases: BenchCase[] = SHAPES.map(matmulCase);
