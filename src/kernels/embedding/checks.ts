// Kernel check panel entry for the embedding lookup: a 50,257-row table split into uneven chunks,
// GPT-2 learned positions, and two out-of-range ids (zero rows, counted in the status buffer).
// A copy plus one f32 add, so the GPU must equal the reference exactly.
import { readFloat32, readUint32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { uploadWeight } from '../matmul/chunks';
import { gaussianArray } from '../matmul/testing';
import {
  clearEmbeddingStatus,
  EMBEDDING_STATUS_BYTES,
  EmbeddingKernel,
  parseEmbeddingStatus,
} from './embedding';
import { embeddingReference } from './reference';

const VOCAB = 50_257;
const DIM = 64;
const MAX_POSITIONS = 1024;
const IDS = [50_256, 0, 15_496, 50_257, 11, 30_000, 0xffffffff, 198];
const POSITIONS = [0, 1, 2, 3, 4, 1022, 1023, 7];

async function embeddingCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'embedding-check');
  try {
    const kernel = resources.own(await EmbeddingKernel.create(gpu, 'embedding-check'));
    const table = gaussianArray(21, VOCAB * DIM);
    const positionTable = gaussianArray(22, MAX_POSITIONS * DIM, 0.1);
    const chunks = uploadWeight(gpu, table, 'nk', VOCAB, DIM, 'embedding-check:E', 20_001 * DIM * 4).chunks;
    for (const chunk of chunks) resources.own(chunk.buffer);
    const ids = resources.own(uploadStorage(gpu, Uint32Array.from(IDS), 'embedding-check:ids'));
    const positions = resources.own(
      uploadStorage(gpu, Uint32Array.from(POSITIONS), 'embedding-check:positions'),
    );
    const positional = {
      table: resources.upload(positionTable, 'P'),
      positions,
      maxPositions: MAX_POSITIONS,
    };
    const output = resources.upload(new Float32Array(IDS.length * DIM).fill(NaN), 'output');
    const status = resources.storage(EMBEDDING_STATUS_BYTES, 'status');
    clearEmbeddingStatus(gpu, status);
    const shape = { tokens: IDS.length, dim: DIM, vocab: VOCAB };
    const timing = await timeComputePass(gpu, 'embedding-check', (pass) =>
      kernel.encode(pass, ids, chunks, output, status, shape, positional),
    );
    const got = await readFloat32(gpu, output, IDS.length * DIM);
    const flags = parseEmbeddingStatus(await readUint32(gpu, status, 4));
    const cpu = timeCpu(() =>
      embeddingReference(IDS, table, DIM, VOCAB, {
        positions: POSITIONS,
        table: positionTable,
        maxPositions: MAX_POSITIONS,
      }),
    );
    const failures: string[] = [];
    const wrong = got.findIndex((v, i) => !Object.is(v, cpu.value.out[i]));
    if (wrong >= 0)
      failures.push(
        `out[${Math.floor(wrong / DIM)}, ${wrong % DIM}]: GPU ${got[wrong]} vs ${cpu.value.out[wrong]}`,
      );
    if (flags.badIds !== 2 || flags.largestBadId !== 0xffffffff || flags.badPositions !== 0) {
      failures.push(
        `status ${JSON.stringify(flags)}: expected 2 bad ids, largest 4294967295, no bad positions`,
      );
    }
    const summary =
      `${IDS.length} tokens from a ${VOCAB}-row table in ${chunks.length} uneven chunks + learned positions: ` +
      'exact; ids 50257 and 2^32-1 give zero rows and are counted in the status buffer';
    return checkResult(gpu, failures, summary, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'embedding/lookup',
    family: 'embedding',
    description:
      'Token + learned position embedding from a 50,257-row table in uneven chunks, with out-of-range ids ' +
      '(zero rows and the GPU status flags), exact against the reference',
    run: embeddingCheck,
  },
];
