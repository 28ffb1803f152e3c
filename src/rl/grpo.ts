// GRPO: Shao et al., "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language
// Models" (2024), Group Relative Policy Optimization with outcome rewards.
//
// G rollouts o_1..o_G per prompt (a group), rewards r_i, advantages shared by all tokens of o_i:
//   A_i = (r_i - mean(r)) / (std(r) + eps)
// std is the sample standard deviation (n - 1, as torch.std in TRL's and verl's GRPO) and eps = 1e-4
// (TRL's). A degenerate group (all rewards equal) gets A = 0 exactly, never 0/0 (checked, not left
// to rounding: the mean of equal floats need not equal them). With rho = pi(o_t)/pi_old(o_t) and the
// k3 estimator of KL(pi || ref) per token, kl_t = ref_t/pi_t - log(ref_t/pi_t) - 1, the loss is
//   L = -(1/R) sum_i (1/|o_i|) sum_t [ min(rho A, clip(rho, 1-eps_c, 1+eps_c) A) - beta kl_t ]
// over the R rollouts of the step (equal-size groups make this the paper's mean over prompts of the
// mean over G). Per token, d/dlogp of the bracket is rho A where the min picks the unclipped term,
// and 0 where it picks the clipped one (A > 0 and rho > 1+eps_c, or A < 0 and rho < 1-eps_c); the
// KL part is d kl_t / dlogp_t = 1 - ref_t/pi_t. So
//   w_t = [ -(clipped ? 0 : rho A) + beta (1 - exp(logref_t - logp_t)) ] / (R |o_i|).
// Defaults: beta = 0.04 as in the paper (which samples G = 64), eps_c = 0.2 (PPO's usual value; the
// paper does not restate it). oldLogProbs null means one update per batch of rollouts, the paper's
// setting: pi_old = sg(pi), so rho = 1 and the loss is evaluated with old = the current logp.
// Rollout rewards and old/reference log-probs are inputs computed before the step.
import type { TokenBatch } from '../training/types';
import { ObjectiveInputError, requireInRange, requireNonNegative } from './errors';
import {
  checkAligned,
  checkSequence,
  makeObjective,
  requireLogProbs,
  responsePositions,
  zeroWeights,
  type LogProbs,
  type RlObjective,
  type SequenceIndex,
} from './objective';

export const GRPO_CLIP_EPSILON = 0.2;
export const GRPO_KL_BETA = 0.04;
export const GRPO_ADVANTAGE_EPSILON = 1e-4;

export interface Rollout {
  sequence: SequenceIndex;
  /** Rollouts of the same prompt share a group id. */
  group: number;
  reward: number;
}

export interface GrpoOptions {
  rollouts: readonly Rollout[];
  /** log pi_old per token, one [B * T] array per micro-batch; null: the current policy's (rho = 1). */
  oldLogProbs?: readonly LogProbs[] | null;
  /** log ref per token from the frozen reference model; required when klBeta > 0. */
  referenceLogProbs?: readonly LogProbs[] | null;
  clipEpsilon?: number;
  klBeta?: number;
  advantageEpsilon?: number;
}

/** Rollout indices per group id, in first-seen order. */
export function groupsOf(rollouts: readonly Rollout[]): number[][] {
  const groups = new Map<number, number[]>();
  rollouts.forEach((r, i) => groups.set(r.group, [...(groups.get(r.group) ?? []), i]));
  return [...groups.values()];
}

export function validateRollouts(name: string, rollouts: readonly Rollout[]): void {
  if (rollouts.length === 0)
    throw new ObjectiveInputError(`${name}: no rollouts; sample a group of G >= 2 per prompt`);
  rollouts.forEach((r, i) => {
    if (!Number.isFinite(r.reward)) {
      throw new ObjectiveInputError(`${name}: rollout ${i} has reward ${r.reward}; rewards must be finite`);
    }
  });
  for (const members of groupsOf(rollouts)) {
    if (members.length < 2) {
      throw new ObjectiveInputError(
        `${name}: group ${rollouts[members[0]].group} has ${members.length} rollout; group size must be at least 2 (the paper uses 64)`,
      );
    }
  }
}

