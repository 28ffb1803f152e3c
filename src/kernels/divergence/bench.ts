// Bench rows for the row-divergence family: DoLa's per-token need (JS between the final layer and
// each premature layer) on the GPU with an 8-float-per-pair readback, against reading both logits
// buffers back and running the reference in JS.
import type { BenchCase } from '../../bench/types';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import { seededLogits, referenceDivergence } from './checks';
import { RowDivergence, type DivergenceArgs, type DivergencePair } from './divergence';

function jsCase(vocab: number, pairCount: number): BenchCase {
  return {
    name: 'divergence/js',
    shape: `V=${vocab} pairs=${pairCount}`,
    baseline: 'js-readback-loop',
    async setup(gpu) {
      // P: the final layer [1, V]; Q: one premature layer per pair [pairCount, V].
      const pData = seededLogits(1, vocab, [{ scale: 3 }]);
      const qData = seededLogits(
        2,
        vocab,
        Array.from({ length: pairCount }, () => ({ scale: 3 })),
      );
      const p = uploadStorage(gpu, pData, 'divergence-bench:p');
      const q = uploadStorage(gpu, qData, 'divergence-bench:q');
      const pairs: DivergencePair[] = Array.from({ length: pairCount }, (_, j) => [0, j] as const);
      const args: DivergenceArgs = { p, q, vocab, pRows: 1, qRows: pairCount, pairs };
      const divergence = await RowDivergence.create(gpu);
      await divergence.compute(args); // allocates this shape's plan outside the timed runs
      return {
        async run() {
          await divergence.compute(args);
        },
        async runBaseline() {
          const pHost = await readFloat32(gpu, p, vocab);
          const qHost = await readFloat32(gpu, q, pairCount * vocab);
          referenceDivergence(pHost, qHost, vocab, pairs);
        },
        dispose() {
          divergence.dispose();
          p.destroy();
          q.destroy();
        },
      };
    },
  };
}

export const benchCases: BenchCase[] = [50_257, 151_936].flatMap((vocab) => [
  jsCase(vocab, 1),
  jsCase(vocab, 8),
]);
