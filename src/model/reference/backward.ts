// The CPU reference backward of whole GPT-2 and Llama-family models: the spec the WGSL trainer
// (src/training/trainer.ts) is tested against. The forward is ReferenceModel's (./forward.ts), run
// over whole sequences at once with every activation kept; f64 throughout, on f32 or f64 weights
// (f64 so that finite differences of the objective can check every gradient).
//
// Objective (the trainer's seam, src/training/types.ts), over the B*T tokens of a TokenBatch:
//   J = sum_t w_t logp_t,  logp_t = log softmax(z_t)[y_t],  z_t = the logits of token t, y_t its target
// Backward, in reverse order of the forward (rows r = b*T + t, sequence b at position t):
//   head:       dz_t = w_t (onehot(y_t) - softmax(z_t));  z = n W_head^T, W_head [vocab, d] is
//               lm_head, or the token embedding when tied (it then collects both gradients)
//   linear:     y = x W + b: dx = dy W^T, dW = x^T dy, db = sum_rows dy, W in the checkpoint layout
//               (GPT-2 Conv1D [in, out], nn.Linear [out, in])
//   norms:      LayerNorm / RMSNorm as in src/kernels/norm-backward/reference.ts
//   GELU-tanh:  dx = dy gelu'(x) (Hendrycks & Gimpel, "Gaussian Error Linear Units");
//   SwiGLU:     h = silu(gate) up: dgate = dh up silu'(gate), dup = dh silu(gate) (Shazeer, "GLU
//               Variants Improve Transformer")
//   RoPE:       q' = R(pos) q, so dq = R(pos)^T dq' = R(-pos) dq' ("rotate half" convention of
//               Su et al., "RoFormer: Enhanced Transformer with Rotary Position Embedding")
//   attention:  causal, scale 1/sqrt(headDim), grouped-query (dK, dV summed over the query heads
//               sharing a kv head): src/kernels/attention-backward/reference.ts, per sequence
//   residuals:  h' = h + f(h): dh = dh' + (the gradient through f)
//   embeddings: dE[id_r] += dh0_r; GPT-2 also dP[t] += dh0_r (learned positions); image rows of
//               vision-language models go to the image encoder instead (./vision-backward.ts)
// GPT-2: Radford et al., "Language Models are Unsupervised Multitask Learners" (pre-LN blocks,
// final LN, tied head). Llama: Touvron et al., "LLaMA: Open and Efficient Foundation Language
// Models" (RMSNorm, RoPE, SwiGLU; Qwen2 adds q/k/v biases; GQA from Ainslie et al.).
import type { TokenBatch } from '../../training/types';
import {
  geluDerivativeReference,
  siluDerivativeReference,
} from '../../kernels/activation-backward/reference';
import { attentionBackwardReference } from '../../kernels/attention-backward/reference';
import { layerNormReference, rmsNormReference } from '../../kernels/norm/reference';
import { normBackwardReference } from '../../kernels/norm-backward/reference';
import { ropeReference } from '../../kernels/rope/reference';
import { expectedTensors } from '../architectures/tensors';
import type { ModelConfig } from '../config';
import { gelu, silu } from './math';
import { imageRowsBackward, imageRowsForward } from './vision-backward';

/** Weights by canonical name; f32 as loaded, or f64 (finite differences, the reference trainer). */
export type ReferenceWeights = ReadonlyMap<string, ArrayLike<number>>;

export interface ReferenceObjective {
  /** J = sum_t w_t logp_t. */
  objective: number;
  /** logp_t [B * T]. */
  logProbs: Float64Array;
}

export interface ReferenceGradients extends ReferenceObjective {
  /** dJ/dW for every tensor of expectedTensors(config), in the weight's own shape and layout. */
  gradients: Map<string, Float64Array>;
}

type Layout = 'kn' | 'nk';
type Gradients = Map<string, Float64Array>;
type Activations = Record<string, Float64Array>;

/** One forward over a whole batch, with what the backward needs. */
class Pass {
  readonly rows: number;
  readonly d: number;
  private readonly layout: Layout;
  readonly positions: Float64Array;
  readonly inverseFrequencies: Float64Array;

  constructor(
    readonly config: ModelConfig,
    readonly weights: ReferenceWeights,
    readonly batch: TokenBatch,
  ) {
    this.rows = batch.batchSize * batch.length;
    this.d = config.hiddenSize;
    this.layout = config.architecture === 'gpt2' ? 'kn' : 'nk';
    this.positions = Float64Array.from({ length: this.rows }, (_, r) => r % batch.length);
    // Exactly the angles of math.ts applyRope: position * theta^(-2i / headDim).
    const hd = config.headDim;
    const theta = config.ropeTheta ?? 10000;
    this.inverseFrequencies = Float64Array.from({ length: hd / 2 }, (_, i) => 1 / theta ** ((2 * i) / hd));
  }

