// The training backward: from dLoss/dlogits (written in place by the cross-entropy kernel) to
// every parameter's gradient (order and formulas: ./graph.ts).
import type { TokenGroupingBuffers } from '../kernels/embedding-backward/grouping';
import { LayerNormBackwardKernel, normBackwardWorkspaceBytes } from '../kernels/norm-backward/norm-backward';
import type { Activations } from '../model/engine/activations';
import type { ModelConfig } from '../model/config';
import { kept, sizes, type StepInputs, type StepShape } from './graph';
import { encodeVisionBackward } from './graph-vision';
import type { TrainKernels, TrainNormBackward } from './kernels';
import type { TrainParameters, TrainTensor } from './parameters';

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

  if (inputs.vision && params.vision && kernels.vision) {
    encodeVisionBackward(encoder, config, params.vision, kernels.vision, acts, inputs.vision, dH);
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
