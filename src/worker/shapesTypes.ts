// The Shapes default models as the protocol names them (pure: the UI and the worker share it).
// Each is a Hugging Face folder served with the app under `models/<name>/` (public/models/,
// written by `npm run train:defaults`; see src/defaults/recipes.ts) and, in the worker, is loaded
// into its own slot beside the Model tab's model, so neither replaces the other.

/** The captioning vision-language model first, then the three text LMs of Shapes captions. */
export const SHAPES_MODELS = ['shapes-vlm', 'shapes-expert', 'shapes-amateur', 'shapes-draft'] as const;
export type ShapesModelName = (typeof SHAPES_MODELS)[number];

/**
 * Which loaded model a model request is for: the Model tab's ('workbench', the default when a
 * request names none) or one of the Shapes defaults.
 */
export type ModelSlot = 'workbench' | ShapesModelName;

/** What each default model is for (shown beside it). */
export const SHAPES_MODEL_ROLES: Readonly<Record<ShapesModelName, string>> = {
  'shapes-vlm': 'vision-language: captions and answers',
  'shapes-expert': 'caption LM: contrastive expert, speculative target',
  'shapes-amateur': 'caption LM: contrastive amateur',
  'shapes-draft': 'caption LM: speculative draft',
};

export function isShapesModel(value: unknown): value is ShapesModelName {
  return (SHAPES_MODELS as readonly unknown[]).includes(value);
}
