// Encodes one batched forward of the WGSL engine into a single command buffer (see model.ts for
// the data flow). Rows are the new tokens of all sequences, back to back; each sequence's rows
// attend over its own KV cache. Only the rows whose logits are asked for go through the head.
// Images (vision-language models) are encoded after the embedding pass and overwrite the hidden
// rows of their placeholder tokens (./vision.ts) before layer 0.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import type { ModelConfig } from '../config';
import type { ForwardRequest, ForwardResult, SequenceId } from '../interface';
import type { Activations } from './activations';
import type { EngineKernels, HeadKernels, NormKernel } from './kernels';
import type { KvCacheStore } from './kv-cache';
import type { EngineWeights } from './weights';
import { LayerNormKernel } from '../../kernels/norm/norm';
import { imagePlaceholders } from '../vision';
import { encodeImages, type ImageRows } from './vision';

export interface ForwardLayout {
  sequences: { sequence: SequenceId; firstRow: number; tokens: number; start: number }[];
  /** Rows (indices into the batch) whose logits are returned, in order. */
  outputRows: number[];
  /** Images of this forward with the batch rows of their placeholders. */
  images: ImageRows[];
}

/**
 * Throws for a request the engine cannot run, before anything is encoded. Returns, per sequence,
 * the indices (into its new tokens) of its image placeholders, or null when it has no image.
 */
export function validateRequest(
  config: ModelConfig,
  caches: KvCacheStore,
  request: ForwardRequest,
): (number[] | null)[] {
  if (request.sequences.length === 0) throw new KernelInputError('forward needs at least one sequence');
  const seen = new Set<SequenceId>();
  const placeholders: (number[] | null)[] = [];
  for (const { sequence, tokens, image } of request.sequences) {
    if (seen.has(sequence)) throw new KernelInputError(`sequence ${sequence} appears twice in one forward`);
    seen.add(sequence);
    caches.length(sequence); // throws for unknown sequences
    if (tokens.length === 0) throw new KernelInputError(`sequence ${sequence} has no new tokens`);
    placeholders.push(imagePlaceholders(config, sequence, tokens, image));
  }
  for (const layer of request.capture?.logitLensLayers ?? []) {
    if (!Number.isInteger(layer) || layer < 1 || layer > config.numLayers) {
      throw new KernelInputError(`logit-lens layer must be in 1..${config.numLayers}, got ${layer}`);
    }
  }
  const attention = request.capture?.attention;
  if (attention) {
    if (!Number.isInteger(attention.layer) || attention.layer < 0 || attention.layer >= config.numLayers) {
      throw new KernelInputError(
        `attention layer must be in 0..${config.numLayers - 1}, got ${attention.layer}`,
      );
    }
    if (!Number.isInteger(attention.head) || attention.head < 0 || attention.head >= config.numHeads) {
      throw new KernelInputError(
        `attention head must be in 0..${config.numHeads - 1}, got ${attention.head}`,
      );
    }
  }
  return placeholders;
}

function encodeNorm(
  pass: GPUComputePassEncoder,
  kernel: NormKernel,
  input: GPUBuffer,
  norm: EngineWeights['finalNorm'],
  output: GPUBuffer,
  rows: number,
  dim: number,
  eps: number,
): void {
  if (kernel instanceof LayerNormKernel)
    kernel.encode(pass, input, norm.gamma, norm.beta as GPUBuffer, output, { rows, dim }, eps);
  else kernel.encode(pass, input, norm.gamma, output, { rows, dim }, eps);
}