  w(name: string): ArrayLike<number> {
    const tensor = this.weights.get(name);
    if (!tensor) throw new Error(`reference backward: missing tensor ${name}`);
    return tensor;
  }

  /** y [rows, n] = x [rows, k] W (+ b), n = |W| / k. */
  linear(x: Float64Array, k: number, weight: string, bias: string | null, layout = this.layout) {
    const w = this.w(weight);
    const n = w.length / k;
    const b = bias === null ? null : this.w(bias);
    const y = new Float64Array(this.rows * n);
    for (let r = 0; r < this.rows; r++) {
      for (let j = 0; j < n; j++) {
        let sum = b ? b[j] : 0;
        for (let i = 0; i < k; i++) sum += x[r * k + i] * (layout === 'kn' ? w[i * n + j] : w[j * k + i]);
        y[r * n + j] = sum;
      }
    }
    return y;
  }

  /** Accumulates dW (and db) into `grads`; returns dx [rows, k]. */
  linearBackward(
    dy: Float64Array,
    x: Float64Array,
    k: number,
    weight: string,
    bias: string | null,
    grads: Gradients,
    layout = this.layout,
  ): Float64Array {
    const w = this.w(weight);
    const n = w.length / k;
    const dW = grads.get(weight)!;
    const dB = bias === null ? null : grads.get(bias)!;
    const dx = new Float64Array(this.rows * k);
    for (let r = 0; r < this.rows; r++) {
      for (let j = 0; j < n; j++) {
        const g = dy[r * n + j];
        if (g === 0) continue;
        if (dB) dB[j] += g;
        for (let i = 0; i < k; i++) {
          const index = layout === 'kn' ? i * n + j : j * k + i;
          dx[r * k + i] += g * w[index];
          dW[index] += g * x[r * k + i];
        }
      }
    }
    return dx;
  }

  norm(x: Float64Array, gain: string, bias: string | null): Float64Array {
    const { d, rows, config } = this;
    return bias === null
      ? rmsNormReference(x, this.w(gain), rows, d, config.normEps)
      : layerNormReference(x, this.w(gain), this.w(bias), rows, d, config.normEps);
  }

  normBackward(dy: Float64Array, x: Float64Array, gain: string, bias: string | null, grads: Gradients) {
    const g = normBackwardReference(
      bias !== null,
      dy,
      x,
      this.w(gain),
      this.rows,
      this.d,
      this.config.normEps,
    );
    addInto(grads.get(gain)!, g.gradGamma);
    if (bias !== null) addInto(grads.get(bias)!, g.gradBeta);
    return g.gradInput;
  }

  rope(x: Float64Array, heads: number, direction: 1 | -1): Float64Array {
    const shape = { tokens: this.rows, heads, headDim: this.config.headDim };
    return ropeReference(x, this.positions, this.inverseFrequencies, shape, direction);
  }

  /** Causal GQA attention of each sequence: q [rows, H*D], k, v [rows, Hkv*D] -> [rows, H*D]. */
  attention(q: Float64Array, k: Float64Array, v: Float64Array): Float64Array {
    const { numHeads: H, numKeyValueHeads: Hkv, headDim: D } = this.config;
    const T = this.batch.length;
    const scale = 1 / Math.sqrt(D);
    const out = new Float64Array(this.rows * H * D);
    const scores = new Float64Array(T);
    for (let b = 0; b < this.batch.batchSize; b++) {
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < H; h++) {
          const qAt = ((b * T + t) * H + h) * D;
          const kvHead = Math.floor(h / (H / Hkv));
          let max = -Infinity;
          for (let j = 0; j <= t; j++) {
            let dot = 0;
            for (let i = 0; i < D; i++) dot += q[qAt + i] * k[((b * T + j) * Hkv + kvHead) * D + i];
            scores[j] = dot * scale;
            max = Math.max(max, scores[j]);
          }
          let sum = 0;
          for (let j = 0; j <= t; j++) sum += scores[j] = Math.exp(scores[j] - max);
          for (let j = 0; j <= t; j++)
            for (let i = 0; i < D; i++)
              out[qAt + i] += (scores[j] / sum) * v[((b * T + j) * Hkv + kvHead) * D + i];
        }
      }
    }
    return out;
  }

  attentionBackward(dO: Float64Array, q: Float64Array, k: Float64Array, v: Float64Array) {
    const { numHeads: H, numKeyValueHeads: Hkv, headDim: D } = this.config;
    const T = this.batch.length;
    const dq = new Float64Array(q.length);
    const dk = new Float64Array(k.length);
    const dv = new Float64Array(v.length);
    const shape = { tokens: T, numHeads: H, numKvHeads: Hkv, headDim: D };
    for (let b = 0; b < this.batch.batchSize; b++) {
      const [qs, kvs] = [T * H * D, T * Hkv * D];
      const slice = (x: Float64Array, size: number) => x.subarray(b * size, (b + 1) * size);
      const g = attentionBackwardReference(
        { query: slice(q, qs), key: slice(k, kvs), value: slice(v, kvs), outputGradient: slice(dO, qs) },
        shape,
      );
      dq.set(g.query, b * qs);
      dk.set(g.key, b * kvs);
      dv.set(g.value, b * kvs);
    }
    return { dq, dk, dv };
  }
}

