// The Llama-family decoder (llama, qwen2, mistral configs) as one ONNX graph with the interface of
// the Hub's `onnx/decoder_model_merged.onnx` (onnx-community / Xenova exports, no
// use_cache_branch input):
//   inputs   input_ids [batch, seq] int64 (or, with `inputsEmbeds`, inputs_embeds [batch, seq, d]
//            f32: the decoder of an Idefics3 folder, ./idefics3.ts), attention_mask [batch, past + seq] int64,
//            position_ids [batch, seq] int64, past_key_values.{i}.key|value [batch, kvHeads, past, headDim] f32
//   outputs  logits [batch, seq, vocab] f32, present.{i}.key|value [batch, kvHeads, past + seq, headDim] f32
// With `logitsType` / `cacheType` 'float16' the boundary is that of the Hub's fp16 exports: logits
// and/or past and present in float16 (Cast nodes at the edges), weights and arithmetic still f32.
// The math is src/model/reference/forward.ts (llamaBlock): RMSNorm x / sqrt(mean(x^2) + eps) * g;
// RoPE by the "rotate half" convention (pairs i and i + headDim/2); grouped-query attention
// (query head h reads key/value head floor(h / group)); SiLU-gated MLP; final norm; head (tied:
// the embedding matrix, transposed by a Transpose node that onnxruntime folds at load).
// Only standard ONNX ops (opset 17) that onnxruntime-web's webgpu and wasm providers run.
//
// The attention mask and the RoPE tables: ./positions.ts. Query heads are reshaped to
// [batch, kvHeads, group, seq, headDim] and multiplied with keys of shape
// [batch, kvHeads, 1, headDim, total] (MatMul broadcasting), so keys are never repeated.
import type { ModelConfig } from '../../config';
import { GraphBuilder, type Dim } from './graph';
import { positionInputs } from './positions';

/** Float32 weights by Hugging Face name (nn.Linear [out, in]). */
export interface WeightSource {
  get(name: string): Float32Array;
}

/** Symbolic dimension names as optimum writes them. */
export const DIMS = {
  batch: 'batch_size',
  sequence: 'sequence_length',
  past: 'past_sequence_length',
  total: 'total_sequence_length',
} as const;

/** W [out, in] -> W^T [in, out], so MatMul(x [.., in], W^T) = x W^T. */
function transpose(w: Float32Array, out: number, inner: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inner; i++) t[i * out + o] = w[o * inner + i];
  return t;
}

export interface ExportOptions {
  /**
   * Default true. false: no position_ids input; positions follow the past length (past + s for
   * every row), as older exports did. Tests use it to exercise equal-length batching.
   */
  positionIds?: boolean;
  /** Element type of the logits output; default float32. float16: a Cast after the head. */
  logitsType?: 'float32' | 'float16';
  /**
   * Element type of past_key_values and present; default float32. float16: the past is Cast to
   * f32 as it enters and each present is Cast to f16 as it leaves.
   */
  cacheType?: 'float32' | 'float16';
  /**
   * Default false. true: the new tokens come as inputs_embeds [batch, seq, d] (rows of the
   * embedding table, or image features in place of some) instead of input_ids; the embedding table
   * stays in the graph only as the tied head.
   */
  inputsEmbeds?: boolean;
}

/** ONNX TensorProto.DataType of a Cast target. */
const CAST_TO = { float32: 1, float16: 10 } as const;