/** A_i = (r_i - mean) / (std + eps) within each group; 0 for every member of a degenerate group. */
export function groupAdvantages(
  rollouts: readonly Rollout[],
  epsilon = GRPO_ADVANTAGE_EPSILON,
): Float64Array {
  validateRollouts('grpo advantages', rollouts);
  requireNonNegative('grpo', 'advantage epsilon', epsilon);
  const out = new Float64Array(rollouts.length);
  for (const members of groupsOf(rollouts)) {
    const rewards = members.map((i) => rollouts[i].reward);
    if (rewards.every((r) => r === rewards[0])) continue;
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const variance = rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (rewards.length - 1);
    const std = Math.sqrt(variance);
    members.forEach((i, k) => (out[i] = (rewards[k] - mean) / (std + epsilon)));
  }
  return out;
}

export interface SurrogateSettings {
  clipEpsilon: number;
  klBeta: number;
}

/** Everything the clipped objective needs besides the current log-probs. */
export interface SurrogateInputs extends SurrogateSettings {
  rollouts: readonly Rollout[];
  /** Per rollout, the advantage of each response position in order (length |o_i|). */
  advantages: readonly Float64Array[];
  oldLogProbs: readonly LogProbs[];
  referenceLogProbs: readonly LogProbs[] | null;
}

interface TokenTerm {
  batch: number;
  index: number;
  /** 1 / (R |o_i|). */
  scale: number;
  advantage: number;
}

function tokenTerms(batches: readonly TokenBatch[], inputs: SurrogateInputs): TokenTerm[] {
  const terms: TokenTerm[] = [];
  inputs.rollouts.forEach((r, i) => {
    const positions = responsePositions(batches[r.sequence.batch], r.sequence.row);
    const scale = 1 / (inputs.rollouts.length * positions.length);
    positions.forEach((index, k) =>
      terms.push({ batch: r.sequence.batch, index, scale, advantage: inputs.advantages[i][k] }),
    );
  });
  return terms;
}

function tokenParts(term: TokenTerm, logProbs: readonly LogProbs[], inputs: SurrogateInputs) {
  const logp = logProbs[term.batch][term.index];
  const ratio = Math.exp(logp - inputs.oldLogProbs[term.batch][term.index]);
  const a = term.advantage;
  const low = 1 - inputs.clipEpsilon;
  const high = 1 + inputs.clipEpsilon;
  const clipped = (a > 0 && ratio > high) || (a < 0 && ratio < low);
  const surrogate = Math.min(ratio * a, Math.min(Math.max(ratio, low), high) * a);
  const refMinusLogp = inputs.referenceLogProbs ? inputs.referenceLogProbs[term.batch][term.index] - logp : 0;
  const kl = inputs.referenceLogProbs ? Math.exp(refMinusLogp) - refMinusLogp - 1 : 0;
  return { ratio, clipped, surrogate, refMinusLogp, kl };
}

export function clippedSurrogateLoss(
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[],
  inputs: SurrogateInputs,
): number {
  let loss = 0;
  for (const term of tokenTerms(batches, inputs)) {
    const { surrogate, kl } = tokenParts(term, logProbs, inputs);
    loss -= term.scale * (surrogate - inputs.klBeta * kl);
  }
  return loss;
}

export function clippedSurrogateWeights(
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[],
  inputs: SurrogateInputs,
): Float64Array[] {
  const weights = zeroWeights(batches);
  for (const term of tokenTerms(batches, inputs)) {
    const { ratio, clipped, refMinusLogp } = tokenParts(term, logProbs, inputs);
    const policy = clipped ? 0 : ratio * term.advantage;
    const kl = inputs.referenceLogProbs ? inputs.klBeta * (1 - Math.exp(refMinusLogp)) : 0;
    weights[term.batch][term.index] += term.scale * (-policy + kl);
  }
  return weights;
}

export function validateSurrogateSettings(name: string, options: GrpoOptions): SurrogateSettings {
  const clipEpsilon = options.clipEpsilon ?? GRPO_CLIP_EPSILON;
  const klBeta = options.klBeta ?? GRPO_KL_BETA;
  requireInRange(
    name,
    'clip epsilon',
    clipEpsilon,
    { min: 0, minIncluded: false, max: 1, maxIncluded: false },
    '0.2 is the usual value',
  );
  requireNonNegative(name, 'KL beta', klBeta, 'the paper uses 0.04; 0 switches the KL penalty off');
  if (klBeta > 0 && !options.referenceLogProbs) {
    throw new ObjectiveInputError(
      `${name}: KL beta is ${klBeta} but no reference log-probs were given; compute them with the frozen reference model or set KL beta to 0`,
    );
  }
  return { clipEpsilon, klBeta };
}

