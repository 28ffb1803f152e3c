// The CPU reference forward of GPT-2 and the Llama family: the spec the WGSL engine is tested
// against. One token at a time through per-sequence KV caches (causal attention over a cache is
// the same computation as a parallel prefill), f64 arithmetic, every internal observable.
//
// GPT-2 ("Language Models are Unsupervised Multitask Learners"): h = wte[id] + wpe[pos];
//   per block: h += attn(LN1(h)); h += W2 gelu(W1 LN2(h)); logits = LN_f(h) wte^T (tied).
// Llama ("LLaMA: Open and Efficient Foundation Language Models"; Qwen2 adds q/k/v biases):
//   h = E[id]; per block: h += o(attn(RoPE(q(RMS1 h)), RoPE(k(RMS1 h)), v(RMS1 h)));
//   h += down(silu(gate(RMS2 h)) * up(RMS2 h)); logits = RMS_f(h) head^T.
// Vision-language models (config.vision): the k-th image placeholder's h is the image embedding
//   e_k of patch k instead (GPT-2: no wpe added); see src/model/vision.ts and ./vision.ts.
import type { ModelConfig } from '../config';
import type { ForwardCapture, LogitRow, SequenceId } from '../interface';
import { applyRope, gelu, layerNorm, linearKN, linearNK, rmsNorm, silu, softmaxInPlace } from './math';
import { referenceImageRows } from './vision';

export type WeightMap = ReadonlyMap<string, Float32Array>;

interface Cache {
  /** keys[layer][position] = [numKvHeads * headDim] */
  keys: Float64Array[][];
  values: Float64Array[][];
}

export interface ReferenceOutput {
  /** One row per returned position: [vocab] each. */
  logits: Float32Array[];
  rows: LogitRow[];
  /** hiddenStates[j][r]: residual stream after layer j (0 = embeddings) for row r. */
  hiddenStates?: Float32Array[][];
  /** logitLens[i][r]: logits of the final norm + head on layer logitLensLayers[i], row r. */
  logitLens?: Float32Array[][];
  /** Probabilities [queries, keys] of the requested head for the first sequence's new tokens. */
  attention?: { probs: Float32Array; queries: number; keys: number };
}

export interface ReferenceRequest {
  /** `image`: see ForwardSequence.image (vision-language models only). */
  sequences: readonly { sequence: SequenceId; tokens: readonly number[]; image?: Float32Array }[];
  logits?: 'last' | 'all';
  capture?: ForwardCapture;
}

export class ReferenceModel {
  readonly config: ModelConfig;
  private readonly weights: WeightMap;
  private readonly caches = new Map<SequenceId, Cache>();
  private nextId = 1;

  constructor(config: ModelConfig, weights: WeightMap) {
    this.config = config;
    this.weights = weights;
  }

  private w(name: string): Float32Array {
    const tensor = this.weights.get(name);
    if (!tensor) throw new Error(`reference model: missing tensor ${name}`);
    return tensor;
  }

  private optional(name: string): Float32Array | undefined {
    return this.weights.get(name);
  }

  createSequence(): SequenceId {
    const id = this.nextId++;
    const layers = this.config.numLayers;
    this.caches.set(id, {
      keys: Array.from({ length: layers }, () => []),
      values: Array.from({ length: layers }, () => []),
    });
    return id;
  }

  private cache(sequence: SequenceId): Cache {
    const cache = this.caches.get(sequence);
    if (!cache) throw new Error(`reference model: unknown sequence ${sequence}`);
    return cache;
  }

  sequenceLength(sequence: SequenceId): number {
    return this.cache(sequence).keys[0]?.length ?? 0;
  }

  fork(sequence: SequenceId): SequenceId {
    const source = this.cache(sequence);
    const id = this.nextId++;
    this.caches.set(id, { keys: source.keys.map((l) => [...l]), values: source.values.map((l) => [...l]) });
    return id;
  }

  truncate(sequence: SequenceId, length: number): void {
    const cache = this.cache(sequence);
    if (length < 0 || length > this.sequenceLength(sequence)) {
      throw new Error(
        `reference model: cannot truncate sequence ${sequence} of length ${this.sequenceLength(sequence)} to ${length}`,
      );
    }
    for (const layer of [...cache.keys, ...cache.values]) layer.length = length;
  }

  releaseSequence(sequence: SequenceId): void {
    this.caches.delete(sequence);
  }

