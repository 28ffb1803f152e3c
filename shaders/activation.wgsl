// Activations and elementwise ops of the transformer engine (src/kernels/activation/).
// Spec: src/kernels/activation/reference.ts. matmul.wgsl includes this file for its GELU
// epilogue, so module-scope names here carry an `activation` prefix.
//
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))     (GPT-2's "gelu_new")
//   silu(x) = x sigmoid(x)                                         (Llama's "silu")
//   swiglu  = silu(gate) * up                                      (Llama MLP)
//
// Stability: 1 + tanh(u) = 2 sigmoid(2u), so gelu(x) = x / (1 + exp(-2u)). No tanh, so no
// inf/inf when x^3 overflows: for u -> +inf exp(-2u) = 0 gives x; for u -> -inf exp(+inf) = inf
// gives -0 (the true value underflows f32 once x < -10). It also avoids the cancellation in
// 1 + tanh(u) for u << 0 that costs PyTorch's f32 formula ~1e-5 relative there.

fn geluTanh(x: f32) -> f32 {
  let u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return x / (1.0 + exp(-2.0 * u));
}

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}

const ACTIVATION_GELU: u32 = 0u;
const ACTIVATION_SILU: u32 = 1u;

fn activate(op: u32, x: f32) -> f32 {
  return select(silu(x), geluTanh(x), op == ACTIVATION_GELU);
}

struct ActivationParams {
  count: u32,          // elements (unary, add) or rows * intermediate (swiglu)
  op: u32,             // ACTIVATION_GELU | ACTIVATION_SILU (unary)
  intermediate: u32,   // swiglu: I, the output row length
  _pad0: u32,
  gateStride: u32,     // swiglu: elements between rows of gate
  gateOffset: u32,     // swiglu: first element of gate in its buffer
  upStride: u32,
  upOffset: u32,
}

override ACTIVATION_WORKGROUP: u32 = 256u;

// Unary, out of place: activationOutput[i] = op(activationInput[i]).
@group(0) @binding(0) var<storage, read> activationInput: array<f32>;
@group(0) @binding(1) var<storage, read_write> activationOutput: array<f32>;
@group(0) @binding(2) var<uniform> activationParams: ActivationParams;

// Grid-stride loops: the grid is capped by the dispatch limit, the loop covers the rest.
@compute @workgroup_size(ACTIVATION_WORKGROUP)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * ACTIVATION_WORKGROUP;
  for (var i = gid.x; i < activationParams.count; i += stride) {
    activationOutput[i] = activate(activationParams.op, activationInput[i]);
  }
}

// Unary, in place.
@group(0) @binding(0) var<storage, read_write> activationData: array<f32>;
@group(0) @binding(1) var<uniform> activationInPlaceParams: ActivationParams;

@compute @workgroup_size(ACTIVATION_WORKGROUP)
fn unaryInPlace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * ACTIVATION_WORKGROUP;
  for (var i = gid.x; i < activationInPlaceParams.count; i += stride) {
    activationData[i] = activate(activationInPlaceParams.op, activationData[i]);
  }
}

// SwiGLU: out[r, j] = silu(gate[r * gateStride + gateOffset + j]) * up[r * upStride + upOffset + j].
// gate and up may be the same buffer (the packed [rows, 2I] layout binds it twice, read-only).
@group(0) @binding(0) var<storage, read> activationGate: array<f32>;
@group(0) @binding(1) var<storage, read> activationUp: array<f32>;
@group(0) @binding(2) var<storage, read_write> activationGated: array<f32>;
@group(0) @binding(3) var<uniform> activationGluParams: ActivationParams;

@compute @workgroup_size(ACTIVATION_WORKGROUP)
fn swiglu(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let p = activationGluParams;
  let stride = groups.x * ACTIVATION_WORKGROUP;
  for (var e = gid.x; e < p.count; e += stride) {
    let r = e / p.intermediate;
    let j = e - r * p.intermediate;
    let gate = activationGate[r * p.gateStride + p.gateOffset + j];
    let up = activationUp[r * p.upStride + p.upOffset + j];
    activationGated[e] = silu(gate) * up;
  }
}

// Residual add, in place: target[i] += addend[i].
@group(0) @binding(0) var<storage, read_write> activationTarget: array<f32>;
@group(0) @binding(1) var<storage, read> activationAddend: array<f32>;
@group(0) @binding(2) var<uniform> activationAddParams: ActivationParams;

@compute @workgroup_size(ACTIVATION_WORKGROUP)
fn addInPlace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * ACTIVATION_WORKGROUP;
  for (var i = gid.x; i < activationAddParams.count; i += stride) {
    activationTarget[i] = activationTarget[i] + activationAddend[i];
  }
}
