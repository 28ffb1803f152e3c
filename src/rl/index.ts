// Preference and RL objectives over the trainer's per-token seam, the Shapes tasks they train on,
// and the didactic categorical. Pure TypeScript: no GPU, no DOM, no store.
export { ObjectiveInputError } from './errors';
export {
  sequenceLogProb,
  sequenceLogProbs,
  type LogProbs,
  type RlObjective,
  type SequenceIndex,
} from './objective';
export { dftLoss, dftObjective, sftObjective } from './sft';
export { ASFT_KL_WEIGHT, anchorKl, anchorKlLogitGradient } from './asft';
export { DPO_BETA, dpoObjective, preferenceMargins, type DpoOptions, type PreferencePairIndex } from './dpo';
export { ROBUST_DPO_FLIP_RATE, robustDpoObjective, type RobustDpoOptions } from './robust-dpo';
export {
  D2O_ALPHA,
  D2O_BETA,
  d2oObjective,
  type D2oOptions,
  type DispreferenceItem,
  type ScoredSequence,
} from './d2o';
export {
  GRPO_ADVANTAGE_EPSILON,
  GRPO_CLIP_EPSILON,
  GRPO_KL_BETA,
  groupAdvantages,
  grpoObjective,
  grpoTokenAdvantages,
  rolloutStatistics,
  type GrpoOptions,
  type Rollout,
  type RolloutStatistics,
} from './grpo';
export {
  TEMPO_TD_WEIGHT,
  buildPrefixTree,
  prefixTreeCorrections,
  tempoObjective,
  tempoTokenAdvantages,
  type PrefixTreeNode,
  type TempoOptions,
} from './tempo';
export { criticObjective, selfCritiqueBestOfN, type BestOfN } from './critic';
export {
  CRITIC_QUESTION,
  TASK_KINDS,
  VICRIT_QUESTION,
  sampleTask,
  sampleTasks,
  taskFor,
  taskReward,
  type RewardOptions,
  type ShapesTask,
  type TaskKind,
} from './tasks';
export {
  preferenceSet,
  rejectedResponse,
  type PreferenceExample,
  type PreferenceSetOptions,
} from './preferences';
export {
  preferenceBatch,
  responseExample,
  responseText,
  rolloutBatch,
  textExample,
  withReferenceLogProbs,
  wordIds,
  type PreferenceBatch,
} from './sequences';
export {
  categoricalLossAndGradient,
  entropy,
  massIn,
  pairsFromPreference,
  softmax,
  trainCategorical,
  type CategoricalObjective,
  type CategoricalPair,
  type CategoricalRun,
  type CategoricalRunOptions,
} from './didactic';