  forward(request: ReferenceRequest): ReferenceOutput {
    const out: ReferenceOutput = { logits: [], rows: [] };
    const capture = request.capture ?? {};
    if (capture.hiddenStates) out.hiddenStates = Array.from({ length: this.config.numLayers + 1 }, () => []);
    if (capture.logitLensLayers) out.logitLens = capture.logitLensLayers.map(() => []);
    // Every image is checked before any cache changes.
    const imageRows = request.sequences.map(({ sequence, tokens, image }) =>
      referenceImageRows(this.config, (name) => this.w(name), sequence, tokens, image),
    );
    request.sequences.forEach(({ sequence, tokens }, s) => {
      const start = this.sequenceLength(sequence);
      const probs: Float64Array[] = [];
      tokens.forEach((token, t) => {
        const position = start + t;
        const wantAttention = s === 0 && capture.attention ? capture.attention : null;
        const { hidden, attention } = this.step(
          sequence,
          token,
          position,
          wantAttention,
          imageRows[s]?.get(t),
        );
        if (attention) probs.push(attention);
        if (request.logits !== 'all' && t !== tokens.length - 1) return;
        out.rows.push({ sequence, position });
        out.logits.push(this.head(hidden[hidden.length - 1]));
        if (out.hiddenStates) hidden.forEach((h, j) => out.hiddenStates![j].push(Float32Array.from(h)));
        capture.logitLensLayers?.forEach((layer, i) => out.logitLens![i].push(this.head(hidden[layer])));
      });
      if (s === 0 && capture.attention) {
        const keys = start + tokens.length;
        const matrix = new Float32Array(tokens.length * keys);
        probs.forEach((row, q) => matrix.set(Float32Array.from(row), q * keys));
        out.attention = { probs: matrix, queries: tokens.length, keys };
      }
    });
    return out;
  }

  /** Final norm and LM head on a residual-stream vector. */
  private head(h: Float64Array): Float32Array {
    const c = this.config;
    const headWeight = c.tieWordEmbeddings
      ? this.w(c.architecture === 'gpt2' ? 'wte.weight' : 'model.embed_tokens.weight')
      : this.w('lm_head.weight');
    const normed =
      c.architecture === 'gpt2'
        ? layerNorm(h, this.w('ln_f.weight'), this.w('ln_f.bias'), c.normEps)
        : rmsNorm(h, this.w('model.norm.weight'), c.normEps);
    return Float32Array.from(linearNK(normed, headWeight, c.vocabSize));
  }

  /**
   * Runs one token through every layer (its embedding replaced by `imageRow` when given); returns
   * the residual stream after each layer.
   */
  private step(
    sequence: SequenceId,
    token: number,
    position: number,
    attention: { layer: number; head: number } | null,
    imageRow?: Float64Array,
  ) {
    const c = this.config;
    if (!Number.isInteger(token) || token < 0 || token >= c.vocabSize)
      throw new Error(`reference model: token ${token} out of range`);
    if (position >= c.maxPositions)
      throw new Error(`reference model: position ${position} beyond max ${c.maxPositions}`);
    const d = c.hiddenSize;
    const cache = this.cache(sequence);
    let x: Float64Array;
    if (imageRow) {
      x = imageRow.slice();
    } else if (c.architecture === 'gpt2') {
      const wte = this.w('wte.weight');
      const wpe = this.w('wpe.weight');
      x = Float64Array.from({ length: d }, (_, i) => wte[token * d + i] + wpe[position * d + i]);
    } else {
      const embed = this.w('model.embed_tokens.weight');
      x = Float64Array.from({ length: d }, (_, i) => embed[token * d + i]);
    }
    const hidden = [x.slice()];
    let probs: Float64Array | null = null;
    for (let layer = 0; layer < c.numLayers; layer++) {
      const result =
        c.architecture === 'gpt2'
          ? this.gpt2Block(x, layer, cache, attention)
          : this.llamaBlock(x, layer, position, cache, attention);
      x = result.x;
      if (result.probs) probs = result.probs;
      hidden.push(x.slice());
    }
    return { hidden, attention: probs };
  }

