// Cosine similarity between hidden states: contrastive search's degeneration penalty
// (Su et al., "A Contrastive Framework for Neural Text Generation"),
//   penalty(v) = max_j cos(h_v, h_j),  cos(a, b) = a.b / (|a| |b|),
// taken over the hidden states h_j of every previous token, for each top-k candidate v.
//
// Two entry points; the spec is src/kernels/cosine/reference.ts.
//
// normalize_rows: unit[output_row + r] = x[input_row + r] / |x[input_row + r]| for r < rows, each
//   row `dim` f32. One workgroup per row. The row is scaled by its largest |x_i| before squaring, so
//   neither 1e30 entries (whose squares overflow f32) nor 1e-30 entries (whose squares underflow)
//   lose the direction. A zero row stays zero, which makes its cosine with anything 0 (our
//   definition; the paper never meets a zero vector). A row holding a NaN or an infinity is written
//   as NaN in every entry: an invalid marker that max_cosine recognises from the bits.
//
// max_cosine: for each candidate c < candidates (one workgroup each), over context rows
//   j < context_rows: the largest dot(unit_c, unit_j), clamped to [-1, 1] (rounding can leave a
//   unit dot a few ulp outside), and the lowest j that attains it. Output [candidates, 2] u32:
//   (f32 bits of the maximum, j). With no context row: (0.0, NO_INDEX), i.e. no penalty. When the
//   candidate or any context row carries the invalid marker: (NaN bits, NO_INDEX); the host throws.
// Storing unit rows (once per token for the context) makes the cosine one dot product per pair.

override WORKGROUP_SIZE: u32 = 256u; // a power of two (tree reductions)

const NO_INDEX: u32 = 0xffffffffu;
const NAN_BITS: u32 = 0x7fc00000u;
const F32_POSITIVE_INFINITY_BITS: u32 = 0x7f800000u;

fn is_finite_bits(bits: u32) -> bool {
  return (bits & 0x7fffffffu) < F32_POSITIVE_INFINITY_BITS;
}

// ---- normalize_rows -------------------------------------------------------------------------

struct NormalizeParams {
  dim: u32,
  rows: u32,
  input_row: u32,
  output_row: u32,
}

@group(0) @binding(0) var<storage, read> norm_input: array<u32>; // f32 bits, [*, dim]
@group(0) @binding(1) var<storage, read_write> norm_output: array<u32>; // f32 bits, [*, dim]
@group(0) @binding(2) var<uniform> norm_params: NormalizeParams;

var<workgroup> red_value: array<f32, WORKGROUP_SIZE>;
var<workgroup> red_index: array<u32, WORKGROUP_SIZE>;
var<workgroup> invalid_seen: atomic<u32>;

fn reduce_max(lid: u32) {
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { red_value[lid] = max(red_value[lid], red_value[lid + stride]); }
    workgroupBarrier();
  }
}

fn reduce_sum(lid: u32) {
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { red_value[lid] += red_value[lid + stride]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn normalize_rows(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let dim = norm_params.dim;
  let source = (norm_params.input_row + workgroup.x) * dim;
  let destination = (norm_params.output_row + workgroup.x) * dim;

  // Largest magnitude; non-finite entries are only flagged, never fed to arithmetic.
  var largest = 0.0;
  for (var i = lid; i < dim; i += WORKGROUP_SIZE) {
    let bits = norm_input[source + i];
    if (is_finite_bits(bits)) {
      largest = max(largest, abs(bitcast<f32>(bits)));
    } else {
      atomicStore(&invalid_seen, 1u);
    }
  }
  red_value[lid] = largest;
  reduce_max(lid);
  let scale = red_value[0];
  let invalid = atomicLoad(&invalid_seen) != 0u;
  workgroupBarrier();

  var sum = 0.0;
  if (scale > 0.0 && !invalid) {
    for (var i = lid; i < dim; i += WORKGROUP_SIZE) {
      let x = bitcast<f32>(norm_input[source + i]) / scale;
      sum += x * x;
    }
  }
  red_value[lid] = sum;
  reduce_sum(lid);
  // sum >= 1 when scale > 0 (the largest entry contributes exactly 1).
  let inverse_norm = select(0.0, 1.0 / sqrt(red_value[0]), scale > 0.0);

  for (var i = lid; i < dim; i += WORKGROUP_SIZE) {
    if (invalid) {
      norm_output[destination + i] = NAN_BITS;
    } else if (scale > 0.0) {
      norm_output[destination + i] = bitcast<u32>(bitcast<f32>(norm_input[source + i]) / scale * inverse_norm);
    } else {
      norm_output[destination + i] = 0u;
    }
  }
}

// ---- max_cosine -----------------------------------------------------------------------------

struct CosineParams {
  dim: u32,
  candidates: u32,
  context_rows: u32,
  _unused: u32,
}

@group(0) @binding(0) var<storage, read> candidate_units: array<u32>; // f32 bits, [candidates, dim]
@group(0) @binding(1) var<storage, read> context_units: array<u32>; // f32 bits, [context_rows, dim]
@group(0) @binding(2) var<storage, read_write> cosine_out: array<u32>; // [candidates, 2]
@group(0) @binding(3) var<uniform> cosine_params: CosineParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_cosine(
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let dim = cosine_params.dim;
  let candidate = workgroup.x;
  let base = candidate * dim;
  var invalid = !is_finite_bits(candidate_units[base]);

  // Each thread keeps its first strict maximum over the rows it visits in ascending order.
  var best = -2.0;
  var best_row = NO_INDEX;
  if (!invalid) {
    for (var j = lid; j < cosine_params.context_rows; j += WORKGROUP_SIZE) {
      let row = j * dim;
      if (!is_finite_bits(context_units[row])) {
        invalid = true;
        break;
      }
      var product = 0.0;
      for (var i = 0u; i < dim; i++) {
        product += bitcast<f32>(candidate_units[base + i]) * bitcast<f32>(context_units[row + i]);
      }
      let cosine = clamp(product, -1.0, 1.0);
      if (cosine > best) {
        best = cosine;
        best_row = j;
      }
    }
  }
  if (invalid) { atomicStore(&invalid_seen, 1u); }
  red_value[lid] = best;
  red_index[lid] = best_row;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      let other = red_value[lid + stride];
      let other_row = red_index[lid + stride];
      // Larger cosine wins; on equal cosines the lower row (NO_INDEX is the largest u32).
      if (other > red_value[lid] || (other == red_value[lid] && other_row < red_index[lid])) {
        red_value[lid] = other;
        red_index[lid] = other_row;
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let slot = candidate * 2u;
    if (atomicLoad(&invalid_seen) != 0u) {
      cosine_out[slot] = NAN_BITS;
      cosine_out[slot + 1u] = NO_INDEX;
    } else if (red_index[0] == NO_INDEX) {
      cosine_out[slot] = 0u; // +0.0
      cosine_out[slot + 1u] = NO_INDEX;
    } else {
      cosine_out[slot] = bitcast<u32>(red_value[0]);
      cosine_out[slot + 1u] = red_index[0];
    }
  }
}
