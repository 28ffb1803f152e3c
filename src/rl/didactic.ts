// The didactic categorical of "Preference Fine-Tuning of LLMs Should Leverage Suboptimal, On-Policy
// Data" (Tajwar, Singh, Sharma, Rafailov, Schneider, Xie, Ermon, Finn, Kumar, 2024): one categorical
// distribution pi = softmax(theta) over K bins, trained by plain gradient descent on exact CPU
// gradients, so the UI can animate how each objective moves probability mass.
//   sft  maximum likelihood on a data histogram h:   L = -sum_k h_k log pi_k,  dL/dtheta = pi - h.
//        Its fixed point is pi = h: mode-covering (it keeps every mode of the data).
//   dpo  pairs (w, l) with weights c (normalised to sum 1), reference = the initial logits:
//        m = (theta_w - theta_l) - (ref_w - ref_l)   (log pi_w - log pi_l: the normaliser cancels)
//        L = sum_pairs c * -log sigmoid(beta m),   dL/dtheta = sum c * -beta sigmoid(-beta m) (e_w - e_l).
//        The "negative gradient" pushes rejected bins down.
//   rl   on-policy, the exact expectation of REINFORCE over pi with rewards r:
//        L = -E_pi[r] + klBeta * KL(pi || ref),
//        dL/dtheta_j = -pi_j (r_j - E_pi[r]) + klBeta * pi_j (log pi_j/ref_j - KL(pi || ref)).
//        normalize: GRPO's advantage A_j = (r_j - E_pi r)/(std_pi(r) + eps) held fixed (stop-gradient)
//        in place of r_j - E_pi r (population std: the exact distribution, not a sample); the
//        reported loss stays -E_pi[r] + KL. Rewards with no spread give A = 0.
// RL and DPO are mode-seeking (mass moves onto the rewarded or chosen bins and the entropy falls);
// SFT is mode-covering. Interpretation: the paper's didactic runs use sampled batches and Adam; here
// the gradients are exact and the update is gradient descent, theta <- theta - lr * dL/dtheta, so the
// animation is deterministic.
import { ObjectiveInputError, requireNonNegative, requirePositive } from './errors';
import { negativeLogSigmoid, sigmoid } from './objective';

export interface CategoricalPair {
  chosen: number;
  rejected: number;
  /** Relative weight of the pair (default 1). */
  weight?: number;
}

export type CategoricalObjective =
  | { kind: 'sft'; data: readonly number[] }
  | { kind: 'dpo'; pairs: readonly CategoricalPair[]; beta?: number }
  | { kind: 'rl'; rewards: readonly number[]; normalize?: boolean; klBeta?: number };

export const CATEGORICAL_DPO_BETA = 1;
const ADVANTAGE_EPSILON = 1e-8;

