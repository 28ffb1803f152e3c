// The evaluation numbers of the Shapes default models (issue 5), written on their model cards and
// recomputed by a test on a small sample:
//   VLM          POPE accuracy / precision / recall / F1 / yes-ratio on the random, popular and
//                adversarial splits (evaluatePope); CHAIR_i and CHAIR_s of greedy captions
//                (evaluateChair)                                                  ./evaluate-vlm.ts
//   text LMs     held-out perplexity of the expert and the amateur (heldOutPerplexity); greedy
//                agreement and speculative acceptance rate of the draft against the expert
//                (draftAgreement)                                                 ./evaluate-text.ts
// Every number is measured on held-out draws of the training distribution from an evaluation seed
// that training never uses (EVAL_SEED; keys and checks in ./evaluate-data.ts), so the same
// (models, seed, sample size) always gives the same numbers. Formulas and papers are in each file's
// header. Everything runs on the GPU; only token ids and a few floats per position are read back.
export {
  POPE_KEY_OFFSET,
  POPE_STATISTICS_SCENES,
  WORDING_KEY_OFFSET,
  heldOutCaptions,
  heldOutScenes,
  trainingStatistics,
  type SeedOptions,
} from './evaluate-data';
export {
  CHAIR_EXAMPLES,
  DEFAULT_CAPTION_TOKENS,
  POPE_ANSWER_TOKENS,
  evaluateChair,
  evaluatePope,
  type ChairResult,
  type PopeResult,
  type VlmEvaluationOptions,
} from './evaluate-vlm';
export {
  draftAgreement,
  heldOutPerplexity,
  type DraftAgreement,
  type TextEvaluationOptions,
} from './evaluate-text';
