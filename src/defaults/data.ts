// Training and evaluation sequences of the Shapes default models, in the shared word vocabulary
// (src/world/vocabulary.ts). The formats are the contract between training, evaluation and the
// UI, so they live in one place:
//   text LMs (expert, amateur, draft):  <bos> caption <eos>                     (every token counts)
//   VLM caption:   <bos> <image> x P  the picture shows  caption <eos>          (caption + <eos> count)
//   VLM question:  <bos> <image> x P  question ?  answer <eos>                  (answer + <eos> count)
// Captions for the VLM never carry their own opener: "the picture shows" is the caption prompt,
// and a question's first word ("is", "how", "what") is what tells the model to answer instead.
import type { TokenBatch } from '../training/types';
import {
  captionFor,
  imageToFloat32,
  questionsFor,
  rasterize,
  tokenId,
  type Scene,
  type WorldRandom,
} from '../world';

/** The words a VLM caption prompt ends with. */
export const CAPTION_PROMPT = 'the picture shows';

export interface Example {
  tokens: number[];
  /** 1 where the token is predicted (its log-prob counts), aligned with `tokens`' targets. */
  mask: number[];
  image: Float32Array | null;
}

function ids(text: string): number[] {
  return text
    .split(' ')
    .filter((w) => w.length > 0)
    .map((w) => {
      const id = tokenId(w);
      if (id === undefined) throw new Error(`Shapes data: "${w}" is not in the vocabulary`);
      return id;
    });
}

const BOS = tokenId('<bos>')!;
const EOS = tokenId('<eos>')!;
const IMAGE = tokenId('<image>')!;
export const PAD = tokenId('<pad>')!;

/** <bos> caption <eos>, every next token predicted. */
export function captionExample(scene: Scene, rng: WorldRandom): Example {
  const tokens = [BOS, ...ids(captionFor(scene, rng)), EOS];
  return { tokens, mask: tokens.map((_, i) => (i < tokens.length - 1 ? 1 : 0)), image: null };
}

/** The VLM prompt: <bos>, the image placeholders, then `text` (a question, or the caption prompt). */
export function vlmPrompt(numPatches: number, text: string): number[] {
  return [BOS, ...Array<number>(numPatches).fill(IMAGE), ...ids(text)];
}

function vlmExample(prompt: number[], answer: string, image: Float32Array): Example {
  const tokens = [...prompt, ...ids(answer), EOS];
  // Position t predicts token t + 1: the answer's tokens and <eos> are predicted from t = |prompt| - 1.
  const mask = tokens.map((_, t) => (t >= prompt.length - 1 && t < tokens.length - 1 ? 1 : 0));
  return { tokens, mask, image };
}

/** A captioning example for the VLM. */
export function vlmCaptionExample(scene: Scene, rng: WorldRandom, numPatches: number): Example {
  const caption = captionFor(scene, rng, { openerProbability: 0 });
  return vlmExample(vlmPrompt(numPatches, CAPTION_PROMPT), caption, imageToFloat32(rasterize(scene)));
}

/** `count` question-answer examples for the VLM (object, attribute, count and colour questions). */
export function vlmQuestionExamples(
  scene: Scene,
  rng: WorldRandom,
  numPatches: number,
  count: number,
): Example[] {
  const image = imageToFloat32(rasterize(scene));
  return questionsFor(scene, rng, count).map(({ question, answer }) =>
    vlmExample(vlmPrompt(numPatches, question), answer, image),
  );
}

/**
 * Packs examples into one batch of T = the longest example (right-padded with <pad>, mask 0):
 * targets are the tokens shifted left by one.
 */
export function packBatch(examples: readonly Example[]): TokenBatch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.tokens.length)) - 1;
  const tokens = new Uint32Array(B * T).fill(PAD);
  const targets = new Uint32Array(B * T).fill(PAD);
  const mask = new Float32Array(B * T);
  examples.forEach((e, b) => {
    for (let t = 0; t < e.tokens.length - 1; t++) {
      tokens[b * T + t] = e.tokens[t];
      targets[b * T + t] = e.tokens[t + 1];
      mask[b * T + t] = e.mask[t];
    }
  });
  const images = examples.some((e) => e.image) ? examples.map((e) => e.image) : undefined;
  return { batchSize: B, length: T, tokens, targets, mask, images };
}
