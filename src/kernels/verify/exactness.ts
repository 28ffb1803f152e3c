// The exactness experiment, shared by the reference's unit test and exactness.gpu.test.ts: a
// position-wise independent target (p_j does not depend on the prefix, so it is a valid model
// whose sequences are distributed as p_0 x p_1 x ...) and a draft q_j far from it (TV ~0.5),
// V = 6. Each trial draws its own drafts i.i.d. from q (the premise of speculative sampling and
// SpecTr), verifies them, and when the round ends after one token a second round (positions
// 1..K+1, fresh drafts and counters) supplies the second token, as decoding would. Chi-square
// goodness of fit then tests token 1 against p_0 and tokens (1, 2) against p_0(x) p_1(y).
import { seededRandom } from '../../testing/logits';
import { chiSquareTest, type ChiSquareResult } from './chi-square';
import { probabilities, rowDistribution } from './distributions';
import { verifyCounterSpan, type VerifyParams, type VerifyResult, type VerifyShape } from './params';
import type { VerifyLogits } from './reference';

export const EXACTNESS_VOCAB = 6;
export const EXACTNESS_TEMPERATURES = { target: 0.8, draft: 1.25 };

// p_j = softmax(TARGET[j] / 0.8), q_j = softmax(DRAFT[j] / 1.25): min p >= 0.062, TV(p_j, q_j)
// 0.47..0.55; token 5 has p_1 = 0 (-Infinity), so position 1 exercises "always reject".
const TARGET = [
  [1.0, 0.2, -0.4, 0.6, -0.1, 0.3],
  [0.1, 0.9, 0.5, -0.5, 0.4, -Infinity],
  [-0.3, 0.4, 1.0, 0.2, 0.6, -0.2],
  [0.5, -0.4, 0.3, 0.9, 0.0, 0.2],
  [0.2, 0.7, -0.2, 0.1, 1.0, 0.4],
  [0.8, 0.0, 0.5, -0.3, 0.3, 0.6],
];
const DRAFT = [
  [-1.0, 1.6, 1.2, -0.8, 0.4, 0.0],
  [1.4, -0.8, -0.4, 1.2, 0.2, 0.6],
  [1.2, -0.6, -1.0, 1.0, -0.4, 1.4],
  [-0.8, 1.4, 0.2, -1.2, 1.2, 0.6],
  [1.0, -1.0, 1.4, 0.6, -1.2, 0.2],
];

/** p_j or q_j as the kernel means them (softmax of the f32 logits at the experiment's temperatures). */
export function exactnessDistribution(which: 'target' | 'draft', position: number): Float64Array {
  const rows = which === 'target' ? TARGET : DRAFT;
  const temperature = EXACTNESS_TEMPERATURES[which];
  return probabilities(rowDistribution(Float32Array.from(rows[position]), temperature, which, position));
}

export interface ExactnessCase {
  draftLength: number;
  candidates: number;
  mode: 'sample' | 'greedy';
  /** false: deterministic draft (no draft logits); every trial drafts `lookupTokens`. */
  draftModel: boolean;
  trials: number;
  seed: number;
}

/** Runs one round of verification for every trial (the GPU kernel or the reference). */
export type VerifyRunner = (
  shape: VerifyShape,
  logits: VerifyLogits,
  draftTokens: number[],
  params: VerifyParams,
) => Promise<VerifyResult[]>;

function draw(random: () => number, probs: Float64Array): number {
  const u = random();
  let cumulative = 0;
  for (let x = 0; x < probs.length; x++) {
    cumulative += probs[x];
    if (u < cumulative) return x;
  }
  return probs.length - 1;
}

/** Logits rows of a round starting at absolute position `start`, and its drafts. */
function roundInputs(c: ExactnessCase, start: number, random: () => number) {
  const { draftLength: K, candidates: k, trials } = c;
  const V = EXACTNESS_VOCAB;
  const target = new Float32Array(k * (K + 1) * V);
  const draft = new Float32Array(k * K * V);
  for (let cand = 0; cand < k; cand++) {
    for (let j = 0; j <= K; j++) target.set(TARGET[start + j], (cand * (K + 1) + j) * V);
    for (let j = 0; j < K; j++) draft.set(DRAFT[start + j], (cand * K + j) * V);
  }
  const q = Array.from({ length: K }, (_, j) => exactnessDistribution('draft', start + j));
  // A deterministic draft proposes fixed tokens (candidate c: (2c + j) mod V) in every trial.
  const tokens = c.draftModel
    ? Array.from({ length: trials * k * K }, (_, i) => draw(random, q[i % K]))
    : Array.from({ length: k * K }, (_, i) => (2 * Math.floor(i / K) + (i % K)) % V);
  return { logits: c.draftModel ? { target, draft } : { target }, tokens };
}

