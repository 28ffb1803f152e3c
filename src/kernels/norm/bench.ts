// Bench rows for LayerNorm: the tiny training model's shape (128 rows of d = 64) and GPT-2 small's
// (512 rows of d = 768), forward alone and fused with the residual add.
// Baseline "wg256": the same shader and buffers with 256 threads per row, the size the kernel
// used for every d before it chose one from d (./row-workgroup.ts), so ratio = how much the
// choice saves. Both sides: one submission, awaited with onSubmittedWorkDone.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { dispatch, submitPass } from '../../gpu/dispatch';
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussianArray } from '../matmul/testing';
import { LayerNormKernel, normWorkgroupSize } from './norm';

const SHAPES = [
  { rows: 128, dim: 64 },
  { rows: 512, dim: 768 },
];
const EPS = 1e-5;

function layerNormCase(rows: number, dim: number, fused: boolean): BenchCase {
  return {
    name: fused ? 'norm/layer-norm-residual' : 'norm/layer-norm',
    shape: `rows=${rows} d=${dim} threads=${normWorkgroupSize(dim)}`,
    baseline: 'wg256',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      const label = `norm-bench:${rows}x${dim}`;
      const owned = [
        uploadStorage(gpu, gaussianArray(1, rows * dim), `${label}:x`),
        uploadStorage(gpu, gaussianArray(2, rows * dim), `${label}:delta`),
        uploadStorage(gpu, gaussianArray(3, dim), `${label}:gamma`),
        uploadStorage(gpu, gaussianArray(4, dim), `${label}:beta`),
        uploadStorage(gpu, new Float32Array(rows * dim), `${label}:out`),
      ];
      const [x, delta, gamma, beta, out] = owned;
      const params = gpu.device.createBuffer({
        label: `${label}:wg256-params`,
        size: 32,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      owned.push(params);
      const block = new ArrayBuffer(32);
      new Uint32Array(block).set([rows, dim, fused ? 1 : 0, 0]);
      new Float32Array(block)[4] = EPS;
      gpu.device.queue.writeBuffer(params, 0, block);
      let kernel: LayerNormKernel;
      let wide: GPUComputePipeline;
      try {
        kernel = await LayerNormKernel.create(gpu, label);
        wide = await gpu.pipelines.get({
          shader: 'norm.wgsl',
          entryPoint: 'layerNorm',
          constants: { WORKGROUP_SIZE: 256 },
        });
      } catch (error) {
        for (const buffer of owned) buffer.destroy();
        throw error;
      }
      const shape = { rows, dim };
      return {
        run: () =>
          submitPass(gpu, label, (pass) => {
            if (fused) kernel.encodeResidual(pass, x, delta, gamma, beta, out, shape, EPS);
            else kernel.encode(pass, x, gamma, beta, out, shape, EPS);
          }),
        runBaseline: () =>
          submitPass(gpu, `${label}:wg256`, (pass) =>
            dispatch(gpu, pass, wide, [x, delta, gamma, beta, out, params], rows),
          ),
        dispose() {
          kernel.destroy();
          for (const buffer of owned) buffer.destroy();
        },
      };
    },
  };
}

export const benchCases: BenchCase[] = SHAPES.flatMap(({ rows, dim }) => [
  layerNormCase(rows, dim, false),
  layerNormCase(rows, dim, true),
]);
