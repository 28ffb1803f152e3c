// The acceptance prediction head of SpecDec++ (specdecpp.ts has the paper, the stop rule and the
// online trainer): draft-side features in, the log-odds that a drafted token is rejected out.
//
//   x = [chosenProb, topProb, margin, entropy / (1 + entropy), position / (position + 4)]
//   z = v . x + u . silu(W x + c) + b,     r = sigmoid(z) = P(rejected)
//   L = w_rej (1 - a) (-log r) + a (-log(1 - r))       a = acceptance label or probability
//
// Plain functions over a flat parameter vector, so the gradient can be checked against finite
// differences of the loss and the trainer is a loop of SGD steps over them.
import { checkInteger, checkNonNegative, checkUnitInterval, sigmoid, softplusNeg } from './validate';

/** Draft-side features of one drafted token. */
export interface DraftFeatures {
  /** Position in the draft, 0-based. */
  position: number;
  /** q(chosen): the draft's probability of the token it drafted. */
  chosenProb: number;
  /** max_x q(x). */
  topProb: number;
  /** Entropy of q in nats. */
  entropy: number;
  /** top1 - top2 probability margin of q. */
  margin: number;
}

/** Number of inputs draftFeatureVector produces. */
export const DRAFT_FEATURE_COUNT = 5;

// Floating-point slack when checking that chosenProb and margin do not exceed topProb.
const CONSISTENCY_SLACK = 1e-6;

/** Throws a RangeError naming the first invalid field of `f`. */
export function checkDraftFeatures(where: string, f: DraftFeatures): void {
  checkInteger(where, 'features.position', f.position, 0);
  checkUnitInterval(where, 'features.chosenProb', f.chosenProb);
  checkUnitInterval(where, 'features.topProb', f.topProb);
  checkUnitInterval(where, 'features.margin', f.margin);
  checkNonNegative(where, 'features.entropy (nats)', f.entropy);
  if (f.chosenProb > f.topProb + CONSISTENCY_SLACK) {
    throw new RangeError(
      `${where}: features.chosenProb ${f.chosenProb} exceeds features.topProb ${f.topProb}; topProb must be max q`,
    );
  }
  if (f.margin > f.topProb + CONSISTENCY_SLACK) {
    throw new RangeError(
      `${where}: features.margin ${f.margin} exceeds features.topProb ${f.topProb}; margin is top1 - top2`,
    );
  }
}

/**
 * The head's input x, every entry in [0, 1]:
 *   [chosenProb, topProb, margin, entropy / (1 + entropy), position / (position + 4)].
 * The squashing keeps unbounded entropy and position on the scale of the probabilities.
 */
export function draftFeatureVector(
  f: DraftFeatures,
  out: Float64Array = new Float64Array(DRAFT_FEATURE_COUNT),
): Float64Array {
  checkDraftFeatures('draftFeatureVector', f);
  out[0] = f.chosenProb;
  out[1] = f.topProb;
  out[2] = f.margin;
  out[3] = f.entropy / (1 + f.entropy);
  out[4] = f.position / (f.position + 4);
  return out;
}

// Flat parameter layout for `hidden` = H units and D = DRAFT_FEATURE_COUNT inputs:
//   [ W (H x D, row-major) | c (H) | u (H) | v (D) | b (1) ]

/** Number of parameters of a head with `hidden` SiLU units. */
export function parameterCount(hidden: number): number {
  return hidden * DRAFT_FEATURE_COUNT + 2 * hidden + DRAFT_FEATURE_COUNT + 1;
}

function silu(p: number): number {
  return p * sigmoid(p);
}

function siluDerivative(p: number): number {
  const s = sigmoid(p);
  return s * (1 + p * (1 - s));
}

/** The head's logit z for input x (the rejection log-odds). */
export function predictorLogit(params: Float64Array, hidden: number, x: Float64Array): number {
  const d = DRAFT_FEATURE_COUNT;
  const cOffset = hidden * d;
  const uOffset = cOffset + hidden;
  const vOffset = uOffset + hidden;
  let z = params[vOffset + d];
  for (let k = 0; k < d; k++) z += params[vOffset + k] * x[k];
  for (let j = 0; j < hidden; j++) {
    let pre = params[cOffset + j];
    for (let k = 0; k < d; k++) pre += params[j * d + k] * x[k];
    z += params[uOffset + j] * silu(pre);
  }
  return z;
}

/**
 * Per-example weighted BCE: rejectWeight (1 - a) (-log r) + a (-log(1 - r)), r = sigmoid(z),
 * a = acceptance probability (1 for an accepted token, 0 for a rejected one).
 */
export function predictorLoss(
  params: Float64Array,
  hidden: number,
  x: Float64Array,
  acceptProbability: number,
  rejectWeight: number,
): number {
  const z = predictorLogit(params, hidden, x);
  return rejectWeight * (1 - acceptProbability) * softplusNeg(z) + acceptProbability * softplusNeg(-z);
}

/** d predictorLoss / d params, in the flat layout, written into `out`. */
export function predictorGradient(
  params: Float64Array,
  hidden: number,
  x: Float64Array,
  acceptProbability: number,
  rejectWeight: number,
  out: Float64Array = new Float64Array(parameterCount(hidden)),
): Float64Array {
  const d = DRAFT_FEATURE_COUNT;
  const cOffset = hidden * d;
  const uOffset = cOffset + hidden;
  const vOffset = uOffset + hidden;
  const r = sigmoid(predictorLogit(params, hidden, x));
  // d(-log r)/dz = r - 1 and d(-log(1 - r))/dz = r.
  const g = rejectWeight * (1 - acceptProbability) * (r - 1) + acceptProbability * r;
  for (let k = 0; k < d; k++) out[vOffset + k] = g * x[k];
  out[vOffset + d] = g;
  for (let j = 0; j < hidden; j++) {
    let pre = params[cOffset + j];
    for (let k = 0; k < d; k++) pre += params[j * d + k] * x[k];
    out[uOffset + j] = g * silu(pre);
    const gPre = g * params[uOffset + j] * siluDerivative(pre);
    out[cOffset + j] = gPre;
    for (let k = 0; k < d; k++) out[j * d + k] = gPre * x[k];
  }
  return out;
}
