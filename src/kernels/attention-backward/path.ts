// Which shape of shaders/attention-backward.wgsl runs a call (see the shader's header):
//   'invocation-per-row': one invocation per (row, head, sequence), no barriers; D % 4 == 0.
//   'workgroup-per-row': one 64-thread workgroup per (row, head, sequence); any D.
// Measured on SwiftShader (Chromium's CPU WebGPU, 2 cores shared with other work: load 7-10),
// GPU timestamps, query + key/value pass, median ms, workgroup -> invocation path:
//   B 16, T 32, H 4, Hkv 2, D 24 (the tiny training model)   461 -> 23    (x20)
//   B 2, T 256, H 4, Hkv 4, D 64                              ~3000 -> ~400 (x5 to x8)
//   B 1, T 512, H 4, Hkv 4, D 64                              3098 -> 1022  (x3.0)
//   B 1, T 1024, H 4, Hkv 2, D 64                             14202 -> 3351 (x4.2)
//   B 1, T 2048, H 2, Hkv 1, D 64                             22694 -> 5775 (x3.9)
// so on SwiftShader the invocation path wins at every length tried (a workgroup barrier costs
// more there than a row's arithmetic). The limit is set at 1024, the trainer's longest context
// (SETTING_LIMITS.contextLength), so every training shape takes it; longer sequences keep the
// workgroup path, whose parallelism grows with T * H * 64 threads instead of T * H: on a hardware
// GPU a long row run by one invocation would leave most of the GPU idle (not measured here; lower
// the limit if a hardware GPU shows it).
import type { AttentionBackwardShape } from './reference';

export type AttentionBackwardPath = 'invocation-per-row' | 'workgroup-per-row';

export const ATTENTION_BACKWARD_PATHS: readonly AttentionBackwardPath[] = [
  'invocation-per-row',
  'workgroup-per-row',
];

/** The longest sequence the invocation-per-row path gets by default. */
export const MAX_INVOCATION_PATH_TOKENS = 1024;

/** The path `AttentionBackwardKernel.encode` takes when none is given. */
export function attentionBackwardPath(shape: AttentionBackwardShape): AttentionBackwardPath {
  return shape.tokens <= MAX_INVOCATION_PATH_TOKENS && shape.headDim % 4 === 0
    ? 'invocation-per-row'
    : 'workgroup-per-row';
}
