// The image encoder of a vision-language model inside a training step (formula:
// src/model/vision.ts; spec: src/model/reference/vision-backward.ts). For the N image rows of the
// batch (images x numPatches, in batch order):
//   forward:  pre = patches W1^T + b1;  act = gelu(pre);  out = pos[k] + act W2^T + b2
//             then out's rows replace the placeholder rows of hidden[0] (buffer copies)
//   backward: dOut = the placeholder rows of dL/dhidden[0] (copies);
//             dW2 += dOut^T act, db2 += sum dOut, dAct = dOut W2;  dPre = dAct * gelu'(pre)
//             dW1 += dPre^T patches, db1 += sum dPre;  dPos[k] += the rows of patch k
// The token-embedding backward leaves the placeholder rows out (their embedding was replaced).
import type { TokenGroupingBuffers } from '../kernels/embedding-backward/grouping';
import type { Activations } from '../model/engine/activations';
import type { ModelConfig } from '../model/config';
import type { TrainVisionKernels } from './kernels';
import type { TrainTensor, TrainVision } from './parameters';

/** The images of one micro-batch on the GPU. */
export interface VisionInputs {
  /** [N, patchDim] f32, N = images * numPatches. */
  patches: GPUBuffer;
  images: number;
  /** For image row j (0..N-1), the batch row of its placeholder. */
  placeholderRows: number[];
  /** Image rows grouped by patch index (the position table's gradient). */
  positionGrouping: TokenGroupingBuffers;
}

/** Maximal runs of consecutive (image row, batch row) pairs: one buffer copy each. */
function runs(rows: readonly number[]): { from: number; to: number; count: number }[] {
  const out: { from: number; to: number; count: number }[] = [];
  rows.forEach((row, j) => {
    const last = out[out.length - 1];
    if (last && last.from + last.count === j && last.to + last.count === row) last.count++;
    else out.push({ from: j, to: row, count: 1 });
  });
  return out;
}

export function encodeVisionForward(
  encoder: GPUCommandEncoder,
  config: ModelConfig,
  vision: TrainVision,
  kernels: TrainVisionKernels,
  acts: Activations,
  inputs: VisionInputs,
  hidden0: GPUBuffer,
): void {
  const d = config.hiddenSize;
  const { patchDim, numPatches } = config.vision!;
  const N = inputs.images * numPatches;
  const pre = acts.get('vision-pre', N * d * 4);
  const act = acts.get('vision-act', N * d * 4);
  const out = acts.get('vision-out', N * d * 4);
  let pass = encoder.beginComputePass({ label: 'train:vision:patch-embed' });
  kernels.patchEmbed.encode(
    pass,
    inputs.patches,
    vision.patchEmbed.weight,
    pre,
    { m: N, k: patchDim, n: d },
    {
      bias: vision.patchBias.parameter,
    },
  );
  kernels.activation.encodeUnary(pass, 'gelu', pre, act, N * d);
  pass.end();
  for (let i = 0; i < inputs.images; i++) {
    encoder.copyBufferToBuffer(
      vision.positions.parameter,
      0,
      out,
      i * numPatches * d * 4,
      numPatches * d * 4,
    );
  }
  pass = encoder.beginComputePass({ label: 'train:vision:projector' });
  kernels.projector.encode(
    pass,
    act,
    vision.projector.weight,
    out,
    { m: N, k: d, n: d },
    {
      bias: vision.projectorBias.parameter,
      accumulate: true,
    },
  );
  pass.end();
  for (const { from, to, count } of runs(inputs.placeholderRows)) {
    encoder.copyBufferToBuffer(out, from * d * 4, hidden0, to * d * 4, count * d * 4);
  }
}

export function encodeVisionBackward(
  encoder: GPUCommandEncoder,
  config: ModelConfig,
  vision: TrainVision,
  kernels: TrainVisionKernels,
  acts: Activations,
  inputs: VisionInputs,
  dHidden0: GPUBuffer,
): void {
  const d = config.hiddenSize;
  const { patchDim, numPatches } = config.vision!;
  const N = inputs.images * numPatches;
  const dOut = acts.get('vision-d-out', N * d * 4);
  const dAct = acts.get('vision-d-act', N * d * 4);
  const dPre = acts.get('vision-d-pre', N * d * 4);
  for (const { from, to, count } of runs(inputs.placeholderRows)) {
    encoder.copyBufferToBuffer(dHidden0, to * d * 4, dOut, from * d * 4, count * d * 4);
  }
  const acc = (tensor: TrainTensor) => ({ buffer: tensor.gradient, accumulate: true });
  const pass = encoder.beginComputePass({ label: 'train:vision-backward' });
  kernels.projectorBackward.encode(
    pass,
    dOut,
    acts.get('vision-act', N * d * 4),
    { buffer: vision.projector.tensor.parameter, layout: 'nk' },
    { input: { buffer: dAct }, weight: acc(vision.projector.tensor), bias: acc(vision.projectorBias) },
    { m: N, k: d, n: d },
  );
  kernels.activationBackward.encodeUnary(pass, 'gelu', acts.get('vision-pre', N * d * 4), dAct, dPre, N * d);
  kernels.patchEmbedBackward.encode(
    pass,
    dPre,
    inputs.patches,
    { buffer: vision.patchEmbed.tensor.parameter, layout: 'nk' },
    { weight: acc(vision.patchEmbed.tensor), bias: acc(vision.patchBias) },
    { m: N, k: patchDim, n: d },
  );
  kernels.positionBackward.encode(
    pass,
    inputs.positionGrouping,
    dOut,
    [{ start: 0, end: numPatches, buffer: vision.positions.gradient }],
    { tokens: N, dim: d, rows: numPatches },
  );
  pass.end();
}