export interface ExactnessOutcome {
  /** Token 1 against p_0. */
  first: ChiSquareResult;
  /** Tokens (1, 2) against p_0 x p_1. */
  joint: ChiSquareResult;
  rounds: [VerifyResult[], VerifyResult[]];
  /** The first round's drafts: [trials][k][K] for a draft model, [k][K] for a deterministic draft. */
  draftTokens: number[];
  /** Mean tokens emitted by the first round. */
  tokensPerRound: number;
}

export async function runExactness(run: VerifyRunner, c: ExactnessCase): Promise<ExactnessOutcome> {
  const shape: VerifyShape = { draftLength: c.draftLength, vocab: EXACTNESS_VOCAB, candidates: c.candidates, trials: c.trials }; // prettier-ignore
  const random = seededRandom(c.seed);
  const params = (counter: number): VerifyParams => ({
    mode: c.mode,
    targetTemperature: EXACTNESS_TEMPERATURES.target,
    draftTemperature: EXACTNESS_TEMPERATURES.draft,
    seed: c.seed,
    stream: 7,
    counter,
  });
  const one = roundInputs(c, 0, random);
  const first = await run(shape, one.logits, one.tokens, params(0));
  const two = roundInputs(c, 1, random);
  const second = await run(shape, two.logits, two.tokens, params(verifyCounterSpan(shape)));
  const V = EXACTNESS_VOCAB;
  const firstCounts = new Array<number>(V).fill(0);
  const jointCounts = new Array<number>(V * V).fill(0);
  first.forEach((r, t) => {
    const y1 = r.tokens[0];
    const y2 = r.tokens.length > 1 ? r.tokens[1] : second[t].tokens[0];
    firstCounts[y1]++;
    jointCounts[y1 * V + y2]++;
  });
  const p0 = exactnessDistribution('target', 0);
  const p1 = exactnessDistribution('target', 1);
  return {
    first: chiSquareTest(firstCounts, Array.from(p0)),
    joint: chiSquareTest(
      jointCounts,
      Array.from({ length: V * V }, (_, i) => p0[Math.floor(i / V)] * p1[i % V]),
    ),
    rounds: [first, second],
    draftTokens: one.tokens,
    tokensPerRound: first.reduce((sum, r) => sum + r.tokens.length, 0) / first.length,
  };
}

/** Greedy must follow argmax p_j exactly: returns the first trial of round 1 that does not, or null. */
export function greedyViolation(outcome: ExactnessOutcome, c: ExactnessCase): string | null {
  const { draftLength: K, candidates: k } = c;
  const perTrial = outcome.draftTokens.length > k * K;
  const argmax = (j: number) => {
    const p = exactnessDistribution('target', j);
    return p.indexOf(Math.max(...p));
  };
  for (const [t, r] of outcome.rounds[0].entries()) {
    const offset = perTrial ? t * k * K : 0;
    const drafts = Array.from({ length: k }, (_, cand) =>
      outcome.draftTokens.slice(offset + cand * K, offset + (cand + 1) * K),
    );
    const matched = drafts.map((d) => {
      let n = 0;
      while (n < d.length && d[n] === argmax(n)) n++;
      return n;
    });
    const best = Math.max(...matched);
    const path = Array.from({ length: best + 1 }, (_, j) => argmax(j));
    if (r.accepted !== best || r.candidate !== matched.indexOf(best) || r.tokens.join() !== path.join()) {
      return `trial ${t}: got accepted ${r.accepted}, candidate ${r.candidate}, tokens ${r.tokens}; argmax path ${path} (candidate ${matched.indexOf(best)})`;
    }
  }
  return null;
}
