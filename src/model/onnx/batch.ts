// Checking a forward request, how its sequences become the graph's integer inputs, and which of
// them can share a session.run. Pure (tested in batch.test.ts).
//
// Sequence b has `cached` positions and `tokens.length` new tokens. With past = max cached and
// seq = max new, its keys are [padding: past - cached | cached | new | padding: seq - new] and
// attention_mask is 0 exactly on the padding; its new tokens sit at positions cached + t.
// Padding query rows repeat the last real token at its position (a valid id and a valid position;
// their logits and cache rows are never read).
import { KernelInputError } from '../../gpu/errors';
import type { ModelConfig } from '../config';
import type { ForwardRequest, SequenceId } from '../interface';
import { imagePlaceholders } from '../vision';

/**
 * Throws for a request this backend cannot run, before anything runs: no sequences, a sequence
 * twice or unknown (`cachedLength` throws), no new tokens, ids outside the vocabulary, images
 * (unless `acceptsImages`: then each is checked against config.vision and its placeholders, as
 * the WGSL engine checks them), captures (the graph has no such outputs), or more positions than
 * the model has. Returns, per sequence, the indices of its image placeholders (null: no image).
 */
export function checkRequest(
  request: ForwardRequest,
  config: ModelConfig,
  cachedLength: (sequence: SequenceId) => number,
  modelName: string,
  acceptsImages = false,
): (number[] | null)[] {
  const { vocabSize, maxPositions } = config;
  if (request.sequences.length === 0) throw new KernelInputError('forward needs at least one sequence');
  const capture = request.capture ?? {};
  if (capture.hiddenStates || (capture.logitLensLayers?.length ?? 0) > 0 || capture.attention) {
    throw new KernelInputError(
      `${modelName} runs on onnxruntime-web, whose exported graph has no hidden states, logit lens or ` +
        'attention outputs (capabilities say so): load the model with the WGSL engine for those methods',
    );
  }
  const seen = new Set<SequenceId>();
  const placeholders: (number[] | null)[] = [];
  for (const { sequence, tokens, image } of request.sequences) {
    if (seen.has(sequence)) throw new KernelInputError(`sequence ${sequence} appears twice in one forward`);
    seen.add(sequence);
    const start = cachedLength(sequence);
    if (tokens.length === 0) throw new KernelInputError(`sequence ${sequence} has no new tokens`);
    if (image && !acceptsImages)
      throw new KernelInputError(`${modelName} takes no images (capabilities.images is false)`);
    for (const token of tokens) {
      if (!Number.isInteger(token) || token < 0 || token >= vocabSize) {
        throw new KernelInputError(`token id ${token} is outside the vocabulary [0, ${vocabSize})`);
      }
    }
    if (start + tokens.length > maxPositions) {
      throw new KernelInputError(
        `sequence ${sequence} would reach ${start + tokens.length} positions, beyond the model's ${maxPositions}`,
      );
    }
    placeholders.push(imagePlaceholders(config, sequence, tokens, image));
  }
  return placeholders;
}

export interface BatchMember {
  cached: number;
  tokens: readonly number[];
}

export interface BatchInputs {
  batch: number;
  /** Longest cached length: the past dimension every sequence is padded to. */
  past: number;
  /** Longest new-token count. */
  seqLength: number;
  /** [batch, seqLength] */
  ids: BigInt64Array;
  /** [batch, seqLength] */
  positions: BigInt64Array;
  /** [batch, past + seqLength] */
  mask: BigInt64Array;
}

export function batchInputs(members: readonly BatchMember[]): BatchInputs {
  const batch = members.length;
  const past = Math.max(...members.map((m) => m.cached));
  const seqLength = Math.max(...members.map((m) => m.tokens.length));
  const total = past + seqLength;
  const ids = new BigInt64Array(batch * seqLength);
  const positions = new BigInt64Array(batch * seqLength);
  const mask = new BigInt64Array(batch * total);
  members.forEach(({ cached, tokens }, b) => {
    for (let t = 0; t < seqLength; t++) {
      const real = Math.min(t, tokens.length - 1);
      ids[b * seqLength + t] = BigInt(tokens[real]);
      positions[b * seqLength + t] = BigInt(cached + real);
    }
    mask.fill(1n, b * total + past - cached, b * total + past + tokens.length);
  });
  return { batch, past, seqLength, ids, positions, mask };
}

/**
 * Indices of the members that share one run: all of them when the graph takes position_ids, else
 * those with equal cached and new lengths (such a graph numbers positions from the past length,
 * which padding would shift), in order of first appearance.
 */
export function runGroups(members: readonly BatchMember[], padded: boolean): number[][] {
  if (padded) return [members.map((_, i) => i)];
  const byShape = new Map<string, number[]>();
  members.forEach(({ cached, tokens }, i) => {
    const key = `${cached}:${tokens.length}`;
    byShape.set(key, [...(byShape.get(key) ?? []), i]);
  });
  return [...byShape.values()];
}