export async function encodeForward(
  gpu: Gpu,
  config: ModelConfig,
  weights: EngineWeights,
  kernels: EngineKernels,
  caches: KvCacheStore,
  acts: Activations,
  request: ForwardRequest,
  layout: ForwardLayout,
): Promise<Omit<ForwardResult, 'rows'>> {
  const device = gpu.device;
  const d = config.hiddenSize;
  const hd = config.headDim;
  const qWidth = config.numHeads * hd;
  const kvWidth = config.numKeyValueHeads * hd;
  const I = config.intermediateSize;
  const V = config.vocabSize;
  const llama = config.architecture === 'llama';
  const R = layout.sequences.reduce((sum, s) => sum + s.tokens, 0);
  const O = layout.outputRows.length;
  const capture = request.capture ?? {};
  const lensLayers = capture.logitLensLayers ?? [];
  const keepHidden = Boolean(capture.hiddenStates) || lensLayers.length > 0;

  const ids = acts.get('ids', R * 4);
  const positions = acts.get('positions', R * 4);
  device.queue.writeBuffer(ids, 0, Uint32Array.from(request.sequences.flatMap((s) => s.tokens)));
  device.queue.writeBuffer(
    positions,
    0,
    Uint32Array.from(
      layout.sequences.flatMap((s) => Array.from({ length: s.tokens }, (_, t) => s.start + t)),
    ),
  );
  const hidden = acts.get('hidden', R * d * 4);
  const normed = acts.get('normed', R * d * 4);
  const q = acts.get('q', R * qWidth * 4);
  const k = acts.get('k', R * kvWidth * 4);
  const v = acts.get('v', R * kvWidth * 4);
  const attn = acts.get('attention', R * qWidth * 4);
  const mlp = acts.get('mlp', R * (llama ? 2 * I : I) * 4);
  const act = acts.get('mlp-activation', R * I * 4);
  const status = acts.get('embedding-status', 16);
  const hiddenCapture = keepHidden ? acts.get('hidden-capture', (config.numLayers + 1) * O * d * 4) : null;
  const first = layout.sequences[0];
  const attentionProbs = capture.attention
    ? acts.get('attention-probabilities', first.tokens * (first.start + first.tokens) * 4)
    : null;

  const encoder = device.createCommandEncoder({ label: 'forward' });
  for (const s of layout.sequences) caches.reserve(encoder, s.sequence, s.tokens);
  const captureRows = (layer: number) => {
    if (!hiddenCapture) return;
    layout.outputRows.forEach((row, i) =>
      encoder.copyBufferToBuffer(hidden, row * d * 4, hiddenCapture, (layer * O + i) * d * 4, d * 4),
    );
  };

  let pass = encoder.beginComputePass({ label: 'embedding' });
  kernels.embedding.encode(
    pass,
    ids,
    weights.embedding.chunks,
    hidden,
    status,
    { tokens: R, dim: d, vocab: V },
    weights.positions
      ? { table: weights.positions, positions, maxPositions: config.maxPositions }
      : undefined,
  );
  pass.end();
  if (layout.images.length > 0) {
    const { vision } = config;
    if (!vision || !weights.vision || !kernels.vision)
      throw new Error('images reached a model without vision');
    encodeImages(
      gpu,
      encoder,
      acts,
      { ...config, vision },
      weights.vision,
      kernels.vision,
      layout.images,
      hidden,
    );
  }
  captureRows(0);

  for (let l = 0; l < config.numLayers; l++) {
    const w = weights.layers[l];
    const kl = kernels.layers[l];
    pass = encoder.beginComputePass({ label: `layer${l}:qkv` });
    encodeNorm(pass, kl.norm1, hidden, w.norm1, normed, R, d, config.normEps);
    kl.q.encode(pass, normed, w.q, q, { m: R, k: d, n: qWidth }, { bias: w.qBias ?? undefined });
    kl.k.encode(pass, normed, w.k, k, { m: R, k: d, n: kvWidth }, { bias: w.kBias ?? undefined });
    kl.v.encode(pass, normed, w.v, v, { m: R, k: d, n: kvWidth }, { bias: w.vBias ?? undefined });
    if (kl.ropeQ && kl.ropeK) {
      const frequencies = { theta: config.ropeTheta ?? 10000 };
      kl.ropeQ.encode(pass, q, positions, { tokens: R, heads: config.numHeads, headDim: hd }, frequencies);
      kl.ropeK.encode(
        pass,
        k,
        positions,
        { tokens: R, heads: config.numKeyValueHeads, headDim: hd },
        frequencies,
      );
    }
    pass.end();
    for (const s of layout.sequences) caches.append(encoder, s.sequence, l, k, v, s.firstRow, s.tokens);
    pass = encoder.beginComputePass({ label: `layer${l}:attention-mlp` });
    layout.sequences.forEach((s, slot) => {
      const wantProbs = slot === 0 && attentionProbs && capture.attention?.layer === l;
      kl.attention[slot].encode(
        pass,
        { query: q, key: caches.keys(s.sequence), value: caches.values(s.sequence), output: attn },
        {
          queries: s.tokens,
          keys: s.start + s.tokens,
          numHeads: config.numHeads,
          numKvHeads: config.numKeyValueHeads,
          headDim: hd,
          capacity: caches.capacity(s.sequence),
          cacheOffset: caches.layerOffset(s.sequence, l),
          queryOffset: s.firstRow * qWidth,
          outputOffset: s.firstRow * qWidth,
        },
        wantProbs ? { head: capture.attention!.head, probabilities: attentionProbs } : undefined,
      );
    });
    kl.o.encode(
      pass,
      attn,
      w.o,
      hidden,
      { m: R, k: qWidth, n: d },
      { bias: w.oBias ?? undefined, accumulate: true },
    );
    encodeNorm(pass, kl.norm2, hidden, w.norm2, normed, R, d, config.normEps);
    if (kl.swiGlu) {
      kl.up.encode(pass, normed, w.up, mlp, { m: R, k: d, n: 2 * I });
      kl.swiGlu.encodeSwiGlu(pass, mlp, act, { rows: R, intermediate: I });
      kl.down.encode(pass, act, w.down, hidden, { m: R, k: I, n: d }, { accumulate: true });
    } else {
      kl.up.encode(
        pass,
        normed,
        w.up,
        mlp,
        { m: R, k: d, n: I },
        { bias: w.upBias ?? undefined, activation: 'gelu' },
      );
      kl.down.encode(
        pass,
        mlp,
        w.down,
        hidden,
        { m: R, k: I, n: d },
        { bias: w.downBias ?? undefined, accumulate: true },
      );
    }
    pass.end();
    captureRows(l + 1);
  }

  const selected = acts.get('selected', O * d * 4);
  const selectedNormed = acts.get('selected-normed', O * d * 4);
  const logits = acts.get('logits', O * V * 4);
  layout.outputRows.forEach((row, i) =>
    encoder.copyBufferToBuffer(hidden, row * d * 4, selected, i * d * 4, d * 4),
  );
  const encodeHead = (kernelSet: HeadKernels, input: GPUBuffer, output: GPUBuffer, label: string) => {
    const headPass = encoder.beginComputePass({ label });
    encodeNorm(headPass, kernelSet.norm, input, weights.finalNorm, selectedNormed, O, d, config.normEps);
    kernelSet.head.encode(headPass, selectedNormed, weights.head, output, { m: O, k: d, n: V });
    headPass.end();
  };
  encodeHead(kernels.final, selected, logits, 'head');

  let logitLens: GPUBuffer | undefined;
  if (lensLayers.length > 0 && hiddenCapture) {
    logitLens = acts.get('logit-lens', lensLayers.length * O * V * 4);
    const lensInput = acts.get('lens-input', O * d * 4);
    const lensOutput = acts.get('lens-output', O * V * 4);
    for (const [i, layer] of lensLayers.entries()) {
      encoder.copyBufferToBuffer(hiddenCapture, layer * O * d * 4, lensInput, 0, O * d * 4);
      encodeHead(await kernels.lensKernels(layer), lensInput, lensOutput, `lens${layer}`);
      encoder.copyBufferToBuffer(lensOutput, 0, logitLens, i * O * V * 4, O * V * 4);
    }
  }

  device.queue.submit([encoder.finish()]);
  caches.releaseRetired();
  for (const s of layout.sequences) caches.advance(s.sequence, s.tokens);
  return {
    logits,
    hiddenStates: capture.hiddenStates && hiddenCapture ? hiddenCapture : undefined,
    logitLens,
    attention: attentionProbs
      ? { buffer: attentionProbs, queries: first.tokens, keys: first.start + first.tokens }
      : undefined,
  };
}
