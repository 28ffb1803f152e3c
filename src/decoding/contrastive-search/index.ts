// Contrastive search: the step module the lane runner calls (formula in ./contrastive-search.ts).
export {
  bestCandidate,
  checkContrastiveSearchConfig,
  CONTRASTIVE_SEARCH_DEFAULTS,
  contrastiveScore,
  MAX_CANDIDATES,
  type ContrastiveSearchConfig,
} from './config';
export { ContrastiveSearch, type Candidate, type ContrastiveStepResult } from './contrastive-search';
