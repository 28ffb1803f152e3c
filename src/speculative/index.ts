// The Speculative workbench's engine (issue 7): a speculative lane beside an autoregressive
// baseline on the same target. Engine code only (no React, no store): the worker, tests and
// benches use it alike.
export { SpeculativeSession } from './session';
export type { SpeculativeSessionOptions, SpeculativeStepReport, SpeculativeTrace } from './session';
export { SpeculativeLane, type SpeculativeLaneOptions } from './lane';
export { AutoregressiveLane, type AutoregressiveLaneOptions } from './baseline';
export { METHOD_DEFAULTS, SAMPLING_DEFAULTS } from './defaults';
export { sentenceEndTokenIds } from './tokens';
export {
  MAX_CANDIDATES,
  MAX_DRAFT_LENGTH,
  SpeculativeSetupError,
  isExact,
  methodProblems,
  modelProblems,
  needsDraftModel,
  samplingProblems,
} from './validate';
export type * from './types';
