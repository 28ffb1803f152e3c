// The bench harness's own case (src/bench/selftest.ts): temperature scaling of a (B, V) logits
// matrix, out[i] = logits[i] / temperature, one invocation per entry. It exists only so
// `npm run bench -- --selftest` exercises the harness end to end without any kernel family.
// -Infinity stays -Infinity (masked tokens remain masked) because temperature is positive.

struct Params {
  // B * V, the number of entries in the flattened (B, V) matrix.
  count: u32,
  inv_temperature: f32,
  // Invocations per row of the dispatch grid (workgroups in x times WORKGROUP_SIZE), so a grid
  // folded into y for large B * V still maps each invocation to exactly one entry.
  row_pitch: u32,
  _pad: u32,
}

override WORKGROUP_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>; // (B, V)
@group(0) @binding(2) var<storage, read_write> scaled: array<f32>; // (B, V)

@compute @workgroup_size(WORKGROUP_SIZE)
fn scale_logits(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.y * params.row_pitch + id.x;
  if (i >= params.count) {
    return;
  }
  scaled[i] = logits[i] * params.inv_temperature;
}
