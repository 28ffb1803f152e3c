// Shared by the verify tests and Kernel checks: seeded hard inputs and a runner that uploads them.
import { uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { gaussian, makeRow, seededRandom, type LogitKind } from '../../testing/logits';
import { probabilities, rowDistribution } from './distributions';
import type { VerifyParams, VerifyResult, VerifyShape } from './params';
import type { VerifyLogits } from './reference';
import type { VerifyKernel } from './verify';

export interface HardCaseSpec {
  draftLength: number;
  vocab: number;
  candidates?: number;
  /** Kind of target row (c, j): kinds[(c + j) % kinds.length]. */
  kinds: readonly LogitKind[];
  /** 'model': draft = target + noise * N(0, 1) per entry (0: q == p); 'lookup': no draft logits. */
  draft: 'model' | 'lookup';
  noise?: number;
  /** Candidate 1 repeats candidate 0's first tokens (duplicates count as separate draws). */
  duplicate?: boolean;
}

export interface HardCase {
  shape: VerifyShape;
  logits: VerifyLogits;
  draftTokens: number[];
}

function drawFrom(random: () => number, probs: Float64Array): number {
  const u = random();
  let cumulative = 0;
  let last = 0;
  for (let x = 0; x < probs.length; x++) {
    if (probs[x] === 0) continue;
    cumulative += probs[x];
    last = x;
    if (u < cumulative) return x;
  }
  return last;
}

/**
 * Target rows [k][K+1][V] of the given kinds; draft rows near them; drafted tokens drawn from q
 * (or from p for a deterministic draft), so acceptance runs deep and rejections still happen.
 */
export function hardVerifyCase(seed: number, spec: HardCaseSpec, trials = 1): HardCase {
  const { draftLength: K, vocab: V, kinds } = spec;
  const k = spec.candidates ?? 1;
  const random = seededRandom(seed);
  const target = new Float32Array(k * (K + 1) * V);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j <= K; j++) target.set(makeRow(random, V, kinds[(c + j) % kinds.length]), (c * (K + 1) + j) * V); // prettier-ignore
  }
  let draft: Float32Array | undefined;
  if (spec.draft === 'model') {
    draft = new Float32Array(k * K * V);
    const noise = spec.noise ?? 1;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < K; j++) {
        const from = (c * (K + 1) + j) * V;
        for (let x = 0; x < V; x++) {
          const l = target[from + x];
          draft[(c * K + j) * V + x] = l === -Infinity ? l : l + noise * Math.max(1, Math.abs(l) * 1e-3) * gaussian(random); // prettier-ignore
        }
      }
    }
  }
  const tokens: number[] = [];
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < K; j++) {
      const rows = draft ?? target;
      const row = draft ? c * K + j : c * (K + 1) + j;
      const probs = probabilities(rowDistribution(rows.subarray(row * V, (row + 1) * V), 1, 'draft', row));
      tokens.push(spec.duplicate && c === 1 && j < 2 ? tokens[j] : drawFrom(random, probs));
    }
  }
  return {
    shape: { draftLength: K, vocab: V, candidates: k, trials },
    logits: { target, draft },
    draftTokens: tokens,
  };
}

export const SAMPLE_PARAMS: VerifyParams = {
  mode: 'sample',
  targetTemperature: 1,
  draftTemperature: 1,
  seed: 0x5eed_1234,
  stream: 3,
  counter: 1000,
};

/** Uploads the logits, runs the kernel once, releases the uploads. */
export async function runOnGpu(
  gpu: Gpu,
  kernel: VerifyKernel,
  logits: VerifyLogits,
  draftTokens: readonly number[],
  params: VerifyParams,
): Promise<VerifyResult[]> {
  const target = uploadStorage(gpu, logits.target, 'verify-test:target');
  const draft = logits.draft ? uploadStorage(gpu, logits.draft, 'verify-test:draft') : undefined;
  try {
    return await kernel.run({ target, draft, draftTokens }, params);
  } finally {
    target.destroy();
    draft?.destroy();
  }
}
