// The Model tab's inspection of one text on a WGSL model: the attention map of one (layer, head)
// over the text and the logit lens (the final norm + head after every layer) at one position. ONNX
// models give logits only and are refused by name (their capabilities say so).
import { tokenPiece } from '../decoding/generate';
import { readFloat32 } from '../gpu/readback';
import type { Gpu } from '../gpu/runtime';
import type { TextTokenizer } from '../model/tokenizer';
import { ModelRequestError, userFacing, type LoadedModel } from './modelLoad';
import type { InspectParams, InspectResult, LensEntry } from './modelTypes';

/**
 * Inspection caps: the attention map is tokens² floats and each lens row is a full vocabulary, so
 * the inspected text is cut to this many tokens and only one lens row per layer (the chosen
 * position) is read back: layers × vocab × 4 bytes (24 × 151,936 × 4 ≈ 14.6 MB for Qwen2.5-0.5B).
 * This is an inspection view, not the decoding hot path, so top-k over the vocabulary runs on the CPU.
 */
export const MAX_INSPECT_TOKENS = 128;
export const LENS_TOP = 5;

/** The `count` most probable entries of softmax(logits), computed on the CPU. */
export function topProbabilities(logits: Float32Array, count: number): { id: number; prob: number }[] {
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const best: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    if (best.length === count && logits[id] <= logits[best[count - 1]]) continue;
    let at = best.length === count ? count - 1 : best.length;
    while (at > 0 && logits[best[at - 1]] < logits[id]) {
      if (at < count) best[at] = best[at - 1];
      at--;
    }
    best[at] = id;
  }
  return best.map((id) => ({ id, prob: Math.exp(logits[id] - max) / sum }));
}

/** Decodes the ids the tokenizer knows (a padded head can emit others; they are shown as pieces elsewhere). */
export function decodeKnown(tokenizer: TextTokenizer, ids: readonly number[]): string {
  return tokenizer.decode(ids.filter((id) => tokenizer.idToToken(id) !== undefined));
}

export async function inspectText(
  gpu: Gpu,
  loaded: LoadedModel,
  params: InspectParams,
): Promise<InspectResult> {
  const { wgsl: model, tokenizer, card } = loaded;
  if (!model || !card.capabilities.attention || !card.capabilities.logitLens) {
    throw new ModelRequestError(
      `Inspect needs attention probabilities and the logit lens (capabilities attention and logitLens), which ` +
        `${card.name} does not give: ${card.engine === 'onnx' ? 'its ONNX graph outputs logits and the KV cache only' : 'its engine lacks them'}. ` +
        'Inspect a safetensors model in the WGSL engine instead.',
    );
  }
  const config = model.info.config;
  const { layer, head } = params;
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.numLayers)
    throw new ModelRequestError(`layer must be in 0..${config.numLayers - 1}, got ${layer}`);
  if (!Number.isInteger(head) || head < 0 || head >= config.numHeads)
    throw new ModelRequestError(`head must be in 0..${config.numHeads - 1}, got ${head}`);
  let ids: number[];
  try {
    ids = params.tokenIds ? [...params.tokenIds] : tokenizer.encode(params.text);
  } catch (cause) {
    throw userFacing(cause, 'The text could not be tokenized');
  }
  if (ids.length === 0)
    throw new ModelRequestError('The text to inspect is empty: type or generate some text.');
  const cap = Math.min(MAX_INSPECT_TOKENS, config.maxPositions);
  const dropped = Math.max(0, ids.length - cap);
  ids = ids.slice(0, cap);
  const n = ids.length;
  const lensPosition = Math.min(Math.max(0, params.lensPosition ?? n - 1), n - 1);
  const layers = Array.from({ length: config.numLayers }, (_, i) => i + 1);
  const vocab = config.vocabSize;

  // Attention over the whole text; the lens at `lensPosition` is the last row of a forward over
  // the prefix ending there (the same forward when it is the last position).
  const full = model.createSequence();
  let attention: Float32Array;
  let lensRows: Float32Array[];
  try {
    const sameForward = lensPosition === n - 1;
    const out = await model.forward({
      sequences: [{ sequence: full, tokens: ids }],
      capture: { attention: { layer, head }, logitLensLayers: sameForward ? layers : undefined },
    });
    attention = await readFloat32(gpu, out.attention!.buffer, n * n);
    if (sameForward) {
      lensRows = await Promise.all(layers.map((_, i) => readFloat32(gpu, out.logitLens!, vocab, i * vocab)));
    } else {
      const prefix = model.createSequence();
      try {
        const lensOut = await model.forward({
          sequences: [{ sequence: prefix, tokens: ids.slice(0, lensPosition + 1) }],
          capture: { logitLensLayers: layers },
        });
        lensRows = await Promise.all(
          layers.map((_, i) => readFloat32(gpu, lensOut.logitLens!, vocab, i * vocab)),
        );
      } finally {
        model.releaseSequence(prefix);
      }
    }
  } catch (cause) {
    throw userFacing(cause, 'Inspection failed');
  } finally {
    model.releaseSequence(full);
  }
  const entry = ({ id, prob }: { id: number; prob: number }): LensEntry => ({
    id,
    piece: tokenPiece(tokenizer, id),
    prob,
  });
  const result: InspectResult = {
    text: decodeKnown(tokenizer, ids),
    tokens: ids.map((id) => ({ id, piece: tokenPiece(tokenizer, id) })),
    droppedTokens: dropped,
    layer,
    head,
    attention: Array.from(attention),
    lensPosition,
    lens: lensRows.map((row, i) => ({ layer: layers[i], top: topProbabilities(row, LENS_TOP).map(entry) })),
  };
  return result;
}