function addInto(target: Float64Array, addend: ArrayLike<number>): Float64Array {
  for (let i = 0; i < target.length; i++) target[i] += addend[i];
  return target;
}

/** Columns [from, from + width) of x [rows, stride]. */
function columns(x: Float64Array, rows: number, stride: number, from: number, width: number) {
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(x.subarray(r * stride + from, r * stride + from + width), r * width);
  return out;
}

function gpt2BlockForward(p: Pass, x: Float64Array, layer: number): Activations {
  const { d, rows } = p;
  const n = `h.${layer}`;
  const a = p.norm(x, `${n}.ln_1.weight`, `${n}.ln_1.bias`);
  const qkv = p.linear(a, d, `${n}.attn.c_attn.weight`, `${n}.attn.c_attn.bias`);
  const [q, k, v] = [0, 1, 2].map((i) => columns(qkv, rows, 3 * d, i * d, d));
  const o = p.attention(q, k, v);
  const y = addInto(p.linear(o, d, `${n}.attn.c_proj.weight`, `${n}.attn.c_proj.bias`), x);
  const m = p.norm(y, `${n}.ln_2.weight`, `${n}.ln_2.bias`);
  const f = p.linear(m, d, `${n}.mlp.c_fc.weight`, `${n}.mlp.c_fc.bias`);
  const g = f.map(gelu);
  const out = addInto(p.linear(g, f.length / rows, `${n}.mlp.c_proj.weight`, `${n}.mlp.c_proj.bias`), y);
  return { x, a, q, k, v, o, y, m, f, g, out };
}

function gpt2BlockBackward(p: Pass, s: Activations, dOut: Float64Array, layer: number, grads: Gradients) {
  const { d, rows } = p;
  const n = `h.${layer}`;
  const inner = s.f.length / rows;
  const dg = p.linearBackward(dOut, s.g, inner, `${n}.mlp.c_proj.weight`, `${n}.mlp.c_proj.bias`, grads);
  const df = dg.map((g, i) => g * geluDerivativeReference(s.f[i]));
  const dm = p.linearBackward(df, s.m, d, `${n}.mlp.c_fc.weight`, `${n}.mlp.c_fc.bias`, grads);
  const dy = addInto(p.normBackward(dm, s.y, `${n}.ln_2.weight`, `${n}.ln_2.bias`, grads), dOut);
  const dO = p.linearBackward(dy, s.o, d, `${n}.attn.c_proj.weight`, `${n}.attn.c_proj.bias`, grads);
  const { dq, dk, dv } = p.attentionBackward(dO, s.q, s.k, s.v);
  const dqkv = new Float64Array(rows * 3 * d);
  [dq, dk, dv].forEach((part, i) => {
    for (let r = 0; r < rows; r++) dqkv.set(part.subarray(r * d, (r + 1) * d), r * 3 * d + i * d);
  });
  const da = p.linearBackward(dqkv, s.a, d, `${n}.attn.c_attn.weight`, `${n}.attn.c_attn.bias`, grads);
  return addInto(p.normBackward(da, s.x, `${n}.ln_1.weight`, `${n}.ln_1.bias`, grads), dy);
}

