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
/** Number of inputs, a pipeline constant so the loop over inputs unrolls. */
override INPUTS: u32 = 2u;

fn weight(j: u32) -> f32 { return params.weights[j / 4u][j % 4u]; }

// Grid-stride loop: each thread handles several entries of one row, so the row's constants
// (weights, each input's lse, the base max) are loaded once per thread, not once per entry.
@compute @workgroup_size(WORKGROUP_SIZE)
fn combine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.y;
  let vocab = params.vocab;
  if (row >= params.rows) { return; }
  var weights: array<f32, MAX_INPUTS>;
  var lses: array<f32, MAX_INPUTS>;
  var offsets: array<u32, MAX_INPUTS>;
  for (var j = 0u; j < INPUTS; j++) {
    let inputRow = j * params.rows + row;
    weights[j] = weight(j);
    lses[j] = bitcast<f32>(inputSummary[inputRow * SUMMARY_WORDS + 1u]);
    offsets[j] = inputRow * vocab;
  }
  let baseRow = params.baseInput * params.rows + row;
  let baseOffset = baseRow * vocab;
  let baseMax = bitcast<f32>(inputSummary[baseRow * SUMMARY_WORDS + 0u]);
  let usePlausibility = params.usePlausibility != 0u;
  let logBeta = params.logBeta;
  let inverseTemperature = params.inverseTemperature;
  let stride = groups.x * WORKGROUP_SIZE;

  for (var i = gid.x; i < vocab; i += stride) {
    let out = row * vocab + i;
    var score = 0.0;
    var excluded = false;
    var invalid = false;
    for (var j = 0u; j < INPUTS; j++) {
      let bits = packed[offsets[j] + i];
      if (isInvalidBits(bits)) { invalid = true; continue; }
      if (weights[j] == 0.0) { continue; }
      if (isNegInfBits(bits)) { excluded = true; continue; }
      score += weights[j] * (bitcast<f32>(bits) - lses[j]);
    }
    if (invalid) { combined[out] = 0x7fc00000u; continue; }
    if (usePlausibility) {
      let baseBits = packed[baseOffset + i];
      if (isNegInfBits(baseBits) || bitcast<f32>(baseBits) - baseMax < logBeta) {
        combined[out] = NEG_INF_BITS;
        continue;
      }
    }
    if (excluded) { combined[out] = NEG_INF_BITS; continue; }
    combined[out] = bitcast<u32>(score * inverseTemperature);
  }
}
