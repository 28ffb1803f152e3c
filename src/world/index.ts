// The Shapes world's public surface: seeded scenes, a deterministic rasterizer, the caption
// grammar, questions, hallucination metrics (POPE, CHAIR), ViCrit corruptions and the shared
// tokenizer. Pure TypeScript: no DOM, no GPU, no store, so it runs in the page, a Worker and Node.
export * from './types';
export { WorldRandom } from './random';
export {
  denotation,
  describeObject,
  groupObjects,
  relationHolds,
  relationHoldsForPair,
  shapesIn,
  validateScene,
  type ObjectGroup,
  type ObjectPattern,
} from './scene';
export { maskToText, shapeMask } from './geometry';
export { IMAGE_BYTES, imageToFloat32, imageToRgba, objectOrigin, objectPixels, rasterize } from './rasterize';
export {
  ImageInputError,
  prepareImage,
  resizeImage,
  toRgbBytes,
  type ImageInput,
  type PreparedImage,
} from './image';
export {
  DEFAULT_WORLD,
  partnersOf,
  sampleAntiPriorScene,
  sampleScene,
  sampleSceneAt,
  sampleScenes,
  validateDistribution,
  type ColourPrior,
  type CooccurrenceRule,
  type SceneSampler,
  type WorldDistribution,
} from './distribution';
export { shapesByCooccurrence, shapesByFrequency, worldStatistics, type WorldStatistics } from './statistics';
export { COUNT_WORDS, EMPTY_CAPTION, PLURALS, splitWords, type Word } from './words';
export { captionFor, type CaptionOptions } from './caption';
export {
  mentionedShapes,
  parseCaption,
  type Mention,
  type ParsedCaption,
  type ParsedRelation,
} from './parse';
export { falseClaims, isCaptionTrue, type FalseClaim } from './verify';
export {
  answerQuestion,
  attributeQuestion,
  colourQuestion,
  countQuestion,
  objectQuestion,
  questionsFor,
  type QuestionAnswer,
  type QuestionKind,
} from './questions';
export {
  POPE_SPLITS,
  popeBenchmark,
  popeNegatives,
  popeQuestions,
  type PopeQuestion,
  type PopeSplit,
} from './pope';
export {
  chairMetrics,
  popeMetrics,
  readYesNo,
  type ChairLevel,
  type ChairMetrics,
  type PopeMetrics,
} from './metrics';
export {
  CORRUPTION_KINDS,
  corruptCaption,
  type CorruptedCaption,
  type CorruptionKind,
  type TextSpan,
} from './vicrit';
export {
  SHAPES_VOCABULARY,
  SPECIAL_TOKENS,
  UNK_TOKEN,
  shapesTokenizerConfig,
  shapesTokenizerJson,
  tokenId,
  unknownWords,
  type UnknownWord,
} from './vocabulary';
