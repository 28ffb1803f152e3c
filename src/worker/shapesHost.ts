// The worker's Shapes default models: each in its own ModelHost, beside the Model tab's, so the
// landing tab's VLM and the three caption LMs stay loaded while the user loads anything else.
// GpuHost sends a model request here when it names a Shapes slot (protocol.ts). Pure apart from
// the hosts it is given (no engine import), so Node unit tests run it with fakes.
import type { VisionConfig } from '../model/config';
import type { ModelHost } from './modelHost';
import { SHAPES_MODELS, type ShapesModelName } from './shapesTypes';

/** Thrown for prompts a vision-language model cannot read; the message is for the user. */
export class ImagePromptError extends Error {
  override name = 'ImagePromptError';
}

/** What imagePromptIds needs of a tokenizer (TextTokenizer has it). */
export interface PromptTokenizer {
  readonly bosTokenId: number | null;
  encode(text: string, options: { addSpecialTokens?: boolean }): number[];
}

/**
 * The prompt of LogitLab's vision-language models for `text` about an image:
 *   <bos>  <image> x numPatches  text
 * (vlmPrompt in src/defaults/data.ts, the format the Shapes VLM was trained on). The text is
 * tokenized by the model's own tokenizer without special tokens, so words outside its vocabulary
 * become its unknown token instead of failing.
 */
export function imagePromptIds(
  tokenizer: PromptTokenizer,
  vision: VisionConfig | null,
  text: string,
  modelName: string,
): number[] {
  if (!vision) {
    throw new ImagePromptError(
      `${modelName} reads text only (its config.json has no vision_config): it cannot be given an image`,
    );
  }
  if (tokenizer.bosTokenId === null) {
    throw new ImagePromptError(
      `${modelName}: its tokenizer names no BOS token, which the image prompt starts with (<bos> <image> x ${vision.numPatches} text)`,
    );
  }
  const placeholders = Array<number>(vision.numPatches).fill(vision.imageTokenId);
  return [tokenizer.bosTokenId, ...placeholders, ...tokenizer.encode(text, { addSpecialTokens: false })];
}

export class ShapesHost {
  private readonly hosts = new Map<ShapesModelName, ModelHost>();

  /** `createHost` makes one ModelHost per default model (the worker passes `() => new ModelHost()`). */
  constructor(private readonly createHost: (name: ShapesModelName) => ModelHost) {}

  /** The host of one default model, created on first use. */
  host(name: ShapesModelName): ModelHost {
    let host = this.hosts.get(name);
    if (!host) {
      host = this.createHost(name);
      this.hosts.set(name, host);
    }
    return host;
  }

  /** Drops every loaded default model (their GPU objects belong to a replaced or lost device). */
  reset(): void {
    for (const name of SHAPES_MODELS) this.hosts.get(name)?.reset();
  }
}