function llamaBlockForward(p: Pass, x: Float64Array, layer: number): Activations {
  const { d, config: c } = p;
  const n = `model.layers.${layer}`;
  const bias = (proj: string) => (c.qkvBias ? `${n}.self_attn.${proj}.bias` : null);
  const a = p.norm(x, `${n}.input_layernorm.weight`, null);
  const q = p.rope(p.linear(a, d, `${n}.self_attn.q_proj.weight`, bias('q_proj')), c.numHeads, 1);
  const k = p.rope(p.linear(a, d, `${n}.self_attn.k_proj.weight`, bias('k_proj')), c.numKeyValueHeads, 1);
  const v = p.linear(a, d, `${n}.self_attn.v_proj.weight`, bias('v_proj'));
  const o = p.attention(q, k, v);
  const y = addInto(p.linear(o, c.numHeads * c.headDim, `${n}.self_attn.o_proj.weight`, null), x);
  const m = p.norm(y, `${n}.post_attention_layernorm.weight`, null);
  const gate = p.linear(m, d, `${n}.mlp.gate_proj.weight`, null);
  const up = p.linear(m, d, `${n}.mlp.up_proj.weight`, null);
  const h = gate.map((g, i) => silu(g) * up[i]);
  const out = addInto(p.linear(h, c.intermediateSize, `${n}.mlp.down_proj.weight`, null), y);
  return { x, a, q, k, v, o, y, m, gate, up, h, out };
}

function llamaBlockBackward(p: Pass, s: Activations, dOut: Float64Array, layer: number, grads: Gradients) {
  const { d, config: c } = p;
  const n = `model.layers.${layer}`;
  const bias = (proj: string) => (c.qkvBias ? `${n}.self_attn.${proj}.bias` : null);
  const dh = p.linearBackward(dOut, s.h, c.intermediateSize, `${n}.mlp.down_proj.weight`, null, grads);
  const dGate = dh.map((g, i) => g * s.up[i] * siluDerivativeReference(s.gate[i]));
  const dUp = dh.map((g, i) => g * silu(s.gate[i]));
  const dm = addInto(
    p.linearBackward(dGate, s.m, d, `${n}.mlp.gate_proj.weight`, null, grads),
    p.linearBackward(dUp, s.m, d, `${n}.mlp.up_proj.weight`, null, grads),
  );
  const dy = addInto(p.normBackward(dm, s.y, `${n}.post_attention_layernorm.weight`, null, grads), dOut);
  const dO = p.linearBackward(dy, s.o, c.numHeads * c.headDim, `${n}.self_attn.o_proj.weight`, null, grads);
  const { dq, dk, dv } = p.attentionBackward(dO, s.q, s.k, s.v);
  const dqPre = p.rope(dq, c.numHeads, -1);
  const da = p.linearBackward(dqPre, s.a, d, `${n}.self_attn.q_proj.weight`, bias('q_proj'), grads);
  const dkPre = p.rope(dk, c.numKeyValueHeads, -1);
  addInto(da, p.linearBackward(dkPre, s.a, d, `${n}.self_attn.k_proj.weight`, bias('k_proj'), grads));
  addInto(da, p.linearBackward(dv, s.a, d, `${n}.self_attn.v_proj.weight`, bias('v_proj'), grads));
  return addInto(p.normBackward(da, s.x, `${n}.input_layernorm.weight`, null, grads), dy);
}

function validate(config: ModelConfig, batch: TokenBatch, tokenWeights: ArrayLike<number>): void {
  const { batchSize: B, length: T } = batch;
  const where = 'reference backward';
  if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1)
    throw new Error(`${where}: batchSize ${B} and length ${T} must be positive integers`);
  if (T > config.maxPositions)
    throw new Error(`${where}: length ${T} exceeds the model's ${config.maxPositions} positions`);
  for (const [what, array] of [
    ['tokens', batch.tokens],
    ['targets', batch.targets],
    ['mask', batch.mask],
    ['tokenWeights', tokenWeights],
  ] as const) {
    if (array.length !== B * T)
      throw new Error(`${where}: ${what} has ${array.length} entries, expected B*T = ${B}*${T} = ${B * T}`);
  }
  for (const [what, ids] of [
    ['token', batch.tokens],
    ['target', batch.targets],
  ] as const) {
    const bad = ids.findIndex((id) => id >= config.vocabSize);
    if (bad >= 0)
      throw new Error(
        `${where}: ${what} ${ids[bad]} at index ${bad} is outside the vocabulary of ${config.vocabSize}`,
      );
  }
}

/** Names of the final norm (gain, bias or null), the head weight, and the block functions. */
function architecture(c: ModelConfig) {
  const gpt2 = c.architecture === 'gpt2';
  const embedding = gpt2 ? 'wte.weight' : 'model.embed_tokens.weight';
  return {
    embedding,
    finalNorm: (gpt2 ? ['ln_f.weight', 'ln_f.bias'] : ['model.norm.weight', null]) as [string, string | null],
    head: c.tieWordEmbeddings ? embedding : 'lm_head.weight',
    blockForward: gpt2 ? gpt2BlockForward : llamaBlockForward,
    blockBackward: gpt2 ? gpt2BlockBackward : llamaBlockBackward,
  };
}

