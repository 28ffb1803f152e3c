// The speculative verification API (types) and its validation, shared by the GPU kernel
// (./verify.ts) and the CPU reference (./reference.ts) so both refuse the same inputs with the
// same messages. Every message names the value, the allowed range and what to do.
import { KernelInputError } from '../../gpu/errors';
import { seedFromNumber, type Seed } from '../random/philox';

export const MAX_DRAFT_LENGTH = 16;
export const MAX_CANDIDATES = 8;
export const MAX_VERIFY_VOCAB = 262_144;
/** One workgroup per trial: WebGPU's default maxComputeWorkgroupsPerDimension. */
export const MAX_TRIALS = 65_535;
/** rho is searched on the grid n / 2^20 (see shaders/speculative-verify.wgsl). */
export const RHO_UNITS = 2 ** 20;

export interface VerifyShape {
  /** K, drafted tokens per candidate: 1..16. */
  draftLength: number;
  /** Vocabulary size: 1..262,144. */
  vocab: number;
  /** SpecTr: k i.i.d. draft sequences (1..8); 1 = plain speculative sampling. */
  candidates?: number;
  /**
   * Independent verifications of the same inputs with different random counters in one dispatch
   * (1..65,535; tests use thousands for statistical power).
   */
  trials?: number;
}

export interface VerifyParams {
  mode: 'sample' | 'greedy';
  /** p = softmax(targetLogits / T), T > 0. */
  targetTemperature: number;
  /** q = softmax(draftLogits / T), T > 0. */
  draftTemperature: number;
  /** Philox seed (a non-negative integer, seedFromNumber). */
  seed: number;
  /** Philox stream (e.g. the lane id). */
  stream: number;
  /** Philox counter base of this round; a run consumes verifyCounterSpan(shape) counters. */
  counter: number;
  /**
   * SpecTr k-sequential selection parameter in [1, candidates]. Unset: the paper's rho*, the
   * smallest valid rho at every position. Set: a floor, rho = max(rho, rho*) at every position
   * (a smaller rho would make the residual negative and the output no longer the target's).
   */
  rho?: number;
}

export interface VerifyInputs {
  /** Logits rows [candidates][K+1][V] f32 from targetRowOffset: row c(K+1)+j follows draft c's first j tokens. */
  target: GPUBuffer;
  targetRowOffset?: number;
  /** Logits rows [candidates][K][V] f32 from draftRowOffset; absent = deterministic draft (q one-hot). */
  draft?: GPUBuffer;
  draftRowOffset?: number;
  /**
   * [candidates][K] drafted tokens, or [trials][candidates][K]: one draft per trial (tests whose
   * logits do not depend on the prefix, e.g. exactness tests drawing drafts i.i.d. from q).
   */
  draftTokens: readonly number[];
}

export interface VerifyResult {
  /** Drafted tokens accepted, 0..K. */
  accepted: number;
  /** The accepted tokens, then exactly one more: the correction, or the bonus token. */
  tokens: number[];
  /** All K were accepted and the extra token came from p_K. */
  bonus: boolean;
  /** SpecTr: the draft sequence whose prefix was accepted (the lowest such index; 0 for k = 1). */
  candidate: number;
  /** Target / draft probability of the candidate's token at each position up to the first rejection. */
  p: number[];
  /** q = 1 for a deterministic draft. */
  q: number[];
  /** SpecTr with a draft model (candidates > 1, mode 'sample'): the rho used at each of those positions. */
  rho?: number[];
}

export interface ResolvedShape {
  draftLength: number;
  vocab: number;
  candidates: number;
  trials: number;
}

export interface ResolvedParams {
  greedy: boolean;
  targetTemperature: number;
  draftTemperature: number;
  seed: Seed;
  stream: number;
  counter: number;
  /** ceil(rho * 2^20); 2^20 (rho = 1) when unset. */
  rhoFloorUnits: number;
}

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

function checkRange(name: string, value: unknown, min: number, max: number, hint = ''): number {
  if (!isInt(value) || value < min || value > max) {
    throw new KernelInputError(
      `verify: ${name} must be an integer in ${min}..${max}, got ${String(value)}${hint}`,
    );
  }
  return value;
}

