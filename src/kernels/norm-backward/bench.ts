// Bench rows for the LayerNorm backward (rows pass + columns pass) at the tiny training model's
// shape (128 rows of d = 64) and GPT-2 small's (512 rows of d = 768).
// Baseline "wg256": the same two dispatches with 256 threads per row in the rows pass, the size
// the kernel used for every d before it chose one from d (../norm/row-workgroup.ts), so ratio =
// how much the choice saves. Both sides: one submission, awaited with onSubmittedWorkDone.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { dispatch, submitPass } from '../../gpu/dispatch';
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussianArray } from '../matmul/testing';
import { normWorkgroupSize } from '../norm/norm';
import { LayerNormBackwardKernel, normBackwardWorkspaceBytes } from './norm-backward';

const SHAPES = [
  { rows: 128, dim: 64 },
  { rows: 512, dim: 768 },
];
const EPS = 1e-5;
const COLUMN_WORKGROUP = 64;

function backwardCase(rows: number, dim: number): BenchCase {
  return {
    name: 'norm-backward/layer-norm',
    shape: `rows=${rows} d=${dim} threads=${normWorkgroupSize(dim)}`,
    baseline: 'wg256',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      const label = `norm-backward-bench:${rows}x${dim}`;
      const owned = [
        uploadStorage(gpu, gaussianArray(1, rows * dim), `${label}:dY`),
        uploadStorage(gpu, gaussianArray(2, rows * dim), `${label}:x`),
        uploadStorage(gpu, gaussianArray(3, dim), `${label}:gamma`),
        uploadStorage(gpu, new Float32Array(rows * dim), `${label}:dX`),
        uploadStorage(gpu, new Float32Array(dim), `${label}:dGamma`),
        uploadStorage(gpu, new Float32Array(dim), `${label}:dBeta`),
        uploadStorage(gpu, new Float32Array(normBackwardWorkspaceBytes(rows) / 4), `${label}:stats`),
      ];
      const [dy, x, gamma, dx, dGamma, dBeta, stats] = owned;
      const params = gpu.device.createBuffer({
        label: `${label}:wg256-params`,
        size: 32,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      owned.push(params);
      const block = new ArrayBuffer(32);
      new Uint32Array(block).set([rows, dim, 0, 0]);
      new Float32Array(block)[4] = EPS;
      gpu.device.queue.writeBuffer(params, 0, block);
      let kernel: LayerNormBackwardKernel;
      let wideRows: GPUComputePipeline;
      let columns: GPUComputePipeline;
      try {
        kernel = await LayerNormBackwardKernel.create(gpu, label);
        const shader = 'norm-backward.wgsl';
        [wideRows, columns] = await Promise.all([
          gpu.pipelines.get({
            shader,
            entryPoint: 'layerNormBackwardRows',
            constants: { WORKGROUP_SIZE: 256 },
          }),
          gpu.pipelines.get({
            shader,
            entryPoint: 'layerNormBackwardColumns',
            constants: { COLUMN_WORKGROUP },
          }),
        ]);
      } catch (error) {
        for (const buffer of owned) buffer.destroy();
        throw error;
      }
      const shape = { rows, dim };
      return {
        run: () =>
          submitPass(gpu, label, (pass) =>
            kernel.encode(pass, dy, x, gamma, dx, dGamma, dBeta, stats, shape, { eps: EPS }),
          ),
        runBaseline: () =>
          submitPass(gpu, `${label}:wg256`, (pass) => {
            dispatch(gpu, pass, wideRows, [dy, x, gamma, dx, stats, params], rows);
            const columnBuffers = [dy, x, stats, dGamma, dBeta, params];
            dispatch(gpu, pass, columns, columnBuffers, Math.ceil(dim / COLUMN_WORKGROUP));
          }),
        dispose() {
          kernel.destroy();
          for (const buffer of owned) buffer.destroy();
        },
      };
    },
  };
}

export const benchCases: BenchCase[] = SHAPES.map(({ rows, dim }) => backwardCase(rows, dim));
