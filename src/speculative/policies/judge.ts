// Judge Decoding (Bachmann, Anagnostidis, Pumarola, Georgopoulos, Sanakoyeu, Du, Schönfeld, Thabet,
// Kohler, "Judge Decoding: Faster Speculative Sampling Requires Going Beyond Model Alignment",
// ICLR 2025, arXiv:2501.19309). Standard verification rejects many drafts that are correct but
// not what the target would have sampled. The paper trains a tiny linear head (about 16k
// parameters for Llama-3.1-405B, on roughly 30k labelled tokens) on the TARGET model's embedding
// at each drafted token's position to predict "this token is a correct continuation", and accepts
//
//   draft i   if   sigmoid(w . e_i + b) > delta   OR   the standard speculative test accepts it,
//
// keeping the longest prefix of accepted drafts, as in speculative sampling. This is NOT exact:
// the output distribution is no longer the target's; label runs that use it so.
//
// Interpretations (ours):
// - Logistic regression trained in the tab, one SGD step per labelled token on the binary
//   cross-entropy; the paper trains offline on a curated dataset.
// - By default the hidden state is scaled to unit L2 norm before the linear layer (normalize), so
//   one learning rate works for any model width and for the outlier dimensions of real hidden
//   states; the decision sign(w . h + b) of a rule without offset is unchanged by the scaling.
//   Pass normalize: false for the plain linear head on raw embeddings.
import { philoxUniform, seedFromNumber } from '../../kernels/random/philox';
import { checkInteger, checkPositive, checkUnitInterval, sigmoid } from './validate';

// Philox stream of the judge's initial weights ("JUDG").
const INIT_STREAM = 0x4a554447;
// Initial weights are tiny: logistic regression is convex, so the seed only breaks exact ties.
const INIT_SCALE = 1e-3;

export interface JudgeHeadOptions {
  /** SGD step size (default 0.5). */
  learningRate?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** Scale each hidden state to unit L2 norm first (default true). */
  normalize?: boolean;
}

export class JudgeHead {
  readonly dim: number;
  readonly learningRate: number;
  readonly normalize: boolean;
  private readonly weights: Float64Array;
  private bias = 0;
  private count = 0;

  constructor(dim: number, opts: JudgeHeadOptions = {}) {
    checkInteger('JudgeHead', 'dim (hidden size of the target model)', dim, 1);
    this.dim = dim;
    this.learningRate = opts.learningRate ?? 0.5;
    checkPositive('JudgeHead', 'learningRate', this.learningRate);
    this.normalize = opts.normalize ?? true;
    const seed = seedFromNumber(opts.seed ?? 0);
    this.weights = new Float64Array(dim);
    for (let i = 0; i < dim; i++)
      this.weights[i] = INIT_SCALE * (2 * philoxUniform(seed, INIT_STREAM, i) - 1);
  }

  /** SGD steps taken so far. */
  get updates(): number {
    return this.count;
  }

  private scale(where: string, hidden: Float32Array): number {
    if (!(hidden instanceof Float32Array)) {
      throw new RangeError(`${where}: hidden must be a Float32Array of length ${this.dim}`);
    }
    if (hidden.length !== this.dim) {
      throw new RangeError(
        `${where}: hidden has length ${hidden.length} but the judge was built for dim ${this.dim}; ` +
          'pass the target hidden state of the drafted position (one row, not the whole batch)',
      );
    }
    let squares = 0;
    for (let i = 0; i < hidden.length; i++) {
      const v = hidden[i];
      if (!Number.isFinite(v))
        throw new RangeError(`${where}: hidden[${i}] is ${v}; the hidden state must be finite`);
      squares += v * v;
    }
    if (!this.normalize) return 1;
    return squares > 0 ? 1 / Math.sqrt(squares) : 0;
  }

  private logit(hidden: Float32Array, scale: number): number {
    let z = 0;
    for (let i = 0; i < this.dim; i++) z += this.weights[i] * hidden[i];
    return z * scale + this.bias;
  }

  /** The judge's probability that the drafted token at this position is correct. */
  score(hidden: Float32Array): number {
    return sigmoid(this.logit(hidden, this.scale('JudgeHead.score', hidden)));
  }

  /** Binary cross-entropy of this example at the current weights. */
  loss(hidden: Float32Array, correct: boolean): number {
    const s = this.score(hidden);
    return -Math.log(correct ? Math.max(s, 1e-300) : Math.max(1 - s, 1e-300));
  }

  /** One SGD step on -[y log s + (1 - y) log(1 - s)], y = correct. */
  update(hidden: Float32Array, correct: boolean): void {
    if (typeof correct !== 'boolean') {
      throw new RangeError(`JudgeHead.update: correct must be a boolean, got ${String(correct)}`);
    }
    const scale = this.scale('JudgeHead.update', hidden);
    const g = sigmoid(this.logit(hidden, scale)) - (correct ? 1 : 0); // d loss / d logit
    const step = this.learningRate * g;
    for (let i = 0; i < this.dim; i++) this.weights[i] -= step * hidden[i] * scale;
    this.bias -= step;
    this.count++;
  }

  /** A copy of [w_0 .. w_{dim-1}, b] and the step count. */
  snapshot(): { weights: number[]; updates: number } {
    return { weights: [...this.weights, this.bias], updates: this.count };
  }
}

/** The judge's half of the acceptance test: score > threshold (delta). */
export function judgeAccept(score: number, threshold: number): boolean {
  checkUnitInterval('judgeAccept', 'score', score);
  checkUnitInterval('judgeAccept', 'threshold', threshold);
  return score > threshold;
}

/** The paper's full test for one draft: the judge accepts it OR standard verification does. */
export function judgeOrStandardAccept(standardAccepted: boolean, score: number, threshold: number): boolean {
  const judged = judgeAccept(score, threshold);
  return standardAccepted || judged;
}
