// Tasks and responses as token sequences in the formats of the Shapes VLM (src/defaults/data.ts):
//   <bos> <image> x P  prompt  response <eos>      (the response's tokens and <eos> are predicted)
// P = 0 gives the same sequence without an image for the text-only models. Offline pairs pack as
// rows [chosen_0, rejected_0, chosen_1, rejected_1, ...] of one batch; rollouts of one group as
// consecutive rows. Responses sampled by a model come as ids (their <eos> included when the model
// stopped), text responses as words of the Shapes vocabulary (an <eos> is appended).
import { packBatch, vlmPrompt, type Example } from '../defaults/data';
import type { TokenBatch } from '../training/types';
import { SHAPES_VOCABULARY, SPECIAL_TOKENS, imageToFloat32, rasterize, tokenId } from '../world';
import { ObjectiveInputError } from './errors';
import type { PreferencePairIndex } from './dpo';
import { sequenceLogProbs, type LogProbs, type SequenceIndex } from './objective';
import type { PreferenceExample } from './preferences';
import type { ShapesTask } from './tasks';

const EOS = tokenId('<eos>') as number;

/** Word ids of a text in the Shapes vocabulary, refusing words it does not have. */
export function wordIds(text: string): number[] {
  return text
    .split(' ')
    .filter((w) => w.length > 0)
    .map((w) => {
      const id = tokenId(w);
      if (id === undefined)
        throw new ObjectiveInputError(`sequences: "${w}" (in "${text}") is not in the Shapes vocabulary`);
      return id;
    });
}

/** A response's ids as text: words joined by spaces, special tokens (<eos>, <pad>) left out. */
export function responseText(ids: readonly number[]): string {
  const special: readonly string[] = SPECIAL_TOKENS;
  return ids
    .map((id) => SHAPES_VOCABULARY[id])
    .filter((w) => w !== undefined && !special.includes(w))
    .join(' ');
}

/** The prompt's ids for a model with `numPatches` image patches (0: text only). */
export function taskPromptIds(task: ShapesTask, numPatches: number): number[] {
  if (!Number.isInteger(numPatches) || numPatches < 0) {
    throw new ObjectiveInputError(`sequences: numPatches must be a whole number >= 0, got ${numPatches}`);
  }
  wordIds(task.prompt);
  return vlmPrompt(numPatches, task.prompt);
}

/** prompt + response ids; the mask covers the positions that predict the response. */
export function responseExample(task: ShapesTask, numPatches: number, response: readonly number[]): Example {
  if (response.length === 0)
    throw new ObjectiveInputError('sequences: an empty response has nothing to score');
  const prompt = taskPromptIds(task, numPatches);
  const tokens = [...prompt, ...response];
  const mask = tokens.map((_, t) => (t >= prompt.length - 1 && t < tokens.length - 1 ? 1 : 0));
  const image = numPatches > 0 ? imageToFloat32(rasterize(task.scene)) : null;
  return { tokens, mask, image };
}

/** A text response (Shapes words) followed by <eos>. */
export function textExample(task: ShapesTask, numPatches: number, response: string): Example {
  return responseExample(task, numPatches, [...wordIds(response), EOS]);
}

export interface PreferenceBatch {
  batch: TokenBatch;
  /** Rows 2k and 2k + 1 of batch 0 (the micro-batch index is `batchIndex`). */
  pairs: { chosen: SequenceIndex; rejected: SequenceIndex }[];
}

/** Offline pairs as one micro-batch; `batchIndex` is its place in the step's list of micro-batches. */
export function preferenceBatch(
  examples: readonly PreferenceExample[],
  numPatches: number,
  batchIndex = 0,
): PreferenceBatch {
  if (examples.length === 0) {
    throw new ObjectiveInputError('sequences: the preference set is empty; give at least one pair');
  }
  const rows = examples.flatMap((e) => [
    textExample(e.task, numPatches, e.chosen),
    textExample(e.task, numPatches, e.rejected),
  ]);
  return {
    batch: packBatch(rows),
    pairs: examples.map((_, k) => ({
      chosen: { batch: batchIndex, row: 2 * k },
      rejected: { batch: batchIndex, row: 2 * k + 1 },
    })),
  };
}

/** The pairs with the frozen reference model's sequence log-probs (computed once, before training). */
export function withReferenceLogProbs(
  pairs: readonly { chosen: SequenceIndex; rejected: SequenceIndex }[],
  batches: readonly TokenBatch[],
  referenceLogProbs: readonly LogProbs[],
): PreferencePairIndex[] {
  const sums = batches.map((b, i) => sequenceLogProbs(b, referenceLogProbs[i]));
  return pairs.map((p) => ({
    ...p,
    referenceChosen: sums[p.chosen.batch][p.chosen.row],
    referenceRejected: sums[p.rejected.batch][p.rejected.row],
  }));
}

/** G sampled responses to one task as one micro-batch (row i = response i). */
export function rolloutBatch(
  task: ShapesTask,
  numPatches: number,
  responses: readonly (readonly number[])[],
): TokenBatch {
  if (responses.length === 0) throw new ObjectiveInputError('sequences: no responses to pack');
  return packBatch(responses.map((r) => responseExample(task, numPatches, r)));
}
