// The training step's computation, recorded into a command encoder: a forward over whole
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
import { LayerNormKernel } from '../kernels/norm/norm';
import { LayerNormBackwardKernel } from '../kernels/norm-backward/norm-backward';
import { normBackwardWorkspaceBytes } from '../kernels/norm-backward/norm-backward';
import type { Activations } from '../model/engine/activations';
import type { ModelConfig } from '../model/config';
import type { TokenGroupingBuffers } from '../kernels/embedding-backward/grouping';
import type { TrainKernels, TrainNorm, TrainNormBackward } from './kernels';
import type { TrainParameters, TrainTensor } from './parameters';

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
}

function sizes(config: ModelConfig) {
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

function encodeNorm(
  pass: GPUComputePassEncoder,
  kernel: TrainNorm,
  input: GPUBuffer,
  gamma: TrainTensor,
  beta: TrainTensor | null,
  output: GPUBuffer,
  rows: number,
  dim: number,
  eps: number,
): void {
  if (kernel instanceof LayerNormKernel)
    kernel.encode(pass, input, gamma.parameter, beta!.parameter, output, { rows, dim }, eps);
  else kernel.encode(pass, input, gamma.parameter, output, { rows, dim }, eps);
}

function encodeNormBackward(
  pass: GPUComputePassEncoder,
  kernel: TrainNormBackward,
  gradOutput: GPUBuffer,
  input: GPUBuffer,
  gamma: TrainTensor,
  beta: TrainTensor | null,
  gradInput: GPUBuffer,
  statistics: GPUBuffer,
  rows: number,
  dim: number,
  eps: number,
  accumulateInput: boolean,
): void {
  const options = { eps, accumulateInput, accumulate: true };
  const shape = { rows, dim };
  if (kernel instanceof LayerNormBackwardKernel) {
    kernel.encode(
      pass,
      gradOutput,
      input,
      gamma.parameter,
      gradInput,
      gamma.gradient,
      beta!.gradient,
      statistics,
      shape,
      options,
    );
  } else {
    kernel.encode(
      pass,
      gradOutput,
      input,
      gamma.parameter,
      gradInput,
      gamma.gradient,
      statistics,
      shape,
      options,
    );
  }
}

/** Names of the kept activations (Activations keys). */
const kept = (what: string, layer: number) => `${what}${layer}`;

/** Records the forward and the cross-entropy kernel; `train` makes it write dLoss/dlogits. */
export function encodeTrainingForward(
  encoder: GPUCommandEncoder,
  config: ModelConfig,
  params: TrainParameters,
  kernels: TrainKernels,
  acts: Activations,
  inputs: StepInputs,
  shape: StepShape,
  train: boolean,
): void {
  const { d, I, V, hd, qWidth, kvWidth, upWidth } = sizes(config);
  const { batchSize: B, length: T } = shape;
  const R = B * T;
  const eps = config.normEps;
  const llama = config.architecture === 'llama';
  const hidden = (l: number) => acts.get(kept('hidden', l), R * d * 4);

  let pass = encoder.beginComputePass({ label: 'train:embedding' });
  kernels.embedding.encode(
    pass,
    inputs.ids,
    params.embedding.weight.chunks,
    hidden(0),
    inputs.embeddingStatus,
    { tokens: R, dim: d, vocab: V },
    params.positions
      ? { table: params.positions.parameter, positions: inputs.positions, maxPositions: config.maxPositions }
      : undefined,
  );
  pass.end();

  for (let l = 0; l < config.numLayers; l++) {
    const w = params.layers[l];
    const k = kernels.layers[l];
    const normed1 = acts.get(kept('normed1-', l), R * d * 4);
    const q = acts.get(kept('q', l), R * qWidth * 4);
    const key = acts.get(kept('k', l), R * kvWidth * 4);
    const value = acts.get(kept('v', l), R * kvWidth * 4);
    const attn = acts.get(kept('attn', l), R * qWidth * 4);
    const mid = acts.get(kept('mid', l), R * d * 4);
    const normed2 = acts.get(kept('normed2-', l), R * d * 4);
    const up = acts.get(kept('up', l), R * upWidth * 4);
    const act = acts.get(kept('act', l), R * I * 4);
    pass = encoder.beginComputePass({ label: `train:layer${l}:qkv` });
    encodeNorm(pass, k.norm1, hidden(l), w.norm1, w.norm1Bias, normed1, R, d, eps);
    k.q.encode(pass, normed1, w.q.weight, q, { m: R, k: d, n: qWidth }, { bias: w.qBias?.parameter });
    k.k.encode(pass, normed1, w.k.weight, key, { m: R, k: d, n: kvWidth }, { bias: w.kBias?.parameter });
    k.v.encode(pass, normed1, w.v.weight, value, { m: R, k: d, n: kvWidth }, { bias: w.vBias?.parameter });
    if (k.ropeQ && k.ropeK) {
      const frequencies = { theta: config.ropeTheta ?? 10000 };
      k.ropeQ.encode(
        pass,
        q,
        inputs.positions,
        { tokens: R, heads: config.numHeads, headDim: hd },
        frequencies,
      );
      k.ropeK.encode(
        pass,
        key,
        inputs.positions,
        { tokens: R, heads: config.numKeyValueHeads, headDim: hd },
        frequencies,
      );
    }
    for (let b = 0; b < B; b++) {
      k.attention[b].encode(
        pass,
        { query: q, key, value, output: attn },
        {
          queries: T,
          keys: T,
          numHeads: config.numHeads,
          numKvHeads: config.numKeyValueHeads,
          headDim: hd,
          capacity: T,
          cacheOffset: b * T * kvWidth,
          queryOffset: b * T * qWidth,
          outputOffset: b * T * qWidth,
        },
      );
    }
    pass.end();
    encoder.copyBufferToBuffer(hidden(l), 0, mid, 0, R * d * 4);
    pass = encoder.beginComputePass({ label: `train:layer${l}:mlp` });
    k.o.encode(
      pass,
      attn,
      w.o.weight,
      mid,
      { m: R, k: qWidth, n: d },
      { bias: w.oBias?.parameter, accumulate: true },
    );
    encodeNorm(pass, k.norm2, mid, w.norm2, w.norm2Bias, normed2, R, d, eps);
    k.up.encode(pass, normed2, w.up.weight, up, { m: R, k: d, n: upWidth }, { bias: w.upBias?.parameter });
    if (llama) k.activation.encodeSwiGlu(pass, up, act, { rows: R, intermediate: I });
    else k.activation.encodeUnary(pass, 'gelu', up, act, R * I);
    pass.end();
    encoder.copyBufferToBuffer(mid, 0, hidden(l + 1), 0, R * d * 4);
    pass = encoder.beginComputePass({ label: `train:layer${l}:down` });
    k.down.encode(
      pass,
      act,
      w.down.weight,
      hidden(l + 1),
      { m: R, k: I, n: d },
      { bias: w.downBias?.parameter, accumulate: true },
    );
    pass.end();
  }

  const normedF = acts.get('normedF', R * d * 4);
  const logits = acts.get('logits', R * V * 4);
  pass = encoder.beginComputePass({ label: 'train:head' });
  encodeNorm(
    pass,
    kernels.finalNorm,
    hidden(config.numLayers),
    params.finalNorm,
    params.finalNormBias,
    normedF,
    R,
    d,
    eps,
  );
  kernels.head.encode(pass, normedF, params.head.weight, logits, { m: R, k: d, n: V });
  kernels.crossEntropy.encode(
    pass,
    logits,
    inputs.targets,
    inputs.weights,
    inputs.logProbs,
    inputs.crossEntropyStatus,
    { tokens: R, vocab: V },
    train,
  );
  pass.end();
}

/** Records the backward of the forward above (whose logits now hold dLoss/dlogits). */
export function encodeTrainingBackward(
  encoder: GPUCommandEncoder,
  config: ModelConfig,
  params: TrainParameters,
  kernels: TrainKernels,
  acts: Activations,
  inputs: StepInputs,
  groupings: { ids: TokenGroupingBuffers; positions: TokenGroupingBuffers | null },
  shape: StepShape,
): void {
  const { d, I, V, hd, qWidth, kvWidth, upWidth } = sizes(config);
  const { batchSize: B, length: T } = shape;
  const R = B * T;
  const eps = config.normEps;
  const llama = config.architecture === 'llama';
  const get = (name: string, bytes: number) => acts.get(name, bytes);
  const hidden = (l: number) => get(kept('hidden', l), R * d * 4);
  const dH = get('dHidden', R * d * 4);
  const dNormed = get('dNormed', R * d * 4);
  const dAct = get('dAct', R * I * 4);
  const dUp = get('dUp', R * upWidth * 4);
  const dAttn = get('dAttn', R * qWidth * 4);
  const dQ = get('dQ', R * qWidth * 4);
  const dK = get('dK', R * kvWidth * 4);
  const dV = get('dV', R * kvWidth * 4);
  const statistics = get('normStatistics', normBackwardWorkspaceBytes(R));
  const acc = (tensor: TrainTensor | null) =>
    tensor ? { buffer: tensor.gradient, accumulate: true } : undefined;

  let pass = encoder.beginComputePass({ label: 'train:head-backward' });
  kernels.headBackward.encode(
    pass,
    get('logits', R * V * 4),
    get('normedF', R * d * 4),
    { buffer: params.head.tensor.parameter, layout: 'nk' },
    { input: { buffer: dNormed }, weight: acc(params.head.tensor) },
    { m: R, k: d, n: V },
  );
  encodeNormBackward(
    pass,
    kernels.finalNormBackward,
    dNormed,
    hidden(config.numLayers),
    params.finalNorm,
    params.finalNormBias,
    dH,
    statistics,
    R,
    d,
    eps,
    false,
  );
  pass.end();

  for (let l = config.numLayers - 1; l >= 0; l--) {
    const w = params.layers[l];
    const k = kernels.layers[l];
    const layout = (m: { weight: { layout: 'kn' | 'nk' }; tensor: TrainTensor }) => ({
      buffer: m.tensor.parameter,
      layout: m.weight.layout,
    });
    pass = encoder.beginComputePass({ label: `train:layer${l}:mlp-backward` });
    k.downBackward.encode(
      pass,
      dH,
      get(kept('act', l), R * I * 4),
      layout(w.down),
      { input: { buffer: dAct }, weight: acc(w.down.tensor), bias: acc(w.downBias) },
      { m: R, k: I, n: d },
    );
    const up = get(kept('up', l), R * upWidth * 4);
    if (llama) k.activationBackward.encodeSwiGlu(pass, up, dAct, dUp, { rows: R, intermediate: I });
    else k.activationBackward.encodeUnary(pass, 'gelu', up, dAct, dUp, R * I);
    k.upBackward.encode(
      pass,
      dUp,
      get(kept('normed2-', l), R * d * 4),
      layout(w.up),
      { input: { buffer: dNormed }, weight: acc(w.up.tensor), bias: acc(w.upBias) },
      { m: R, k: d, n: upWidth },
    );
    encodeNormBackward(
      pass,
      k.norm2Backward,
      dNormed,
      get(kept('mid', l), R * d * 4),
      w.norm2,
      w.norm2Bias,
      dH,
      statistics,
      R,
      d,
      eps,
      true,
    );
    k.oBackward.encode(
      pass,
      dH,
      get(kept('attn', l), R * qWidth * 4),
      layout(w.o),
      { input: { buffer: dAttn }, weight: acc(w.o.tensor), bias: acc(w.oBias) },
      { m: R, k: qWidth, n: d },
    );
    k.attentionBackward.encode(
      pass,
      {
        query: get(kept('q', l), R * qWidth * 4),
        key: get(kept('k', l), R * kvWidth * 4),
        value: get(kept('v', l), R * kvWidth * 4),
        outputGradient: dAttn,
        queryGradient: dQ,
        keyGradient: dK,
        valueGradient: dV,
      },
      { tokens: T, numHeads: config.numHeads, numKvHeads: config.numKeyValueHeads, headDim: hd, batch: B },
    );
    if (k.ropeQBackward && k.ropeKBackward) {
      const frequencies = { theta: config.ropeTheta ?? 10000 };
      k.ropeQBackward.encode(
        pass,
        dQ,
        inputs.positions,
        { tokens: R, heads: config.numHeads, headDim: hd },
        frequencies,
      );
      k.ropeKBackward.encode(
        pass,
        dK,
        inputs.positions,
        { tokens: R, heads: config.numKeyValueHeads, headDim: hd },
        frequencies,
      );
    }
    const normed1 = get(kept('normed1-', l), R * d * 4);
    k.qBackward.encode(
      pass,
      dQ,
      normed1,
      layout(w.q),
      { input: { buffer: dNormed }, weight: acc(w.q.tensor), bias: acc(w.qBias) },
      { m: R, k: d, n: qWidth },
    );
    k.kBackward.encode(
      pass,
      dK,
      normed1,
      layout(w.k),
      { input: { buffer: dNormed, accumulate: true }, weight: acc(w.k.tensor), bias: acc(w.kBias) },
      { m: R, k: d, n: kvWidth },
    );
    k.vBackward.encode(
      pass,
      dV,
      normed1,
      layout(w.v),
      { input: { buffer: dNormed, accumulate: true }, weight: acc(w.v.tensor), bias: acc(w.vBias) },
      { m: R, k: d, n: kvWidth },
    );
    encodeNormBackward(
      pass,
      k.norm1Backward,
      dNormed,
      hidden(l),
      w.norm1,
      w.norm1Bias,
      dH,
      statistics,
      R,
      d,
      eps,
      true,
    );
    pass.end();
  }

  pass = encoder.beginComputePass({ label: 'train:embedding-backward' });
  kernels.embeddingBackward.encode(
    pass,
    groupings.ids,
    dH,
    [{ start: 0, end: V, buffer: params.embedding.tensor.gradient }],
    {
      tokens: R,
      dim: d,
      rows: V,
    },
  );
  if (params.positions && groupings.positions) {
    kernels.positionBackward.encode(
      pass,
      groupings.positions,
      dH,
      [{ start: 0, end: config.maxPositions, buffer: params.positions.gradient }],
      { tokens: R, dim: d, rows: config.maxPositions },
    );
  }
  pass.end();
}