/** The whole forward, keeping every activation; logits [rows, vocab] and logp_t [rows]. */
function forward(
  config: ModelConfig,
  weights: ReferenceWeights,
  batch: TokenBatch,
  tokenWeights: ArrayLike<number>,
) {
  validate(config, batch, tokenWeights);
  const p = new Pass(config, weights, batch);
  const arch = architecture(config);
  const { d, rows } = p;
  const embedding = p.w(arch.embedding);
  const positions = config.architecture === 'gpt2' ? p.w('wpe.weight') : null;
  let x: Float64Array = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < d; i++) {
      x[r * d + i] = embedding[batch.tokens[r] * d + i] + (positions ? positions[p.positions[r] * d + i] : 0);
    }
  }
  // Vision-language models: image rows replace their placeholders' embeddings (./vision-backward.ts).
  const imageRows = imageRowsForward(config, weights, batch);
  for (const { row, out } of imageRows) x.set(out, row * d);
  const blocks: Activations[] = [];
  for (let layer = 0; layer < config.numLayers; layer++) {
    blocks.push(arch.blockForward(p, x, layer));
    x = blocks[layer].out;
  }
  const normed = p.norm(x, ...arch.finalNorm);
  const logits = p.linear(normed, d, arch.head, null, 'nk');
  const V = config.vocabSize;
  const logProbs = new Float64Array(rows);
  const logSums = new Float64Array(rows);
  let objective = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * V, (r + 1) * V);
    let max = -Infinity;
    for (const z of row) max = Math.max(max, z);
    let sum = 0;
    for (const z of row) sum += Math.exp(z - max);
    logSums[r] = max + Math.log(sum);
    logProbs[r] = row[batch.targets[r]] - logSums[r];
    if (tokenWeights[r] !== 0) objective += tokenWeights[r] * logProbs[r];
  }
  return { p, arch, blocks, final: x, normed, logits, logSums, logProbs, objective, imageRows };
}

/** J = sum_t w_t logp_t and logp_t [B * T] of one batch, without the backward. */
export function referenceObjective(
  config: ModelConfig,
  weights: ReferenceWeights,
  batch: TokenBatch,
  tokenWeights: ArrayLike<number>,
): ReferenceObjective {
  const { objective, logProbs } = forward(config, weights, batch, tokenWeights);
  return { objective, logProbs };
}

/** J, logp_t and dJ/dW for every tensor of expectedTensors(config) (tokens with w_t = 0 add nothing). */
export function referenceGradients(
  config: ModelConfig,
  weights: ReferenceWeights,
  batch: TokenBatch,
  tokenWeights: ArrayLike<number>,
): ReferenceGradients {
  const f = forward(config, weights, batch, tokenWeights);
  const { p, arch } = f;
  const { d, rows } = p;
  const V = config.vocabSize;
  const gradients: Gradients = new Map();
  for (const { name, shape } of expectedTensors(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (p.w(name).length !== size)
      throw new Error(`reference backward: ${name} has ${p.w(name).length} entries, expected [${shape}]`);
    gradients.set(name, new Float64Array(size));
  }
  const dLogits = new Float64Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const w = tokenWeights[r];
    if (w === 0) continue;
    for (let v = 0; v < V; v++) dLogits[r * V + v] = -w * Math.exp(f.logits[r * V + v] - f.logSums[r]);
    dLogits[r * V + batch.targets[r]] += w;
  }
  const dNormed = p.linearBackward(dLogits, f.normed, d, arch.head, null, gradients, 'nk');
  let dx = p.normBackward(dNormed, f.final, ...arch.finalNorm, gradients);
  for (let layer = config.numLayers - 1; layer >= 0; layer--) {
    dx = arch.blockBackward(p, f.blocks[layer], dx, layer, gradients);
  }
  const dEmbedding = gradients.get(arch.embedding)!;
  const dPositions = config.architecture === 'gpt2' ? gradients.get('wpe.weight')! : null;
  imageRowsBackward(config, weights, f.imageRows, dx, gradients);
  const replaced = new Set(f.imageRows.map((i) => i.row));
  for (let r = 0; r < rows; r++) {
    if (replaced.has(r)) continue;
    for (let i = 0; i < d; i++) {
      dEmbedding[batch.tokens[r] * d + i] += dx[r * d + i];
      if (dPositions) dPositions[p.positions[r] * d + i] += dx[r * d + i];
    }
  }
  return { objective: f.objective, logProbs: f.logProbs, gradients };
}
