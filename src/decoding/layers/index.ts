// DoLa and LOL: the step modules the lane runner calls (see each module's header for the formula).
export { dolaCandidateLayers, lolAmateurLayer, type DolaBucket } from './buckets';
export { pipelineReadbackBytes, stepParams, type TokenChoice } from './choice';
export {
  checkDolaConfig,
  checkLolConfig,
  DOLA_DEFAULTS,
  lolDefaults,
  lolWeights,
  type DolaConfig,
  type LolConfig,
} from './config';
export { DolaStep, type DolaStepResult } from './dola';
export { LolStep, type LolStepResult } from './lol';
export { layerSource, lensRow, type LayerSource } from './source';
