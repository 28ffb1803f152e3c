// What the Speculative tab shows of each method: its name, the paper, the rule in one line, and its
// parameters as field specs (the ranges are the engine's: src/speculative/validate.ts). The engine
// refuses bad values; these specs only give the fields their labels, steps and tooltips.
import { number, type ChoiceParameter, type NumberParameter } from '../../share/parameters';
import { METHOD_DEFAULTS } from '../../speculative/defaults';
import type { SpeculativeMethod, SpeculativeMethodName } from '../../speculative/types';
import { MAX_CANDIDATES, MAX_DRAFT_LENGTH, MAX_NGRAM, MAX_WINDOW } from '../../speculative/validate';

export interface MethodInfo {
  label: string;
  paper: string;
  /** The rule in one line (plain notation). */
  rule: string;
  /** Parameters in display order (the method's own fields, as in METHOD_DEFAULTS). */
  fields: (NumberParameter | ChoiceParameter)[];
  /** Drafts without a draft model. */
  modelFree?: boolean;
}

const K = (name = 'draftLength', label = 'draft length K') =>
  number(name, label, 'Tokens drafted per round; the target scores all K + 1 positions in one forward.', {
    default: 4,
    min: 1,
    max: MAX_DRAFT_LENGTH,
    step: 1,
    integer: true, // prettier-ignore
  });

const unit = (name: string, label: string, help: string) =>
  number(name, label, help, { default: 0.5, min: 0, max: 1, step: 0.05 });

const learningRate = number(
  'learningRate',
  'head learning rate',
  'Step size of the head trained in the tab on what the verifier decides.',
  {
    default: 0.1,
    min: 0,
    minExclusive: true,
    max: 10,
    step: 0.05, // prettier-ignore
  },
);

export const METHOD_INFO: Record<SpeculativeMethodName, MethodInfo> = {
  speculative: {
    label: 'Speculative sampling',
    paper: 'Leviathan, Kalman, Matias 2023; Chen et al. 2023',
    rule: 'accept x ~ q with prob min(1, p(x)/q(x)); first rejection → draw from norm(max(0, p − q)); all kept → bonus from p',
    fields: [K()],
  },
  spectr: {
    label: 'SpecTr (k candidates)',
    paper: 'Sun et al., SpecTr, NeurIPS 2023',
    rule: 'k i.i.d. drafts scored in one batched forward; K-SEQ accepts y_i with prob min(1, p/(ρ q)); exact',
    fields: [
      K(),
      number('candidates', 'candidates k', 'Draft sequences per round.', { default: 2, min: 1, max: MAX_CANDIDATES, step: 1, integer: true }), // prettier-ignore
      number('rho', 'ρ floor', "A floor on K-SEQ's ρ in [1, k]; empty = the paper's ρ* (exact at every position).", { default: 1, min: 1, max: MAX_CANDIDATES, step: 0.1 }), // prettier-ignore
    ],
  },
  specdecpp: {
    label: 'SpecDec++ (adaptive K)',
    paper: 'Huang, Guo, Wang, SpecDec++, 2024',
    rule: 'draft until 1 − Π(1 − r_i) > h (r_i: predicted rejection) or K_max; then verify as speculative sampling',
    fields: [
      K('maxDraftLength', 'max draft length K'),
      unit('threshold', 'threshold h', "Stop drafting when P(some draft is rejected) exceeds h (predictor), or when q(x) falls below it (confidence)."), // prettier-ignore
      { kind: 'choice', name: 'stopRule', label: 'stop rule', help: 'predictor: the acceptance head trained in the tab; confidence: the draft’s own q(x).', default: 'predictor', choices: ['predictor', 'confidence'] }, // prettier-ignore
      learningRate,
    ],
  },
  'prompt-lookup': {
    label: 'Prompt lookup (no draft model)',
    paper: 'Saxena, Prompt Lookup Decoding, 2023',
    rule: "draft = what followed the earliest earlier match of the text's last n tokens; verified exactly",
    modelFree: true,
    fields: [
      K(),
      number('maxNgram', 'max n-gram', 'Longest trailing n-gram to look up.', { default: 3, min: 1, max: MAX_NGRAM, step: 1, integer: true }), // prettier-ignore
      number('minNgram', 'min n-gram', 'Shortest trailing n-gram to look up.', { default: 1, min: 1, max: MAX_NGRAM, step: 1, integer: true }), // prettier-ignore
    ],
  },
  aded: {
    label: 'ADED trigram draft (no draft model)',
    paper: 'Liu et al., Adaptive Draft-Verification, 2024',
    rule: 'draft = most frequent continuation in a trigram table learned from the text; verified exactly',
    modelFree: true,
    fields: [K()],
  },
  'entropy-switch': {
    label: 'Entropy Adaptive Decoding',
    paper: 'Simonds, Entropy Adaptive Decoding, 2025',
    rule: "the draft writes; the target writes while the draft's rolling entropy over w tokens exceeds τ",
    fields: [
      number('window', 'window w', 'Tokens in the rolling mean of the draft’s entropy.', { default: 5, min: 1, max: MAX_WINDOW, step: 1, integer: true }), // prettier-ignore
      number('threshold', 'threshold τ (nats)', 'Rolling entropy above which the target writes.', { default: 1, min: 0, max: 100, step: 0.1 }), // prettier-ignore
    ],
  },
  foreal: {
    label: 'FoReaL-Decoding',
    paper: 'Li et al., Follow the Reasoning Leader, 2025',
    rule: "the target leads each sentence's first n tokens (with probability g); the draft completes it",
    fields: [
      number('leaderTokens', 'leader tokens n', 'Tokens the target writes at the start of a led sentence.', { default: 2, min: 1, max: MAX_WINDOW, step: 1, integer: true }), // prettier-ignore
      unit('gate', 'gate g', 'Probability that a sentence is led by the target at all.'),
    ],
  },
  judge: {
    label: 'Judge decoding (lenient)',
    paper: 'Bachmann et al., Judge Decoding, ICLR 2025',
    rule: 'a draft is kept if verification accepts it OR a judge head on target hidden states scores it > δ',
    fields: [K(), unit('threshold', 'judge threshold δ', 'Judge score above which a draft is kept even when verification rejects it.'), learningRate], // prettier-ignore
  },
};

export const METHOD_ORDER = Object.keys(METHOD_DEFAULTS) as SpeculativeMethodName[];

/** The largest draft length a method's rounds may hold (the theory's K), or 0 when it does not draft. */
export function draftLengthOf(method: SpeculativeMethod): number {
  if (method.name === 'specdecpp') return method.maxDraftLength;
  return 'draftLength' in method ? method.draftLength : 0;
}
