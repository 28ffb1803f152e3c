// Which layers DoLa and LOL contrast, for a model of any depth (tiny test models included).
//
// DoLa (Chuang et al., "DoLa: Decoding by Contrasting Layers Improves Factuality in Large Language
// Models") picks the premature layer dynamically from a bucket of candidate layers, the bucket chosen
// per task on a validation set. The paper's buckets: LLaMA-7B (32 layers) [0, 16) and [16, 32);
// 13B (40) [0, 20) and [20, 40); 33B (60) and 65B (80) [0, 20), [20, 40), [40, 60)(, [60, 80)),
// and only the even layers of a bucket are candidates (to save compute; the reference scripts pass
// e.g. --early-exit-layers 0,2,...,14,32). Layer j is the output of block j, layer 0 the embeddings.
// Hugging Face's implementation names two buckets: for N <= 40 layers 'low' = range(0, N/2, 2) and
// 'high' = range(N/2, N, 2); for N > 40 'low' = range(0, 20, 2) and 'high' = range(N - 20, N, 2).
//
// Our mapping for a model with L layers (what MethodConfig's 'low' | 'high' | 'all' mean):
//   half = floor(L / 2);  stride = 2 when L >= 32 (the paper's sizes: even layers only), else 1
//   low  = [first, half)           for L <= 40;  [first, 20)     for L > 40
//   high = [half, L)               for L <= 40;  [L - 20, L)     for L > 40
//   all  = [first, L)
//   first = 1 (stride 1) or 2 (stride 2: the even layers from 2)
// Interpretations:
// - Layer 0 (the embedding output) is never a candidate: ForwardCapture's logit lens starts at layer
//   1, and for tied embeddings the early exit at layer 0 is close to the identity (Hugging Face skips
//   it for tied models too).
// - Small models (L < 32) use every layer, so a tiny model still has a choice: L = 4 gives
//   low = [1], high = [2, 3], all = [1, 2, 3]; L = 3: low = [1], high = [1, 2]; L = 2: [1] for all.
// - An empty 'low' bucket (L <= 3) falls back to [first], as Hugging Face does when start = N/2.
// - The final layer L is never a candidate (its lens is q_N itself).
import { KernelInputError } from '../../gpu/errors';

export type DolaBucket = 'low' | 'high' | 'all';

function range(start: number, end: number, stride: number): number[] {
  const out: number[] = [];
  for (let j = start; j < end; j += stride) out.push(j);
  return out;
}

/** Candidate premature layers (1-based logit-lens layers, ascending) of a bucket for L layers. */
export function dolaCandidateLayers(numLayers: number, bucket: DolaBucket): number[] {
  if (!Number.isInteger(numLayers) || numLayers < 2) {
    throw new KernelInputError(
      `DoLa contrasts the final layer with an earlier one, so the model needs at least 2 layers; it has ${numLayers}`,
    );
  }
  const L = numLayers;
  const stride = L >= 32 ? 2 : 1;
  const first = stride === 2 ? 2 : 1;
  const half = Math.floor(L / 2);
  let layers: number[];
  if (bucket === 'low') layers = range(first, L <= 40 ? half : 20, stride);
  else if (bucket === 'high')
    layers = L <= 40 ? range(Math.max(half, first), L, stride) : range(L - 20, L, stride);
  else if (bucket === 'all') layers = range(first, L, stride);
  else throw new KernelInputError(`DoLa layers must be 'low', 'high' or 'all', got ${String(bucket)}`);
  return layers.length > 0 ? layers : [first];
}

/**
 * LOL's lower layer on the amateur: the same layer when the amateur is as deep as the original
 * (a distorted input to the same model, or a same-architecture amateur as in ICD), otherwise the
 * layer at the same relative depth, round(lowerLayer * La / L), kept in 1 .. La - 1.
 */
export function lolAmateurLayer(lowerLayer: number, numLayers: number, amateurLayers: number): number {
  checkLowerLayer(lowerLayer, numLayers, 'original');
  if (!Number.isInteger(amateurLayers) || amateurLayers < 2) {
    throw new KernelInputError(
      `LOL needs an amateur with at least 2 layers (a lower layer below its final one); it has ${amateurLayers}`,
    );
  }
  if (amateurLayers === numLayers) return lowerLayer;
  return Math.min(amateurLayers - 1, Math.max(1, Math.round((lowerLayer * amateurLayers) / numLayers)));
}

/** LOL's lower layer must be a logit-lens layer below the final one: 1 .. L - 1. */
export function checkLowerLayer(lowerLayer: number, numLayers: number, which: string): void {
  if (!Number.isInteger(lowerLayer) || lowerLayer < 1 || lowerLayer >= numLayers) {
    throw new KernelInputError(
      `LOL lower layer must be an integer in 1..${numLayers - 1} (below the final layer of the ${which} model, ` +
        `which has ${numLayers}), got ${lowerLayer}`,
    );
  }
}
