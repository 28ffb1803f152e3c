// Speculative verification (speculative sampling, SpecTr, deterministic drafts, greedy): the
// kernel's public API. Formulas and conventions: shaders/speculative-verify.wgsl; spec: ./reference.ts.
export { VerifyKernel, VERIFY_SHADER, type VerifyOptions } from './verify';
export {
  MAX_CANDIDATES,
  MAX_DRAFT_LENGTH,
  MAX_TRIALS,
  MAX_VERIFY_VOCAB,
  verifyCounterSpan,
  type VerifyInputs,
  type VerifyParams,
  type VerifyResult,
  type VerifyShape,
} from './params';
