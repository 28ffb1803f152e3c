// Every speculative method's defaults in one place (the method headers in ./methods/ and ./drafts/
// say where each number comes from), and the sampling defaults.
import type { SpeculativeMethod, SpeculativeMethodName, SpeculativeSampling } from './types';

export const METHOD_DEFAULTS: { [N in SpeculativeMethodName]: Extract<SpeculativeMethod, { name: N }> } = {
  // Chen et al. draft K = 4.
  speculative: { name: 'speculative', draftLength: 4 },
  // Ours: k = 2 candidates; rho unset = the paper's rho*.
  spectr: { name: 'spectr', draftLength: 4, candidates: 2 },
  // The paper's example h = 0.3; K at most 8 here (the paper bounds it by 20).
  specdecpp: {
    name: 'specdecpp',
    maxDraftLength: 8,
    threshold: 0.3,
    stopRule: 'predictor',
    learningRate: 0.1,
  },
  // The original prompt-lookup repository: K = 10, n-grams 3 down to 1.
  'prompt-lookup': { name: 'prompt-lookup', draftLength: 10, maxNgram: 3, minNgram: 1 },
  // Ours.
  aded: { name: 'aded', draftLength: 5 },
  // The paper's window w = 5; tau = 1 nat is ours (the paper sweeps it).
  'entropy-switch': { name: 'entropy-switch', window: 5, threshold: 1 },
  // Ours: the leader writes 2 tokens of every sentence.
  foreal: { name: 'foreal', leaderTokens: 2, gate: 1 },
  // Ours: K = 4, delta = 0.5.
  judge: { name: 'judge', draftLength: 4, threshold: 0.5, learningRate: 0.5 },
};

export const SAMPLING_DEFAULTS: SpeculativeSampling = { greedy: false, temperature: 1, draftTemperature: 1 };
