// A component's prompt as token ids, in the format of the model that reads it:
//   vision-language model with an image:  <bos> <image> x numPatches  text      (no special tokens)
//   otherwise:                            the tokenizer's encoding of text (special tokens added)
// The first is the Shapes VLM's training format (vlmPrompt in src/defaults/data.ts) and the worker's
// (imagePromptIds in src/worker/shapesHost.ts), so a plain greedy lane and the Shapes tab agree.
import type { ModelConfig } from '../../model/config';
import type { TextTokenizer } from '../../model/tokenizer';
import { promptTokens } from '../generate';

export function componentPromptIds(
  tokenizer: TextTokenizer,
  config: ModelConfig,
  modelName: string,
  text: string,
  withImage: boolean,
): number[] {
  if (!withImage) return promptTokens(tokenizer, text);
  const vision = config.vision;
  if (!vision) throw new Error(`${modelName} reads text only (its config.json has no vision_config): it cannot be given an image`); // prettier-ignore
  if (tokenizer.bosTokenId === null) {
    throw new Error(
      `${modelName}: its tokenizer names no BOS token, which the image prompt starts with (<bos> <image> x ${vision.numPatches} text)`,
    );
  }
  const placeholders = Array<number>(vision.numPatches).fill(vision.imageTokenId);
  return [tokenizer.bosTokenId, ...placeholders, ...tokenizer.encode(text, { addSpecialTokens: false })];
}