/** The encoded ONNX model of a Llama-family decoder. */
export function exportLlamaDecoder(
  config: ModelConfig,
  weights: WeightSource,
  name: string,
  options: ExportOptions = {},
): Uint8Array {
  if (config.architecture !== 'llama') {
    throw new Error(`exportLlamaDecoder: ${name} is ${config.modelType}, not a Llama-family model`);
  }
  if (config.vision && !options.inputsEmbeds) {
    throw new Error(
      `exportLlamaDecoder: ${name} is a vision-language model: its decoder takes inputs_embeds ` +
        '(export the folder in the Idefics3 layout, exportIdefics3Folder)',
    );
  }
  const g = new GraphBuilder();
  const { batch, sequence, past, total } = DIMS;
  const d = config.hiddenSize;
  const hd = config.headDim;
  const heads = config.numHeads;
  const kvHeads = config.numKeyValueHeads;
  const group = heads / kvHeads;
  const inner = config.intermediateSize;

  const tokens = options.inputsEmbeds
    ? g.input('inputs_embeds', 'float32', [batch, sequence, d])
    : g.input('input_ids', 'int64', [batch, sequence]);
  const attentionMask = g.input('attention_mask', 'int64', [batch, total]);
  const positionIds =
    options.positionIds === false ? null : g.input('position_ids', 'int64', [batch, sequence]);
  const cacheType = options.cacheType ?? 'float32';
  const logitsType = options.logitsType ?? 'float32';
  /** `x` as `type` through a Cast, or `x` itself when `type` is float32 (x is f32). */
  const castFromF32 = (x: string, type: 'float32' | 'float16', name: string) =>
    type === 'float32' ? x : g.node('Cast', [x], { name, attributes: { to: CAST_TO[type] } });
  const cacheDims: Dim[] = [batch, kvHeads, past, hd];
  const pastInput = (i: number, kind: 'key' | 'value') => {
    const name = g.input(`past_key_values.${i}.${kind}`, cacheType, cacheDims);
    return cacheType === 'float32'
      ? name
      : g.node('Cast', [name], {
          name: `/model/layers.${i}/attn/past_${kind}_f32`,
          attributes: { to: CAST_TO.float32 },
        });
  };
  const pastNames = Array.from({ length: config.numLayers }, (_, i) => ({
    key: pastInput(i, 'key'),
    value: pastInput(i, 'value'),
  }));

  const axes = (values: number[]) => g.ints('/axes', values);
  const unsqueeze = (x: string, values: number[], name: string) =>
    g.node('Unsqueeze', [x, axes(values)], { name });
  const { mask, cos, sin } = positionInputs(g, config, { tokens, attentionMask, positionIds });

  const two = g.scalar('/two', 2);
  const rmsNorm = (x: string, gamma: string, name: string) => {
    const meanSquare = g.node('ReduceMean', [g.node('Pow', [x, two], { name: `${name}/Pow` })], {
      name: `${name}/ReduceMean`,
      attributes: { axes: [-1], keepdims: 1 },
    });
    const eps = g.scalar(`${name}/eps`, config.normEps);
    const root = g.node('Sqrt', [g.node('Add', [meanSquare, eps], { name: `${name}/Add` })], {
      name: `${name}/Sqrt`,
    });
    const normed = g.node('Div', [x, root], { name: `${name}/Div` });
    return g.node('Mul', [normed, g.weight(gamma, weights.get(gamma), [d])], { name: `${name}/Mul` });
  };
  const linear = (x: string, weight: string, out: number, inputs: number, name: string, bias?: string) => {
    const w = g.weight(`${weight}.T`, transpose(weights.get(weight), out, inputs), [inputs, out]);
    const y = g.node('MatMul', [x, w], { name: `${name}/MatMul` });
    return bias ? g.node('Add', [y, g.weight(bias, weights.get(bias), [out])], { name: `${name}/Add` }) : y;
  };
  const halfStart = g.ints('/rope/half_start', [0]);
  const halfMiddle = g.ints('/rope/half_middle', [hd / 2]);
  const halfEnd = g.ints('/rope/half_end', [hd]);
  const lastAxis = g.ints('/rope/axis', [3]);
  const rope = (x: string, name: string) => {
    const first = g.node('Slice', [x, halfStart, halfMiddle, lastAxis], { name: `${name}/first_half` });
    const second = g.node('Slice', [x, halfMiddle, halfEnd, lastAxis], { name: `${name}/second_half` });
    const rotated = g.node('Concat', [g.node('Neg', [second], { name: `${name}/Neg` }), first], {
      name: `${name}/rotate_half`,
      attributes: { axis: -1 },
    });
    return g.node(
      'Add',
      [
        g.node('Mul', [x, cos], { name: `${name}/cos` }),
        g.node('Mul', [rotated, sin], { name: `${name}/sin` }),
      ],
      { name: `${name}/Add` },
    );
  };
  const toHeads = (x: string, count: number, name: string) =>
    g.node(
      'Transpose',
      [g.node('Reshape', [x, g.ints('/shape', [0, 0, count, hd])], { name: `${name}/Reshape` })],
      {
        name: `${name}/Transpose`,
        attributes: { perm: [0, 2, 1, 3] },
      },
    );
  const scale = g.scalar('/attention/scale', 1 / Math.sqrt(hd));

  let embedTable: string | null = null;
  const embeddings = () =>
    (embedTable ??= g.weight('model.embed_tokens.weight', weights.get('model.embed_tokens.weight'), [
      config.vocabSize,
      d,
    ]));
  let x = options.inputsEmbeds
    ? tokens
    : g.node('Gather', [embeddings(), tokens], { name: '/model/embed_tokens/Gather' });
  const presents: { key: string; value: string }[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    const n = `/model/layers.${i}`;
    const a = rmsNorm(x, `${p}.input_layernorm.weight`, `${n}/input_layernorm`);
    const bias = (proj: string) => (config.qkvBias ? `${p}.self_attn.${proj}.bias` : undefined);
    const q = linear(a, `${p}.self_attn.q_proj.weight`, heads * hd, d, `${n}/attn/q_proj`, bias('q_proj'));
    const k = linear(a, `${p}.self_attn.k_proj.weight`, kvHeads * hd, d, `${n}/attn/k_proj`, bias('k_proj'));
    const v = linear(a, `${p}.self_attn.v_proj.weight`, kvHeads * hd, d, `${n}/attn/v_proj`, bias('v_proj'));
    const qHeads = rope(toHeads(q, heads, `${n}/attn/q`), `${n}/attn/q_rope`);
    const kHeads = rope(toHeads(k, kvHeads, `${n}/attn/k`), `${n}/attn/k_rope`);
    const vHeads = toHeads(v, kvHeads, `${n}/attn/v`);
    const key = g.node('Concat', [pastNames[i].key, kHeads], {
      name: `${n}/attn/present_key`,
      attributes: { axis: 2 },
    });
    const value = g.node('Concat', [pastNames[i].value, vHeads], {
      name: `${n}/attn/present_value`,
      attributes: { axis: 2 },
    });
    presents.push({ key, value });
    // [batch, kvHeads, group, seq, hd] x [batch, kvHeads, 1, hd, total] -> [batch, kvHeads, group, seq, total]
    const qGroups = g.node('Reshape', [qHeads, g.ints('/shape', [0, kvHeads, group, -1, hd])], {
      name: `${n}/attn/q_groups`,
    });
    const keysT = unsqueeze(
      g.node('Transpose', [key], { name: `${n}/attn/keys_t`, attributes: { perm: [0, 1, 3, 2] } }),
      [2],
      `${n}/attn/keys_groups`,
    );
    const scores = g.node(
      'Add',
      [
        g.node('Mul', [g.node('MatMul', [qGroups, keysT], { name: `${n}/attn/qk` }), scale], {
          name: `${n}/attn/scale`,
        }),
        mask,
      ],
      {
        name: `${n}/attn/mask`,
      },
    );
    const probs = g.node('Softmax', [scores], { name: `${n}/attn/Softmax`, attributes: { axis: -1 } });
    const context = g.node('MatMul', [probs, unsqueeze(value, [2], `${n}/attn/values_groups`)], {
      name: `${n}/attn/pv`,
    });
    const merged = g.node(
      'Reshape',
      [
        g.node(
          'Transpose',
          [
            g.node('Reshape', [context, g.ints('/shape', [0, heads, -1, hd])], {
              name: `${n}/attn/context_heads`,
            }),
          ],
          { name: `${n}/attn/context_t`, attributes: { perm: [0, 2, 1, 3] } },
        ),
        g.ints('/shape', [0, 0, heads * hd]),
      ],
      { name: `${n}/attn/context` },
    );
    const attnOut = linear(merged, `${p}.self_attn.o_proj.weight`, d, heads * hd, `${n}/attn/o_proj`);
    x = g.node('Add', [x, attnOut], { name: `${n}/attn_residual` });
    const m = rmsNorm(x, `${p}.post_attention_layernorm.weight`, `${n}/post_attention_layernorm`);
    const gate = linear(m, `${p}.mlp.gate_proj.weight`, inner, d, `${n}/mlp/gate_proj`);
    const up = linear(m, `${p}.mlp.up_proj.weight`, inner, d, `${n}/mlp/up_proj`);
    const silu = g.node('Mul', [gate, g.node('Sigmoid', [gate], { name: `${n}/mlp/Sigmoid` })], {
      name: `${n}/mlp/silu`,
    });
    const down = linear(
      g.node('Mul', [silu, up], { name: `${n}/mlp/gated` }),
      `${p}.mlp.down_proj.weight`,
      d,
      inner,
      `${n}/mlp/down_proj`,
    );
    x = g.node('Add', [x, down], { name: `${n}/mlp_residual` });
  }
  const normed = rmsNorm(x, 'model.norm.weight', '/model/norm');
  const head = config.tieWordEmbeddings
    ? g.node('Transpose', [embeddings()], {
        name: '/lm_head/tied',
        attributes: { perm: [1, 0] },
      })
    : g.weight('lm_head.weight.T', transpose(weights.get('lm_head.weight'), config.vocabSize, d), [
        d,
        config.vocabSize,
      ]);
  const logits = g.node('MatMul', [normed, head], { name: '/lm_head/MatMul' });

  g.output('logits', castFromF32(logits, logitsType, '/lm_head/Cast'), logitsType, [
    batch,
    sequence,
    config.vocabSize,
  ]);
  presents.forEach(({ key, value }, i) => {
    const n = `/model/layers.${i}/attn`;
    const dims = [batch, kvHeads, total, hd];
    g.output(`present.${i}.key`, castFromF32(key, cacheType, `${n}/present_key_cast`), cacheType, dims);
    g.output(`present.${i}.value`, castFromF32(value, cacheType, `${n}/present_value_cast`), cacheType, dims);
  });
  return g.encode(`${name} (LogitLab export)`, 'logitlab-export-onnx');
}
