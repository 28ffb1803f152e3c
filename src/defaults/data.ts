// Training and evaluation sequences of the Shapes default models, in the shared word vocabulary
// (src/world/vocabulary.ts). The formats are the contract between training, evaluation and the
// UI, so they live in one place:
//   text LMs (expert, amateur, draft):  <bos> caption <eos>                     (every token counts)
//   VLM caption:   <bos> <image> x P  the picture shows  caption <eos>          (caption + <eos> count)
//   VLM questions: <bos> <image> x P  q1 ? a1  q2 ? a2 ... qk ? ak <eos>        (answers + <eos> count)
// A question sequence asks k questions about one image (the recipe's questionsPerExample mixed
// questions plus objectQuestionsPerExample object questions): its first pair is exactly the
// single-question prompt evaluation and the UI use, and the later pairs give the image k times the
// supervision per sequence. One yes/no answer is one bit: with one question per image the 2-layer
// VLM never learned to look at the patches (POPE at chance after 500 steps).
// Captions for the VLM never carry their own opener: "the picture shows" is the caption prompt,
// and a question's first word ("is", "how", "what") is what tells the model to answer instead.
import type { TokenBatch } from '../training/types';
import {
  SHAPES,
  answerQuestion,
  captionFor,
  imageToFloat32,
  objectQuestion,
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

/**
 * One question sequence for the VLM about one image, in random order: `count` mixed questions
 * (object, attribute, count and colour, src/world/questions.ts) and an object question ("is there
 * a <shape> ?") for each of `objectShapes` distinct shapes drawn at random, so every sequence
 * carries that many presence bits: the supervision POPE measures.
 */
export function vlmQuestionExample(
  scene: Scene,
  rng: WorldRandom,
  numPatches: number,
  count: number,
  objectShapes = 0,
): Example {
  const pairs = [
    ...questionsFor(scene, rng, count),
    ...(objectShapes > 0 ? rng.shuffle(SHAPES).slice(0, objectShapes) : []).map((shape) => {
      const question = objectQuestion(shape);
      return { question, answer: answerQuestion(scene, question) as string };
    }),
  ];
  const image = imageToFloat32(rasterize(scene));
  const prompt = [BOS, ...Array<number>(numPatches).fill(IMAGE)];
  const tokens = [...prompt];
  const mask = prompt.map(() => 0);
  for (const { question, answer } of pairs.length > 1 ? rng.shuffle(pairs) : pairs) {
    const q = ids(question);
    const a = ids(answer);
    // The last question token predicts the answer's first token: mask follows the predicting position.
    tokens.push(...q);
    mask.push(...q.map((_, i) => (i === q.length - 1 ? 1 : 0)));
    tokens.push(...a);
    mask.push(...a.map((_, i) => (i === a.length - 1 ? 0 : 1)));
  }
  // The last answer token predicts <eos>.
  mask[mask.length - 1] = 1;
  tokens.push(EOS);
  mask.push(0);
  return { tokens, mask, image };
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
