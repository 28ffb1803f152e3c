// Fused log-softmax gather and cross-entropy gradient, one workgroup per token row
// (src/kernels/cross-entropy/cross-entropy.ts; spec src/kernels/cross-entropy/reference.ts):
//
//   mx = max_v l[v],  s = sum_v exp(l[v] - mx),  logp = (l[target] - mx) - log(s)
//   if writeGradient: l[v] <- w (onehot(target)[v] - exp((l[v] - mx) - log(s)))   (in place)
//
// w = dLoss/dlogp of the token (the objective seam); w = 0 writes an all-zero row (masked token).
// A target >= vocab is counted in `status` (count, largest), its logp is NaN (so a loss built
// from it is NaN, never silently wrong) and its gradient row is zero.
// Sums: each thread a strided partial in increasing index, then thread 0 adds the WORKGROUP_SIZE
// partials in thread order (fixed order: deterministic; on software adapters a serial pass after
// one barrier is cheaper than a log-depth tree of barriers). WORKGROUP_SIZE (32..256) is chosen
// per vocabulary by the host (crossEntropyWorkgroupSize), so the order is fixed for a given shape.

struct Params {
  tokens: u32,
  vocab: u32,
  writeGradient: u32,
  firstToken: u32,
}

override WORKGROUP_SIZE: u32 = 256u;
const LOWEST: u32 = 0xff7fffffu; // bits of the lowest finite f32 (a -inf constant is not valid WGSL)
const QUIET_NAN: u32 = 0x7fc00000u;

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;   // [tokens, vocab]; dlogits after
@group(0) @binding(1) var<storage, read> targets: array<u32>;        // [firstToken + tokens]
@group(0) @binding(2) var<storage, read> weights: array<f32>;        // [firstToken + tokens]
@group(0) @binding(3) var<storage, read_write> logProbs: array<f32>; // [firstToken + tokens]
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;  // [bad count, largest bad]
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> partials: array<f32, WORKGROUP_SIZE>;
var<workgroup> rowMax: f32;
var<workgroup> logSum: f32;
var<workgroup> targetLogit: f32;

@compute @workgroup_size(WORKGROUP_SIZE)
fn crossEntropy(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row = wid.x;
  let t = lid.x;
  let vocab = params.vocab;
  let base = row * vocab;
  let token = params.firstToken + row;
  let targetId = targets[token];
  let valid = targetId < vocab;
  // Read before any thread can overwrite the row with its gradient.
  if (t == 0u && valid) { targetLogit = logits[base + targetId]; }

  var localMax = bitcast<f32>(LOWEST);
  for (var v = t; v < vocab; v += WORKGROUP_SIZE) { localMax = max(localMax, logits[base + v]); }
  partials[t] = localMax;
  workgroupBarrier();
  if (t == 0u) {
    var m = partials[0];
    for (var i = 1u; i < WORKGROUP_SIZE; i++) { m = max(m, partials[i]); }
    rowMax = m;
  }
  workgroupBarrier();
  let mx = rowMax;

  var localSum = 0.0;
  for (var v = t; v < vocab; v += WORKGROUP_SIZE) { localSum += exp(logits[base + v] - mx); }
  partials[t] = localSum;
  workgroupBarrier();
  if (t == 0u) {
    var s = 0.0;
    for (var i = 0u; i < WORKGROUP_SIZE; i++) { s += partials[i]; }
    logSum = log(s);
    if (valid) {
      logProbs[token] = (targetLogit - mx) - logSum;
    } else {
      var nanBits = QUIET_NAN; // a runtime value: NaN is not a valid WGSL constant
      logProbs[token] = bitcast<f32>(nanBits);
      atomicAdd(&status[0], 1u);
      atomicMax(&status[1], targetId);
    }
  }
  workgroupBarrier();
  if (params.writeGradient == 0u) { return; }
  let shift = logSum;
  let w = weights[token];
  let live = valid && w != 0.0;
  for (var v = t; v < vocab; v += WORKGROUP_SIZE) {
    var g = 0.0;
    if (live) {
      let p = exp((logits[base + v] - mx) - shift);
      g = w * (select(0.0, 1.0, v == targetId) - p);
    }
    logits[base + v] = g;
  }
}
