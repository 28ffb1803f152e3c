// Contrastive combination of N distributions with an adaptive plausibility mask and temperature
// (see src/kernels/logits/combine.ts for the formula and the papers). Elementwise over
// [rows, vocab]; each input's log-sum-exp and max come from its row summary.
//   score(y) = (1/T) * sum_j w_j * (l_j(y) - lse_j)            (log-prob space)
//   score(y) = -Inf if beta > 0 and l_b(y) - max_b < log(beta)  (b = the base input)
//   score(y) = -Inf if any input with w_j != 0 has l_j(y) = -Inf
// Invalid inputs (NaN, +Inf) give NaN bits so the result's summary counts them as invalid;
// they are checked before the mask, as in the reference.
#include "float-keys.wgsl"

const MAX_INPUTS: u32 = 8u;
const SUMMARY_WORDS: u32 = 32u;

struct Params {
  rows: u32,
  vocab: u32,
  inputs: u32,
  baseInput: u32,
  inverseTemperature: f32,
  logBeta: f32,
  usePlausibility: u32,
  _pad: u32,
  weights: array<vec4<f32>, 2>,
}

@group(0) @binding(0) var<storage, read> packed: array<u32>;        // [inputs, rows, vocab] f32 bits
@group(0) @binding(1) var<storage, read> inputSummary: array<u32>;  // [inputs * rows, SUMMARY_WORDS]
@group(0) @binding(2) var<storage, read_write> combined: array<u32>; // [rows, vocab] f32 bits
@group(0) @binding(3) var<uniform> params: Params;

override WORKGROUP_SIZE: u32 = 256u;

fn weight(j: u32) -> f32 { return params.weights[j / 4u][j % 4u]; }

@compute @workgroup_size(WORKGROUP_SIZE)
fn combine(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y;
  let i = gid.x;
  let vocab = params.vocab;
  if (i >= vocab || row >= params.rows) { return; }
  let out = row * vocab + i;

  var score = 0.0;
  var excluded = false;
  var invalid = false;
  for (var j = 0u; j < params.inputs; j++) {
    let w = weight(j);
    let inputRow = j * params.rows + row;
    let bits = packed[inputRow * vocab + i];
    if (isInvalidBits(bits)) { invalid = true; continue; }
    if (w == 0.0) { continue; }
    if (isNegInfBits(bits)) { excluded = true; continue; }
    let lse = bitcast<f32>(inputSummary[inputRow * SUMMARY_WORDS + 1u]);
    score += w * (bitcast<f32>(bits) - lse);
  }
  if (invalid) { combined[out] = 0x7fc00000u; return; }
  if (params.usePlausibility != 0u) {
    let baseRow = params.baseInput * params.rows + row;
    let baseBits = packed[baseRow * vocab + i];
    if (isNegInfBits(baseBits)) { combined[out] = NEG_INF_BITS; return; }
    let baseMax = bitcast<f32>(inputSummary[baseRow * SUMMARY_WORDS + 0u]);
    if (bitcast<f32>(baseBits) - baseMax < params.logBeta) { combined[out] = NEG_INF_BITS; return; }
  }
  if (excluded) { combined[out] = NEG_INF_BITS; return; }
  combined[out] = bitcast<u32>(score * params.inverseTemperature);
}
