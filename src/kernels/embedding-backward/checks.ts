// Kernel check panel entry for the embedding backward: a GPT-2-sized token table gradient split
// into uneven chunks and the position table with two sequences sharing positions, against the
// reference bit for bit (the kernel adds in the reference's order).
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import { readFloat32, uploadStorage } from '../../gpu/readback';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, GPT2_VOCAB, timeCpu } from '../logits/checks-support';
import { uploadWeight } from '../matmul/chunks';
import { gaussianArray } from '../matmul/testing';
import { EmbeddingBackwardKernel } from './embedding-backward';
import { groupTokensById, TokenGroupingBuffers } from './grouping';
import { embeddingBackwardReference } from './reference';
import { idsWithRepeats } from './testing';

const TOKENS = 256;
const DIM = 64;

async function embeddingBackwardCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'embedding-backward-check');
  try {
    const failures: string[] = [];
    const notes: string[] = [];
    let mainTiming: TimedResult = { ms: 0, source: 'wall-clock' };
    let mainCpu = 0;
    const cases = [
      {
        name: 'token table',
        rows: GPT2_VOCAB,
        ids: idsWithRepeats(1, TOKENS, GPT2_VOCAB),
        chunkRows: 20_000,
      },
      {
        name: 'position table',
        rows: 1024,
        ids: Uint32Array.from({ length: TOKENS }, (_, t) => t % 128),
        chunkRows: 1024,
      },
    ];
    for (const [index, { name, rows, ids, chunkRows }] of cases.entries()) {
      const kernel = resources.own(
        await EmbeddingBackwardKernel.create(gpu, `embedding-backward-check-${index}`),
      );
      const grouping = resources.own(
        new TokenGroupingBuffers(gpu, TOKENS, `embedding-backward-check:${index}`),
      );
      const dOutData = gaussianArray(index + 3, TOKENS * DIM);
      const dE0 = gaussianArray(index + 4, rows * DIM);
      const dOut = resources.own(uploadStorage(gpu, dOutData, `embedding-backward-check:${index}-dOut`));
      const table = uploadWeight(
        gpu,
        dE0,
        'nk',
        rows,
        DIM,
        `embedding-backward-check:${index}-dE`,
        chunkRows * DIM * 4,
      );
      for (const chunk of table.chunks) resources.own(chunk.buffer);
      grouping.write(groupTokensById(ids, rows));
      const timing = await timeComputePass(gpu, 'embedding-backward-check', (pass) =>
        kernel.encode(pass, grouping, dOut, table.chunks, { tokens: TOKENS, dim: DIM, rows }),
      );
      const cpu = timeCpu(() => embeddingBackwardReference(ids, dOutData, dE0, DIM));
      if (index === 0) [mainTiming, mainCpu] = [timing, cpu.ms];
      let mismatches = 0;
      let first = '';
      for (const chunk of table.chunks) {
        const got = await readFloat32(gpu, chunk.buffer, (chunk.end - chunk.start) * DIM);
        got.forEach((value, i) => {
          const want = cpu.value[chunk.start * DIM + i];
          if (!Object.is(value, want) && mismatches++ === 0) {
            const row = chunk.start + Math.floor(i / DIM);
            first = `dE[${row}, ${i % DIM}] GPU ${value} vs ref ${want}`;
          }
        });
      }
      if (mismatches > 0) failures.push(`${name}: ${mismatches} elements differ, first ${first}`);
      const unique = new Set(ids).size;
      notes.push(`${name} (${rows} rows in ${table.chunks.length} chunks, ${unique} unique ids): bit-exact`);
    }
    return checkResult(gpu, failures, `T ${TOKENS} d ${DIM}; ${notes.join('; ')}`, mainTiming, mainCpu);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'embedding-backward/scatter-add',
    family: 'embedding-backward',
    description:
      'Embedding backward as a deterministic gather over CPU-grouped ids: GPT-2 token table (50,257 rows in ' +
      'uneven chunks, repeated ids) and position table (sequences sharing positions), bit-exact against the reference',
    run: embeddingBackwardCheck,
  },
];
