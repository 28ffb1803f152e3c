// SpecDec++ (Huang, Guo, Wang, "SpecDec++: Boosting Speculative Decoding via Adaptive Candidate
// Lengths", 2024, arXiv:2405.19715): choose the draft length K on the fly. The paper casts the
// choice as an MDP and shows the optimal policy is a threshold policy: keep drafting while the
// probability that at least one drafted token will be rejected stays below h, i.e. stop after
// draft k as soon as
//
//   P(some reject among 1..k) = 1 - prod_{i<=k} (1 - r_i) > h,
//
// where r_i is the predicted probability that draft i is rejected, given that the drafts before
// it were accepted. r_i comes from an acceptance prediction head on the draft model.
//
// The paper's head and training (its code, github.com/Kaffaljidhmah2/SpecDec_pp, train.py and
// wrap_model.py): a small ResNet (residual blocks x + SiLU(Linear(x)), 3 blocks in the released
// head, then Linear -> 2 logits) on the draft's last hidden state, trained offline with a
// weighted binary cross-entropy whose targets are SOFT labels, the true acceptance probability
// a_i = min(1, p(x_i)/q(x_i)):
//
//   L = [ w_rej (1 - a) (-log r) + a (-log(1 - r)) ] / (w_rej sum(1 - a) + sum(a))   per batch,
//
// with w_rej = 6 ("weight_mismatch", to balance the rarer rejections). At inference they keep K
// within a bound [2, 20] and sweep h (the README's example uses h = 0.3).
//
// Interpretations (ours, because the head is trained in the tab, online, with no draft hidden
// states exposed to the policy):
// - Inputs are five draft-side features of a drafted token (DraftFeatures), mapped to [0, 1]
//   by draftFeatureVector. The head is a linear path plus one SiLU hidden layer:
//     z = v . x + u . silu(W x + c) + b,   r = sigmoid(z)     (hidden = 0: logistic regression)
// - One SGD step per observed token on the per-example weighted loss
//     L = w_rej (1 - a) (-log r) + a (-log(1 - r)),
//   i.e. the paper's loss without the batch normaliser (a constant factor per batch). update()
//   takes the sampled outcome (a = 1 accepted, a = 0 rejected); updateSoft() takes the paper's
//   soft label min(1, p/q) when the runner has it.
// - The authors' generation code sets r = 0 for the first draft of a round because their head
//   reads the hidden state after a token is fed in; our features exist as soon as a token is
//   drafted, so every drafted token gets its own prediction.
// - stopDraftingWithBounds adds the paper's [min, max] bound around stopDrafting.
import { philoxUniform, seedFromNumber, type Seed } from '../../kernels/random/philox';
import {
  DRAFT_FEATURE_COUNT,
  checkDraftFeatures,
  draftFeatureVector,
  parameterCount,
  predictorGradient,
  predictorLogit,
  predictorLoss,
  type DraftFeatures,
} from './acceptance-head';
import { checkInteger, checkPositive, checkUnitInterval, sigmoid } from './validate';

export {
  DRAFT_FEATURE_COUNT,
  checkDraftFeatures,
  draftFeatureVector,
  parameterCount,
  predictorGradient,
  predictorLogit,
  predictorLoss,
  type DraftFeatures,
};

/** Values the SpecDec++ paper and its released code use. */
export const SPECDECPP_PAPER = {
  /** Loss weight of rejected tokens ("weight_mismatch"). */
  rejectWeight: 6,
  /** The README's example stop threshold h. */
  exampleThreshold: 0.3,
  /** Candidate-length bound [minDraft, maxDraft] used in the paper's runs. */
  minDraft: 2,
  maxDraft: 20,
} as const;

// predictReject stays inside (0, 1) so 1 - prod(1 - r) and log r stay meaningful.
const PROBABILITY_FLOOR = 1e-9;
// Philox stream of the head's initial weights ("SPDP").
const INIT_STREAM = 0x53504450;

export interface AcceptancePredictorOptions {
  /** SGD step size (default 0.1). */
  learningRate?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** SiLU hidden units; 0 makes the head a logistic regression (default 8). */
  hidden?: number;
  /** Loss weight of rejected tokens (default 6, the paper's). */
  rejectWeight?: number;
}

/** SpecDec++'s acceptance prediction head, trained online on (features, accepted?) pairs. */
export class AcceptancePredictor {
  readonly hidden: number;
  readonly learningRate: number;
  readonly rejectWeight: number;
  private readonly params: Float64Array;
  private readonly gradient: Float64Array;
  private readonly x = new Float64Array(DRAFT_FEATURE_COUNT);
  private count = 0;