export function softmax(logits: readonly number[] | Float64Array): Float64Array {
  const max = Math.max(...logits);
  const e = Float64Array.from(logits, (z) => Math.exp(z - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** Entropy in nats. */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let k = 0; k < p.length; k++) if (p[k] > 0) h -= p[k] * Math.log(p[k]);
  return h;
}

/** Probability mass of bins from..to (inclusive). */
export function massIn(p: ArrayLike<number>, from: number, to: number): number {
  let m = 0;
  for (let k = Math.max(0, from); k <= Math.min(p.length - 1, to); k++) m += p[k];
  return m;
}

/** Every ordered pair of data-supported bins with r_w > r_l, weighted by h_w h_l (the offline pairs). */
export function pairsFromPreference(data: readonly number[], rewards: readonly number[]): CategoricalPair[] {
  const pairs: CategoricalPair[] = [];
  data.forEach((hw, w) =>
    data.forEach((hl, l) => {
      if (hw > 0 && hl > 0 && rewards[w] > rewards[l])
        pairs.push({ chosen: w, rejected: l, weight: hw * hl });
    }),
  );
  return pairs;
}

function checkVector(what: string, values: readonly number[], bins: number, nonNegative: boolean): void {
  if (values.length !== bins)
    throw new ObjectiveInputError(`didactic: ${what} has ${values.length} entries for ${bins} bins`);
  const bad = values.findIndex((v) => !Number.isFinite(v) || (nonNegative && v < 0));
  if (bad >= 0)
    throw new ObjectiveInputError(
      `didactic: ${what}[${bad}] is ${values[bad]}; entries must be finite${nonNegative ? ' and >= 0' : ''}`,
    );
}

/** The objective's loss and its exact gradient with respect to the logits. */
export function categoricalLossAndGradient(
  objective: CategoricalObjective,
  logits: readonly number[] | Float64Array,
  referenceLogits: readonly number[] | Float64Array,
): { loss: number; gradient: Float64Array } {
  const p = softmax(logits);
  const K = p.length;
  const gradient = new Float64Array(K);
  if (objective.kind === 'sft') {
    const total = objective.data.reduce((a, b) => a + b, 0);
    const h = objective.data.map((x) => x / total);
    let loss = 0;
    for (let k = 0; k < K; k++) {
      if (h[k] > 0) loss -= h[k] * Math.log(p[k]);
      gradient[k] = p[k] - h[k];
    }
    return { loss, gradient };
  }
  if (objective.kind === 'dpo') {
    const beta = objective.beta ?? CATEGORICAL_DPO_BETA;
    const total = objective.pairs.reduce((a, q) => a + (q.weight ?? 1), 0);
    let loss = 0;
    for (const q of objective.pairs) {
      const c = (q.weight ?? 1) / total;
      const m =
        logits[q.chosen] - logits[q.rejected] - (referenceLogits[q.chosen] - referenceLogits[q.rejected]);
      loss += c * negativeLogSigmoid(beta * m);
      const slope = -c * beta * sigmoid(-beta * m);
      gradient[q.chosen] += slope;
      gradient[q.rejected] -= slope;
    }
    return { loss, gradient };
  }
  const r = objective.rewards;
  const klBeta = objective.klBeta ?? 0;
  const ref = softmax(referenceLogits);
  const expected = p.reduce((a, pk, k) => a + pk * r[k], 0);
  const kl = p.reduce((a, pk, k) => a + (pk > 0 ? pk * Math.log(pk / ref[k]) : 0), 0);
  let scale = 1;
  if (objective.normalize) {
    const std = Math.sqrt(p.reduce((a, pk, k) => a + pk * (r[k] - expected) ** 2, 0));
    // Equal rewards: A = 0 exactly (E_pi[r] may differ from them in the last bit).
    scale = r.every((x) => x === r[0]) ? 0 : 1 / (std + ADVANTAGE_EPSILON);
  }
  for (let k = 0; k < K; k++) {
    const logRatio = p[k] > 0 ? Math.log(p[k] / ref[k]) : 0;
    gradient[k] = -p[k] * (r[k] - expected) * scale + klBeta * p[k] * (logRatio - kl);
  }
  return { loss: -expected + klBeta * kl, gradient };
}

export interface CategoricalRunOptions {
  objective: CategoricalObjective;
  /** theta at step 0; also the reference (DPO's ref, RL's KL anchor). */
  initialLogits: readonly number[];
  steps: number;
  learningRate: number;
}

export interface CategoricalRun {
  /** pi after 0, 1, ..., steps updates (steps + 1 distributions). */
  distributions: Float64Array[];
  /** The loss at the logits of each update (steps values). */
  losses: number[];
}

function validate(options: CategoricalRunOptions): void {
  const { objective, initialLogits } = options;
  const K = initialLogits.length;
  if (K < 2) throw new ObjectiveInputError(`didactic: the categorical needs at least 2 bins, got ${K}`);
  checkVector('initialLogits', initialLogits, K, false);
  if (!Number.isInteger(options.steps) || options.steps < 0) {
    throw new ObjectiveInputError(`didactic: steps must be a whole number >= 0, got ${options.steps}`);
  }
  requirePositive('didactic', 'learning rate', options.learningRate);
  if (objective.kind === 'sft') {
    checkVector('data', objective.data, K, true);
    if (objective.data.every((x) => x === 0))
      throw new ObjectiveInputError('didactic: the data histogram is empty');
  } else if (objective.kind === 'dpo') {
    requirePositive('didactic dpo', 'beta', objective.beta ?? CATEGORICAL_DPO_BETA);
    if (objective.pairs.length === 0) throw new ObjectiveInputError('didactic: the preference set is empty');
    objective.pairs.forEach((q, i) => {
      const ok =
        [q.chosen, q.rejected].every((b) => Number.isInteger(b) && b >= 0 && b < K) &&
        q.chosen !== q.rejected;
      if (!ok || !((q.weight ?? 1) > 0)) {
        throw new ObjectiveInputError(
          `didactic: pair ${i} (${q.chosen} over ${q.rejected}, weight ${q.weight ?? 1}) needs two distinct bins in 0..${K - 1} and a weight > 0`,
        );
      }
    });
  } else {
    checkVector('rewards', objective.rewards, K, false);
    requireNonNegative('didactic rl', 'KL beta', objective.klBeta ?? 0);
  }
}

export function trainCategorical(options: CategoricalRunOptions): CategoricalRun {
  validate(options);
  const reference = Float64Array.from(options.initialLogits);
  const theta = Float64Array.from(options.initialLogits);
  const distributions = [softmax(theta)];
  const losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    const { loss, gradient } = categoricalLossAndGradient(options.objective, theta, reference);
    losses.push(loss);
    for (let k = 0; k < theta.length; k++) theta[k] -= options.learningRate * gradient[k];
    distributions.push(softmax(theta));
  }
  return { distributions, losses };
}
