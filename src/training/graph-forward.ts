// The training forward: keeps every activation the backward needs (layout: ./graph.ts).
import { LayerNormKernel } from '../kernels/norm/norm';
import type { Activations } from '../model/engine/activations';
import type { ModelConfig } from '../model/config';
import { kept, sizes, type StepInputs, type StepShape } from './graph';
import { encodeVisionForward } from './graph-vision';
import type { TrainKernels, TrainNorm } from './kernels';
import type { TrainParameters, TrainTensor } from './parameters';

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
  if (inputs.vision && params.vision && kernels.vision) {
    encodeVisionForward(encoder, config, params.vision, kernels.vision, acts, inputs.vision, hidden(0));
  }

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