  constructor(opts: AcceptancePredictorOptions = {}) {
    const where = 'AcceptancePredictor';
    this.learningRate = opts.learningRate ?? 0.1;
    this.hidden = opts.hidden ?? 8;
    this.rejectWeight = opts.rejectWeight ?? SPECDECPP_PAPER.rejectWeight;
    checkPositive(where, 'learningRate', this.learningRate);
    checkInteger(where, 'hidden', this.hidden, 0);
    checkPositive(where, 'rejectWeight', this.rejectWeight);
    const seed: Seed = seedFromNumber(opts.seed ?? 0);
    this.params = new Float64Array(parameterCount(this.hidden));
    this.gradient = new Float64Array(this.params.length);
    // Glorot-uniform W and u, zero c, v and b: the first predictions sit near 0.5 and the hidden
    // units start distinct, so they do not learn the same function.
    const d = DRAFT_FEATURE_COUNT;
    const wScale = Math.sqrt(6 / (d + Math.max(this.hidden, 1)));
    const uScale = Math.sqrt(6 / (this.hidden + 1));
    for (let i = 0; i < this.hidden * d; i++) {
      this.params[i] = wScale * (2 * philoxUniform(seed, INIT_STREAM, i) - 1);
    }
    const uOffset = this.hidden * d + this.hidden;
    for (let j = 0; j < this.hidden; j++) {
      this.params[uOffset + j] = uScale * (2 * philoxUniform(seed, INIT_STREAM, uOffset + j) - 1);
    }
  }

  /** SGD steps taken so far. */
  get updates(): number {
    return this.count;
  }

  /** Predicted probability, in (0, 1), that this drafted token is rejected. */
  predictReject(f: DraftFeatures): number {
    draftFeatureVector(f, this.x);
    const r = sigmoid(predictorLogit(this.params, this.hidden, this.x));
    return Math.min(1 - PROBABILITY_FLOOR, Math.max(PROBABILITY_FLOOR, r));
  }

  /** The per-example weighted loss of this token at the current weights (for display and tests). */
  loss(f: DraftFeatures, acceptProbability: number): number {
    checkUnitInterval('AcceptancePredictor.loss', 'acceptProbability', acceptProbability);
    return predictorLoss(
      this.params,
      this.hidden,
      draftFeatureVector(f, this.x),
      acceptProbability,
      this.rejectWeight,
    );
  }

  /** One SGD step on the weighted BCE with the sampled outcome as the label. */
  update(f: DraftFeatures, accepted: boolean): void {
    if (typeof accepted !== 'boolean') {
      throw new RangeError(`AcceptancePredictor.update: accepted must be a boolean, got ${String(accepted)}`);
    }
    this.step(f, accepted ? 1 : 0);
  }

  /** One SGD step with the paper's soft label a = min(1, p(x)/q(x)) in [0, 1]. */
  updateSoft(f: DraftFeatures, acceptProbability: number): void {
    checkUnitInterval('AcceptancePredictor.updateSoft', 'acceptProbability', acceptProbability);
    this.step(f, acceptProbability);
  }

  private step(f: DraftFeatures, a: number): void {
    draftFeatureVector(f, this.x);
    predictorGradient(this.params, this.hidden, this.x, a, this.rejectWeight, this.gradient);
    for (let i = 0; i < this.params.length; i++) this.params[i] -= this.learningRate * this.gradient[i];
    this.count++;
  }

  /** A copy of the weights in the flat layout [W | c | u | v | b], and the step count. */
  snapshot(): { weights: number[]; updates: number } {
    return { weights: Array.from(this.params), updates: this.count };
  }
}

function checkRejectProbabilities(where: string, rejectProbabilities: readonly number[]): void {
  rejectProbabilities.forEach((r, i) => checkUnitInterval(where, `rejectProbabilities[${i}]`, r));
}

/** SpecDec++'s stop rule: 1 - prod(1 - r_i) > h. An empty draft never stops. */
export function stopDrafting(rejectProbabilities: readonly number[], threshold: number): boolean {
  checkUnitInterval('stopDrafting', 'threshold h', threshold);
  checkRejectProbabilities('stopDrafting', rejectProbabilities);
  let allAccepted = 1;
  for (const r of rejectProbabilities) allAccepted *= 1 - r;
  return 1 - allAccepted > threshold;
}

/**
 * stopDrafting inside the paper's candidate-length bound: with n = rejectProbabilities.length
 * drafts so far, stop if n >= maxDraft, continue if n < minDraft, else apply the threshold rule.
 */
export function stopDraftingWithBounds(
  rejectProbabilities: readonly number[],
  threshold: number,
  bounds: { minDraft: number; maxDraft: number } = SPECDECPP_PAPER,
): boolean {
  const where = 'stopDraftingWithBounds';
  checkInteger(where, 'bounds.minDraft', bounds.minDraft, 0);
  checkInteger(where, 'bounds.maxDraft', bounds.maxDraft, Math.max(1, bounds.minDraft));
  const decision = stopDrafting(rejectProbabilities, threshold);
  if (rejectProbabilities.length >= bounds.maxDraft) return true;
  if (rejectProbabilities.length < bounds.minDraft) return false;
  return decision;
}

/** The draft-confidence baseline: stop drafting when q(chosen) < threshold. */
export function confidenceStop(f: DraftFeatures, threshold: number): boolean {
  checkUnitInterval('confidenceStop', 'threshold', threshold);
  checkDraftFeatures('confidenceStop', f);
  return f.chosenProb < threshold;
}
