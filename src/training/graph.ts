// The training step's computation (./graph-forward.ts, ./graph-backward.ts; shared parts here), recorded into a command encoder: a forward over whole
// sequences that keeps every activation the backward needs, the fused cross-entropy seam, and the
// backward through every layer into the parameters' gradients. The spec is the CPU reference
// backward (src/model/reference/backward.ts); the per-op specs are the kernels' references.
//
// Rows are the B * T tokens of the batch, sequence-major. Kept per layer l (forward):
//   hidden[l] (layer input) -> normed1 -> q, k, v (RoPE'd in place for Llama) -> attn (per sequence)
//   mid[l] = hidden[l] + o(attn) -> normed2 -> up (GPT-2: pre-GELU; Llama: packed gate/up)
//   -> act (GELU, or silu(gate) * up) -> hidden[l+1] = mid[l] + down(act)
// then normedF = norm(hidden[L]), logits = head(normedF), and the cross-entropy kernel writes logp
// per token and (training) dLoss/dlogits in place over the logits.
// Backward (activation gradients overwrite, parameter gradients always accumulate: the step
// zeroes them once, so micro-batches add up):
//   dNormedF = dLogits . head,      dHead += dLogits^T normedF
//   dH = finalNorm'(dNormedF)
//   per layer, last to first:  dAct = dH . down;  dUp = act'(dAct);  dNormed = dUp . up
//     dH += norm2'(dNormed)     (dH is now dL/dmid: the residual passes it through unchanged)
//     dAttn = dH . o;  dQ, dK, dV = attention'(dAttn);  RoPE^T on dQ, dK
//     dNormed = dQ . q + dK . k + dV . v;  dH += norm1'(dNormed)     (dL/dhidden[l])
//   dEmbedding[id] += dH rows (+ dPositions[pos] for GPT-2; tied heads share the buffer).
import type { ModelConfig } from '../model/config';
import type { VisionInputs } from './graph-vision';

export interface StepShape {
  batchSize: number;
  length: number;
}

/** GPU inputs of one micro-batch (written by the trainer before the submission). */
export interface StepInputs {
  ids: GPUBuffer;
  positions: GPUBuffer;
  targets: GPUBuffer;
  weights: GPUBuffer;
  logProbs: GPUBuffer;
  embeddingStatus: GPUBuffer;
  crossEntropyStatus: GPUBuffer;
  /** The micro-batch's images (vision-language models), or null. */
  vision: VisionInputs | null;
}

/** The model's widths, as the graph uses them. */
export function sizes(config: ModelConfig) {
  const d = config.hiddenSize;
  const I = config.intermediateSize;
  return {
    d,
    I,
    V: config.vocabSize,
    hd: config.headDim,
    qWidth: config.numHeads * config.headDim,
    kvWidth: config.numKeyValueHeads * config.headDim,
    upWidth: config.architecture === 'llama' ? 2 * I : I,
  };
}

/** Names of the kept activations (Activations keys). */
export const kept = (what: string, layer: number) => `${what}${layer}`;
