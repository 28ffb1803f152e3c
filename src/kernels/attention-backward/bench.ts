// Bench rows for the attention backward (query + key/value pass in one submission): the tiny
// training Llama's shape (B 16 sequences of T 32, H 4, Hkv 2, D 24) and a longer one (B 2, T 256,
// H 4 = Hkv, D 64). The measured side is the default path (./path.ts: invocation per row for
// both); baseline "workgroup-per-row" is the other path of the same kernel on the same buffers,
// the only path before the invocation path existed. Both sides: one submission, awaited with
// onSubmittedWorkDone.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { submitPass } from '../../gpu/dispatch';
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussianArray } from '../matmul/testing';
import { AttentionBackwardKernel } from './attention-backward';
import { attentionBackwardPath } from './path';
import type { AttentionBackwardShape } from './reference';

const SHAPES: AttentionBackwardShape[] = [
  { batch: 16, tokens: 32, numHeads: 4, numKvHeads: 2, headDim: 24 },
  { batch: 2, tokens: 256, numHeads: 4, numKvHeads: 4, headDim: 64 },
];

function backwardCase(shape: AttentionBackwardShape): BenchCase {
  const { tokens: T, numHeads: H, numKvHeads: Hkv, headDim: D } = shape;
  const B = shape.batch ?? 1;
  const path = attentionBackwardPath(shape);
  return {
    name: `attention-backward/${path}`,
    shape: `B=${B} T=${T} H=${H} Hkv=${Hkv} D=${D}`,
    baseline: 'workgroup-per-row',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      const label = `attention-backward-bench:${B}x${T}x${D}`;
      const queryCount = B * T * H * D;
      const kvCount = B * T * Hkv * D;
      const owned = [
        uploadStorage(gpu, gaussianArray(1, queryCount, 1.5), `${label}:q`),
        uploadStorage(gpu, gaussianArray(2, kvCount, 1.5), `${label}:k`),
        uploadStorage(gpu, gaussianArray(3, kvCount), `${label}:v`),
        uploadStorage(gpu, gaussianArray(4, queryCount), `${label}:do`),
        uploadStorage(gpu, new Float32Array(queryCount), `${label}:dq`),
        uploadStorage(gpu, new Float32Array(kvCount), `${label}:dk`),
        uploadStorage(gpu, new Float32Array(kvCount), `${label}:dv`),
      ];
      const [query, key, value, outputGradient, queryGradient, keyGradient, valueGradient] = owned;
      const buffers = { query, key, value, outputGradient, queryGradient, keyGradient, valueGradient };
      let kernel: AttentionBackwardKernel;
      try {
        kernel = await AttentionBackwardKernel.create(gpu, label);
      } catch (error) {
        for (const buffer of owned) buffer.destroy();
        throw error;
      }
      return {
        run: () => submitPass(gpu, label, (pass) => kernel.encode(pass, buffers, shape, path)),
        runBaseline: () =>
          submitPass(gpu, `${label}:workgroup`, (pass) =>
            kernel.encode(pass, buffers, shape, 'workgroup-per-row'),
          ),
        dispose() {
          kernel.destroy();
          for (const buffer of owned) buffer.destroy();
        },
      };
    },
  };
}

export const benchCases: BenchCase[] = SHAPES.map(backwardCase);
