// Shared helpers of the image methods (VCD, RITUAL, Debias).
import type { MethodContext } from './types';

/** The experiment's image, or a clear error for a method that needs one. */
export function requireImage(context: MethodContext, method: string): Float32Array {
  if (!context.image || context.imageSize === null) {
    throw new Error(
      `${method} contrasts views of the image, but this experiment has no image or its main model reads text ` +
        'only: choose a scene or upload an image, and a vision-language model',
    );
  }
  return context.image;
}