/** Checks the rollouts against the step's micro-batches and assembles the surrogate's inputs. */
export function surrogateInputs(
  name: string,
  options: GrpoOptions,
  batches: readonly TokenBatch[],
  current: readonly LogProbs[],
  advantages: readonly Float64Array[],
): SurrogateInputs {
  const settings = validateSurrogateSettings(name, options);
  const seen = new Set<string>();
  options.rollouts.forEach((r, i) => {
    checkSequence(name, batches, r.sequence, `rollout ${i}`);
    const key = `${r.sequence.batch}/${r.sequence.row}`;
    if (seen.has(key)) throw new ObjectiveInputError(`${name}: rollout ${i} repeats sequence ${key}`);
    seen.add(key);
  });
  if (options.oldLogProbs) checkAligned(name, batches, options.oldLogProbs, 'old log-probs');
  if (options.referenceLogProbs)
    checkAligned(name, batches, options.referenceLogProbs, 'reference log-probs');
  return {
    ...settings,
    rollouts: options.rollouts,
    advantages,
    oldLogProbs: options.oldLogProbs ?? current,
    referenceLogProbs: settings.klBeta > 0 ? (options.referenceLogProbs ?? null) : null,
  };
}

/**
 * The clipped-ratio objective with per-token advantages from `advantagesFor` (GRPO: the rollout's
 * A_i at every token; TEMPO: plus the tree's corrections). Shared by ./grpo.ts and ./tempo.ts.
 */
export function clippedObjective(
  name: string,
  options: GrpoOptions,
  advantagesFor: (batches: readonly TokenBatch[]) => Float64Array[],
): RlObjective {
  validateSurrogateSettings(name, options);
  validateRollouts(name, options.rollouts);
  const inputsFor = (batches: readonly TokenBatch[], current: readonly LogProbs[]) =>
    surrogateInputs(name, options, batches, current, advantagesFor(batches));
  return makeObjective(
    name,
    true,
    (batches, logProbs) => {
      const lp = requireLogProbs(name, batches, logProbs);
      return clippedSurrogateWeights(batches, lp, inputsFor(batches, lp));
    },
    (batches, logProbs) => clippedSurrogateLoss(batches, logProbs, inputsFor(batches, logProbs)),
  );
}

export interface RolloutStatistics {
  meanReward: number;
  /** Mean k3 estimate of KL(pi || ref) per response token; null without reference log-probs. */
  meanKl: number | null;
  /** Share of response tokens whose ratio the min clipped (their policy gradient is 0). */
  clipFraction: number;
  meanResponseLength: number;
}

/** What the workbench charts for a step of GRPO or TEMPO, from the step's log-probs. */
export function rolloutStatistics(
  batches: readonly TokenBatch[],
  logProbs: readonly LogProbs[],
  options: GrpoOptions,
  advantages: readonly Float64Array[],
): RolloutStatistics {
  const name = 'rollout statistics';
  const inputs = surrogateInputs(name, { ...options, klBeta: 0 }, batches, logProbs, advantages);
  const terms = tokenTerms(batches, inputs);
  let clipped = 0;
  let kl = 0;
  const reference = options.referenceLogProbs ?? null;
  for (const term of terms) {
    if (tokenParts(term, logProbs, inputs).clipped) clipped++;
    if (reference) {
      const d = reference[term.batch][term.index] - logProbs[term.batch][term.index];
      kl += Math.exp(d) - d - 1;
    }
  }
  const rollouts = options.rollouts;
  return {
    meanReward: rollouts.reduce((a, r) => a + r.reward, 0) / rollouts.length,
    meanKl: reference ? kl / terms.length : null,
    clipFraction: clipped / terms.length,
    meanResponseLength: terms.length / rollouts.length,
  };
}

/** Per rollout, A_i repeated over its response positions (what the advantage heatmap shows for GRPO). */
export function grpoTokenAdvantages(
  batches: readonly TokenBatch[],
  rollouts: readonly Rollout[],
  epsilon = GRPO_ADVANTAGE_EPSILON,
): Float64Array[] {
  const advantages = groupAdvantages(rollouts, epsilon);
  return rollouts.map((r, i) =>
    new Float64Array(responsePositions(batches[r.sequence.batch], r.sequence.row).length).fill(advantages[i]),
  );
}

export function grpoObjective(options: GrpoOptions): RlObjective {
  const epsilon = options.advantageEpsilon ?? GRPO_ADVANTAGE_EPSILON;
  return clippedObjective('grpo', options, (batches) =>
    grpoTokenAdvantages(batches, options.rollouts, epsilon),
  );
}
