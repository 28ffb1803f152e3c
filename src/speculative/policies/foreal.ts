// FoReaL-Decoding (Li, Yang, Wang, Li, Li, Lin, Zhou, Wang, "What makes Reasoning Models
// Different? Follow the Reasoning Leader for Efficient Decoding", 2025, arXiv:2506.06998).
// Reasoning and non-reasoning models disagree mostly on the first tokens of a sentence (the
// "thinking cues"; the paper's Local Misalignment Diminish), so a strong Leading model writes the
// first n tokens of a sentence and a weak Draft model completes it to the sentence end. A
// stochastic gate interpolates between the two models: at every sentence start,
//
//   led ~ Bernoulli(p);   token j of the sentence (0-based) comes from
//   Leader  if led and j < n,      Draft  otherwise,
//
// so p = 0 is the draft model alone and p = 1 with n -> infinity is the leading model alone.
// Not exact in any sense: report counts.leader / counts.draft.
//
// Interpretations (ours):
// - gate is the probability that a sentence is led at all (the Bernoulli above), leaderTokens is
//   n. The paper's method section was not available to us beyond this description; this is the
//   reading of "a stochastic gate to smoothly interpolate between the small and the large model"
//   that gives those two endpoints.
// - Sentences are delimited by token ids (sentenceEnd): a sentence starts at the first token of
//   the generation and after every emitted token in sentenceEnd. A sentence the leader ends
//   within its n tokens simply starts the next one.
// - Sentence s's gate is philoxUniform(seed, FOREAL_STREAM, s) < gate: a pure function of the
//   seed and the sentence index, so a run is reproducible and independent of timing.
import { philoxUniform, seedFromNumber, type Seed } from '../../kernels/random/philox';
import { checkInteger, checkUnitInterval } from './validate';

/** Philox stream of the sentence gates ("FORE"). */
export const FOREAL_STREAM = 0x464f5245;

export interface ForealGateOptions {
  /** n: tokens the leading model writes at the start of a led sentence (>= 1). */
  leaderTokens: number;
  /** p: probability that a sentence is led, in [0, 1]. */
  gate: number;
  /** Seed of the gate draws (an integer in 0..2^53-1). */
  seed: number;
  /** Token ids that end a sentence. */
  sentenceEnd: ReadonlySet<number>;
}

export class ForealGate {
  readonly leaderTokens: number;
  readonly gate: number;
  private readonly seed: Seed;
  private readonly sentenceEnd: ReadonlySet<number>;
  private sentence = -1;
  private led = false;
  private tokenInSentence = 0;
  private atSentenceStart = true;
  private ledSentences = 0;
  private readonly tally = { leader: 0, draft: 0 };

  constructor(opts: ForealGateOptions) {
    const where = 'ForealGate';
    checkInteger(where, 'leaderTokens', opts.leaderTokens, 1);
    checkUnitInterval(where, 'gate (probability a sentence is led)', opts.gate);
    if (typeof opts.sentenceEnd?.has !== 'function') {
      throw new RangeError(
        `${where}: sentenceEnd must be a Set of token ids, got ${String(opts.sentenceEnd)}`,
      );
    }
    for (const id of opts.sentenceEnd) checkInteger(where, 'every sentenceEnd id', id, 0);
    this.leaderTokens = opts.leaderTokens;
    this.gate = opts.gate;
    this.seed = seedFromNumber(opts.seed);
    this.sentenceEnd = opts.sentenceEnd;
  }

  /** Tokens assigned to each model so far. */
  get counts(): { leader: number; draft: number } {
    return { leader: this.tally.leader, draft: this.tally.draft };
  }

  /** Sentences started so far, and how many of them the gate sent to the leader. */
  get sentences(): { started: number; led: number } {
    return { started: this.sentence + 1, led: this.ledSentences };
  }

  /**
   * Which model writes the next token. `lastToken` is the token emitted just before it, or null
   * for the first token of the generation.
   */
  next(lastToken: number | null): 'leader' | 'draft' {
    if (lastToken !== null) {
      checkInteger('ForealGate.next', 'lastToken (a token id, or null at the start)', lastToken, 0);
    }
    if (lastToken === null || this.sentenceEnd.has(lastToken)) this.atSentenceStart = true;
    if (this.atSentenceStart) {
      this.atSentenceStart = false;
      this.sentence++;
      if (this.sentence > 0xffffffff) {
        throw new RangeError('ForealGate.next: more than 2^32 sentences on one gate; create a new gate');
      }
      this.led = philoxUniform(this.seed, FOREAL_STREAM, this.sentence) < this.gate;
      if (this.led) this.ledSentences++;
      this.tokenInSentence = 0;
    }
    const who = this.led && this.tokenInSentence < this.leaderTokens ? 'leader' : 'draft';
    this.tokenInSentence++;
    this.tally[who]++;
    return who;
  }
}