  /** Causal attention of q (all heads) over the cache of `layer`; probs of one head if asked. */
  private attend(q: Float64Array, layer: number, cache: Cache, wantHead: number | null) {
    const c = this.config;
    const hd = c.headDim;
    const group = c.numHeads / c.numKeyValueHeads;
    const keys = cache.keys[layer];
    const values = cache.values[layer];
    const out = new Float64Array(c.numHeads * hd);
    let headProbs: Float64Array | null = null;
    for (let h = 0; h < c.numHeads; h++) {
      const kv = Math.floor(h / group) * hd;
      const scores = new Float64Array(keys.length);
      for (let j = 0; j < keys.length; j++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += q[h * hd + i] * keys[j][kv + i];
        scores[j] = dot / Math.sqrt(hd);
      }
      softmaxInPlace(scores);
      if (h === wantHead) headProbs = scores;
      for (let j = 0; j < keys.length; j++)
        for (let i = 0; i < hd; i++) out[h * hd + i] += scores[j] * values[j][kv + i];
    }
    return { out, probs: headProbs };
  }

  private gpt2Block(
    x: Float64Array,
    layer: number,
    cache: Cache,
    attention: { layer: number; head: number } | null,
  ) {
    const c = this.config;
    const d = c.hiddenSize;
    const p = `h.${layer}`;
    const a = layerNorm(x, this.w(`${p}.ln_1.weight`), this.w(`${p}.ln_1.bias`), c.normEps);
    const qkv = linearKN(a, this.w(`${p}.attn.c_attn.weight`), 3 * d, this.w(`${p}.attn.c_attn.bias`));
    cache.keys[layer].push(qkv.slice(d, 2 * d));
    cache.values[layer].push(qkv.slice(2 * d, 3 * d));
    const { out, probs } = this.attend(
      qkv.slice(0, d),
      layer,
      cache,
      attention?.layer === layer ? attention.head : null,
    );
    const attnOut = linearKN(out, this.w(`${p}.attn.c_proj.weight`), d, this.w(`${p}.attn.c_proj.bias`));
    const y = x.map((v, i) => v + attnOut[i]);
    const m = layerNorm(y, this.w(`${p}.ln_2.weight`), this.w(`${p}.ln_2.bias`), c.normEps);
    const inner = linearKN(
      m,
      this.w(`${p}.mlp.c_fc.weight`),
      c.intermediateSize,
      this.w(`${p}.mlp.c_fc.bias`),
    ).map(gelu);
    const mlpOut = linearKN(inner, this.w(`${p}.mlp.c_proj.weight`), d, this.w(`${p}.mlp.c_proj.bias`));
    return { x: y.map((v, i) => v + mlpOut[i]), probs };
  }

  private llamaBlock(
    x: Float64Array,
    layer: number,
    position: number,
    cache: Cache,
    attention: { layer: number; head: number } | null,
  ) {
    const c = this.config;
    const d = c.hiddenSize;
    const hd = c.headDim;
    const p = `model.layers.${layer}`;
    const a = rmsNorm(x, this.w(`${p}.input_layernorm.weight`), c.normEps);
    const q = linearNK(
      a,
      this.w(`${p}.self_attn.q_proj.weight`),
      c.numHeads * hd,
      this.optional(`${p}.self_attn.q_proj.bias`),
    );
    const k = linearNK(
      a,
      this.w(`${p}.self_attn.k_proj.weight`),
      c.numKeyValueHeads * hd,
      this.optional(`${p}.self_attn.k_proj.bias`),
    );
    const v = linearNK(
      a,
      this.w(`${p}.self_attn.v_proj.weight`),
      c.numKeyValueHeads * hd,
      this.optional(`${p}.self_attn.v_proj.bias`),
    );
    const theta = c.ropeTheta ?? 10000;
    for (let h = 0; h < c.numHeads; h++) applyRope(q, h * hd, hd, position, theta);
    for (let h = 0; h < c.numKeyValueHeads; h++) applyRope(k, h * hd, hd, position, theta);
    cache.keys[layer].push(k);
    cache.values[layer].push(v);
    const { out, probs } = this.attend(q, layer, cache, attention?.layer === layer ? attention.head : null);
    const attnOut = linearNK(out, this.w(`${p}.self_attn.o_proj.weight`), d);
    const y = x.map((value, i) => value + attnOut[i]);
    const m = rmsNorm(y, this.w(`${p}.post_attention_layernorm.weight`), c.normEps);
    const gate = linearNK(m, this.w(`${p}.mlp.gate_proj.weight`), c.intermediateSize);
    const up = linearNK(m, this.w(`${p}.mlp.up_proj.weight`), c.intermediateSize);
    const inner = gate.map((g, i) => silu(g) * up[i]);
    const mlpOut = linearNK(inner, this.w(`${p}.mlp.down_proj.weight`), d);
    return { x: y.map((value, i) => value + mlpOut[i]), probs };
  }
}
