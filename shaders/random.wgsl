// Fills a buffer with Philox draws for counters firstCounter .. firstCounter + count - 1 of one
// (seed, stream). Used by parity tests and the Kernel check panel; samplers call philox.wgsl directly.
// Driver: src/kernels/random/random.ts. Spec: src/kernels/random/reference.ts.
#include "philox.wgsl"

override WORKGROUP_SIZE: u32 = 64u;

struct RandomParams {
  seed: vec2<u32>,    // (lo, hi) of the 64-bit seed
  stream: u32,
  firstCounter: u32,
  count: u32,         // counters to fill; the host guarantees firstCounter + count - 1 <= 2^32 - 1
}

@group(0) @binding(0) var<uniform> params: RandomParams;
// Raw u32 storage for every entry point; floats are stored with bitcast so one binding serves all.
@group(0) @binding(1) var<storage, read_write> output: array<u32>;

// The grid may be 2D when count needs more than maxComputeWorkgroupsPerDimension workgroups.
fn drawIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.y * groups.x * WORKGROUP_SIZE + gid.x;
}

// output is (count, 4): the raw words of each counter.
@compute @workgroup_size(WORKGROUP_SIZE)
fn fillBits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = drawIndex(gid, groups);
  if (i >= params.count) {
    return;
  }
  let words = philox4x32_10(vec4<u32>(params.firstCounter + i, params.stream, 0u, 0u), params.seed);
  output[4u * i] = words.x;
  output[4u * i + 1u] = words.y;
  output[4u * i + 2u] = words.z;
  output[4u * i + 3u] = words.w;
}

// output is (count) f32: philoxUniform of each counter.
@compute @workgroup_size(WORKGROUP_SIZE)
fn fillUniform(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = drawIndex(gid, groups);
  if (i >= params.count) {
    return;
  }
  output[i] = bitcast<u32>(philoxUniform(params.seed, params.stream, params.firstCounter + i));
}

// output is (count, 4) f32: philoxUniform4 of each counter.
@compute @workgroup_size(WORKGROUP_SIZE)
fn fillUniform4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = drawIndex(gid, groups);
  if (i >= params.count) {
    return;
  }
  let u = bitcast<vec4<u32>>(philoxUniform4(params.seed, params.stream, params.firstCounter + i));
  output[4u * i] = u.x;
  output[4u * i + 1u] = u.y;
  output[4u * i + 2u] = u.z;
  output[4u * i + 3u] = u.w;
}
