// Backward of the activations (src/kernels/activation-backward/; spec
// src/kernels/activation-backward/reference.ts), derivatives of shaders/activation.wgsl's formulas:
//
//   gelu(x) = x s,  s = sigmoid(2u), u = c (x + k x^3), c = sqrt(2/pi), k = 0.044715
//   gelu'(x) = s + x 2u'(x) s (1 - s),  u'(x) = c (1 + 3 k x^2)
//   silu'(x) = sigmoid(x) (1 + x sigmoid(-x))        (= sigmoid(x) (1 + x (1 - sigmoid(x))))
//   swiglu:  dGate = dOut up silu'(gate),  dUp = dOut silu(gate)
//
// Stability. s (1 - s) = t / (1 + t)^2 with t = exp(-2|u|) <= 1: no overflow, no cancellation.
// GELU's second term is evaluated at x clamped to [-16, 16]: beyond, 2|u| > 318, t = 0 in f32 and
// the term is exactly 0 (its true value is below 1e-130), whereas x u'(x) itself overflows to inf
// for |x| > 1e13 and inf * 0 would be NaN. SiLU uses sigmoid(-x) = 1 / (1 + exp(x)) instead of
// 1 - sigmoid(x), so x sigmoid(-x) keeps full relative precision for x >> 0 and is 0, not
// inf * 0, at x = 3e38.

#include "activation.wgsl"

struct ActivationBackwardParams {
  count: u32,          // elements (unary) or rows * intermediate (swiglu)
  op: u32,             // ACTIVATION_GELU | ACTIVATION_SILU (unary)
  intermediate: u32,   // swiglu: I
  _pad0: u32,
}

// Unary: gradInput[i] = gradOutput[i] * op'(input[i]).
@group(0) @binding(0) var<storage, read> backwardInput: array<f32>;          // x, or packed gate/up
@group(0) @binding(1) var<storage, read> backwardGradOutput: array<f32>;     // dY, or dOut [rows, I]
@group(0) @binding(2) var<storage, read_write> backwardGradInput: array<f32>;   // dX, or [rows, 2I]
@group(0) @binding(3) var<uniform> backwardParams: ActivationBackwardParams;

fn geluDerivative(x: f32) -> f32 {
  let s = 1.0 / (1.0 + exp(-1.5957691216057308 * (x + 0.044715 * x * x * x)));
  let clamped = clamp(x, -16.0, 16.0);
  let twiceU = 1.5957691216057308 * (clamped + 0.044715 * clamped * clamped * clamped);
  let t = exp(-abs(twiceU));
  let slope = 1.5957691216057308 * (1.0 + 0.134145 * clamped * clamped);   // 2 u'(x)
  return s + clamped * slope * (t / ((1.0 + t) * (1.0 + t)));
}

fn sigmoidOf(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

fn siluDerivative(x: f32) -> f32 {
  return sigmoidOf(x) * (1.0 + x * sigmoidOf(-x));
}

@compute @workgroup_size(ACTIVATION_WORKGROUP)
fn unaryBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * ACTIVATION_WORKGROUP;
  for (var i = gid.x; i < backwardParams.count; i += stride) {
    let x = backwardInput[i];
    let derivative = select(siluDerivative(x), geluDerivative(x), backwardParams.op == ACTIVATION_GELU);
    backwardGradInput[i] = backwardGradOutput[i] * derivative;
  }
}

// SwiGLU on the packed layout: element e = (r, j) of dOut [rows, I] writes dGate at [r, j] and
// dUp at [r, I + j] of the [rows, 2I] gradient.
@compute @workgroup_size(ACTIVATION_WORKGROUP)
fn swigluBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = backwardParams;
  let stride = groups.x * ACTIVATION_WORKGROUP;
  for (var e = gid.x; e < p.count; e += stride) {
    let r = e / p.intermediate;
    let j = e - r * p.intermediate;
    let gateIndex = r * 2u * p.intermediate + j;
    let gate = backwardInput[gateIndex];
    let up = backwardInput[gateIndex + p.intermediate];
    let gradOut = backwardGradOutput[e];
    backwardGradInput[gateIndex] = gradOut * up * siluDerivative(gate);
    backwardGradInput[gateIndex + p.intermediate] = gradOut * silu(gate);
  }
}