export function resolveShape(shape: VerifyShape): ResolvedShape {
  return {
    draftLength: checkRange('draftLength (K)', shape.draftLength, 1, MAX_DRAFT_LENGTH),
    vocab: checkRange('vocab', shape.vocab, 1, MAX_VERIFY_VOCAB),
    candidates: checkRange('candidates (SpecTr k)', shape.candidates ?? 1, 1, MAX_CANDIDATES),
    trials: checkRange('trials', shape.trials ?? 1, 1, MAX_TRIALS),
  };
}

/** Philox counters one run consumes: trials (K+1) (k+1); the runner advances `counter` by it. */
export function verifyCounterSpan(shape: VerifyShape): number {
  const { draftLength, candidates, trials } = resolveShape(shape);
  return trials * (draftLength + 1) * (candidates + 1);
}

function checkTemperature(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new KernelInputError(
      `verify: ${name} must be a finite number > 0, got ${String(value)}; ` +
        "for the argmax use mode 'greedy' rather than temperature 0",
    );
  }
  return value;
}

export function resolveParams(params: VerifyParams, shape: ResolvedShape): ResolvedParams {
  if (params.mode !== 'sample' && params.mode !== 'greedy') {
    throw new KernelInputError(`verify: mode must be 'sample' or 'greedy', got ${String(params.mode)}`);
  }
  const U32 = 0xffffffff;
  let seed: Seed;
  try {
    seed = seedFromNumber(params.seed);
  } catch (cause) {
    throw new KernelInputError(`verify: ${(cause as Error).message}`);
  }
  const stream = checkRange('stream', params.stream, 0, U32);
  const counter = checkRange('counter', params.counter, 0, U32);
  const span = shape.trials * (shape.draftLength + 1) * (shape.candidates + 1);
  if (counter + span - 1 > U32) {
    throw new KernelInputError(
      `verify: counters ${counter}..${counter + span - 1} (trials (K+1) (k+1) = ${span} per run) run past ` +
        '2^32-1; counters never wrap, so start lower or move to another stream',
    );
  }
  const k = shape.candidates;
  let rhoFloorUnits = RHO_UNITS;
  if (params.rho !== undefined) {
    const rho = params.rho;
    if (typeof rho !== 'number' || !Number.isFinite(rho) || rho < 1 || rho > k) {
      throw new KernelInputError(
        `verify: SpecTr rho must be a number in [1, candidates = ${k}], got ${String(rho)}; ` +
          "leave it unset for the paper's rho* (the smallest rho that keeps the output exact)",
      );
    }
    rhoFloorUnits = Math.ceil(rho * RHO_UNITS);
  }
  return {
    greedy: params.mode === 'greedy',
    targetTemperature: checkTemperature('targetTemperature', params.targetTemperature),
    draftTemperature: checkTemperature('draftTemperature', params.draftTemperature),
    seed,
    stream,
    counter,
    rhoFloorUnits,
  };
}

/** Checks the drafted tokens; returns whether they are per trial ([trials][k][K]). */
export function resolveDraftTokens(tokens: readonly number[], shape: ResolvedShape): boolean {
  const perRound = shape.candidates * shape.draftLength;
  const perTrial = perRound * shape.trials;
  if (tokens.length !== perRound && tokens.length !== perTrial) {
    throw new KernelInputError(
      `verify: got ${tokens.length} draft tokens; [candidates ${shape.candidates}][K ${shape.draftLength}] ` +
        `needs ${perRound}` +
        (shape.trials > 1 ? ` (or ${perTrial} for one draft per trial)` : ''),
    );
  }
  tokens.forEach((token, i) => {
    if (!isInt(token) || token < 0 || token >= shape.vocab) {
      throw new KernelInputError(
        `verify: draft token ${i} is ${String(token)}; the vocabulary has ids 0..${shape.vocab - 1}`,
      );
    }
  });
  return tokens.length !== perRound;
}

/** Checks a row offset; returns it (0 when unset). */
export function resolveRowOffset(name: string, offset: number | undefined): number {
  return checkRange(name, offset ?? 0, 0, 0xffffffff);
}
