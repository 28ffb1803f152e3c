// The distorted inputs of the contrastive decoding methods (VCD's noised image, RITUAL's transformed
// view, ICD / LQCD's disturbed prompt, Debias's calibration and meaningless images). Pure
// TypeScript, no GPU and no DOM: the lane runner builds each component's input with these, and the
// trace records how (DistortionRecord) so that every input can be recomputed from the seed.
export {
  CLIP_NORMALIZATION,
  DEFAULT_NOISE_STEP,
  NOISE_STEPS,
  SYMMETRIC_NORMALIZATION,
  alphaBar,
  diffusionNoise,
  noiseSchedule,
  type DiffusionNoiseOptions,
  type NoiseSchedule,
  type PixelNormalization,
} from './noise';
export {
  BLUR_KERNEL_SIZE,
  TRANSFORM_KINDS,
  applyTransform,
  describeTransform,
  randomTransform,
  transformRecord,
  type ImageTransform,
  type TransformKind,
} from './transforms';
export { COLOUR_OPERATIONS, type ColourOperation } from './colour';
export type { CropBox } from './geometry';
export {
  ICD_DISTURBANCE,
  LEADING_CUES,
  SHAPES_ANSWER_WORDS,
  disturbedPrompt,
  icdPrompt,
  leadingQuery,
  leadingShapesPrompt,
  shapesLeadingDisturbance,
  type DisturbancePlacement,
} from './prompts';
export {
  answerDistribution,
  applyDebiasCalibration,
  calibrateLogits,
  combineReferences,
  fitDebiasCalibration,
  meaninglessImage,
  type DebiasCalibration,
  type MeaninglessImageKind,
  type MeaninglessImageOptions,
} from './calibration';
export {
  DIFFUSION_NOISE_STREAM,
  MEANINGLESS_NOISE_STREAM,
  TRANSFORM_STREAM,
  fillStandardNormal,
  portableExp,
  portableLog,
  portableSinCosTurns,
} from './random';
