// Weights of the WGSL engine on the GPU, arranged for the kernels:
// - GPT-2's fused c_attn [d, 3d] ('kn') is split by columns into q, k, v weights (and biases), so
//   each projection writes its own [tokens, heads * headDim] buffer, the attention kernels' layout;
// - Llama's gate_proj and up_proj [I, d] ('nk') are stacked into one [2I, d] weight whose output
//   [tokens, 2I] is the SwiGLU kernel's packed layout (gate columns first);
// - vocabulary tables [V, d] are row-chunked to fit the binding limit and serve both the
//   embedding lookup and the (tied or untied) head.
// Layer matrices (and an untied head) are stored in `weightDtype`: f16 halves memory and bandwidth
// and is decoded with core unpack2x16float (no shader-f16 needed); vocabulary tables stay f32. If any upload fails, everything
// uploaded so far is destroyed before the error propagates: nothing half-loaded stays.
// Vision-language models add the image encoder (./vision.ts): W1 and W2 like layer matrices, the
// patch position table f32.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import {
  chunkLimit,
  destroyWeight,
  uploadWeight,
  type MatmulWeight,
  type WeightDtype,
} from '../../kernels/matmul/chunks';
import type { ModelConfig } from '../config';
import type { VisionWeights } from './vision';

export interface TensorSource {
  /** f32 values of a tensor by its canonical name; throws if absent. */
  get(name: string): Float32Array;
}

export interface LayerWeights {
  norm1: { gamma: GPUBuffer; beta: GPUBuffer | null };
  q: MatmulWeight;
  k: MatmulWeight;
  v: MatmulWeight;
  qBias: GPUBuffer | null;
  kBias: GPUBuffer | null;
  vBias: GPUBuffer | null;
  o: MatmulWeight;
  oBias: GPUBuffer | null;
  norm2: { gamma: GPUBuffer; beta: GPUBuffer | null };
  /** GPT-2: c_fc [d, I] 'kn'; Llama: stacked gate/up [2I, d] 'nk'. */
  up: MatmulWeight;
  upBias: GPUBuffer | null;
  down: MatmulWeight;
  downBias: GPUBuffer | null;
}

export interface EngineWeights {
  /** [V, d] row chunks: the embedding table. */
  embedding: MatmulWeight;
  /** GPT-2's learned positions [P, d]. */
  positions: GPUBuffer | null;
  layers: LayerWeights[];
  finalNorm: { gamma: GPUBuffer; beta: GPUBuffer | null };
  /** [V, d] 'nk': the embedding table itself when tied. */
  head: MatmulWeight;
  /** The image encoder of a vision-language model; null for text models. */
  vision: VisionWeights | null;
  bytes: number;
  destroy(): void;
}

/** Columns c0..c1 of a [rows, columns] matrix, as a [rows, c1 - c0] matrix. */
function columns(data: Float32Array, rows: number, cols: number, c0: number, c1: number): Float32Array {
  const out = new Float32Array(rows * (c1 - c0));
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols + c0, r * cols + c1), r * (c1 - c0));
  return out;
}

/**
 * Uploads every weight. `limit` is the largest chunk in bytes (default and maximum: the device's
 * binding limit); smaller values exercise the chunked paths in tests.
 */
export function uploadEngineWeights(
  gpu: Gpu,
  config: ModelConfig,
  source: TensorSource,
  name: string,
  limit = chunkLimit(gpu),
  weightDtype: WeightDtype = 'f32',
): EngineWeights {
  if (!(limit > 0 && limit <= chunkLimit(gpu))) {
    throw new KernelInputError(
      `chunk limit must be in 1..${chunkLimit(gpu)} bytes (this device's binding limit), got ${limit}`,
    );
  }
  const buffers: GPUBuffer[] = [];
  const matrices: MatmulWeight[] = [];
  /** The tensor's values, checked against the length config.json implies. */
  const tensor = (tensorName: string, ...shape: number[]): Float32Array => {
    const data = source.get(tensorName);
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new KernelInputError(
        `${name}: tensor ${tensorName} has ${data.length} values, config.json implies ${expected} ([${shape.join(', ')}])`,
      );
    }
    return data;
  };
  const vector = (data: Float32Array, label: string): GPUBuffer => {
    const buffer = gpu.device.createBuffer({
      label: `${name}:${label}`,
      size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      mappedAtCreation: true,
    });
    buffers.push(buffer);
    new Float32Array(buffer.getMappedRange(0, data.byteLength)).set(data);
    buffer.unmap();
    return buffer;
  };
  const matrix = (
    data: Float32Array,
    layout: 'kn' | 'nk',
    n: number,
    k: number,
    label: string,
  ): MatmulWeight => {
    const weight = uploadWeight(gpu, data, layout, n, k, `${name}:${label}`, limit, weightDtype);
    matrices.push(weight);
    return weight;
  };
  /** Vocabulary tables stay f32: the embedding kernel reads f32 rows, and a tied head shares them. */
  const table = (data: Float32Array, n: number, k: number, label: string): MatmulWeight => {
    const weight = uploadWeight(gpu, data, 'nk', n, k, `${name}:${label}`, limit, 'f32');
    matrices.push(weight);
    return weight;
  };
  const destroyAll = () => {
    buffers.forEach((b) => b.destroy());
    matrices.forEach(destroyWeight);
  };
  try {
    const d = config.hiddenSize;
    const qWidth = config.numHeads * config.headDim;
    const kvWidth = config.numKeyValueHeads * config.headDim;
    const I = config.intermediateSize;
    const layers: LayerWeights[] = [];
    let embedding: MatmulWeight;
    let positions: GPUBuffer | null = null;
    let finalNorm: EngineWeights['finalNorm'];
    let head: MatmulWeight;
    if (config.architecture === 'gpt2') {
      embedding = table(tensor('wte.weight', config.vocabSize, d), config.vocabSize, d, 'wte');
      positions = vector(tensor('wpe.weight', config.maxPositions, d), 'wpe');
      for (let l = 0; l < config.numLayers; l++) {
        const p = `h.${l}`;
        const attn = tensor(`${p}.attn.c_attn.weight`, d, 3 * d);
        const attnBias = tensor(`${p}.attn.c_attn.bias`, 3 * d);
        layers.push({
          norm1: {
            gamma: vector(tensor(`${p}.ln_1.weight`, d), `${p}.ln_1.weight`),
            beta: vector(tensor(`${p}.ln_1.bias`, d), `${p}.ln_1.bias`),
          },
          q: matrix(columns(attn, d, 3 * d, 0, d), 'kn', d, d, `${p}.q`),
          k: matrix(columns(attn, d, 3 * d, d, 2 * d), 'kn', d, d, `${p}.k`),
          v: matrix(columns(attn, d, 3 * d, 2 * d, 3 * d), 'kn', d, d, `${p}.v`),
          qBias: vector(attnBias.subarray(0, d), `${p}.q.bias`),
          kBias: vector(attnBias.subarray(d, 2 * d), `${p}.k.bias`),
          vBias: vector(attnBias.subarray(2 * d, 3 * d), `${p}.v.bias`),
          o: matrix(tensor(`${p}.attn.c_proj.weight`, d, d), 'kn', d, d, `${p}.attn.c_proj`),
          oBias: vector(tensor(`${p}.attn.c_proj.bias`, d), `${p}.attn.c_proj.bias`),
          norm2: {
            gamma: vector(tensor(`${p}.ln_2.weight`, d), `${p}.ln_2.weight`),
            beta: vector(tensor(`${p}.ln_2.bias`, d), `${p}.ln_2.bias`),
          },
          up: matrix(tensor(`${p}.mlp.c_fc.weight`, d, I), 'kn', I, d, `${p}.mlp.c_fc`),
          upBias: vector(tensor(`${p}.mlp.c_fc.bias`, I), `${p}.mlp.c_fc.bias`),
          down: matrix(tensor(`${p}.mlp.c_proj.weight`, I, d), 'kn', d, I, `${p}.mlp.c_proj`),
          downBias: vector(tensor(`${p}.mlp.c_proj.bias`, d), `${p}.mlp.c_proj.bias`),
        });
      }
      finalNorm = {
        gamma: vector(tensor('ln_f.weight', d), 'ln_f.weight'),
        beta: vector(tensor('ln_f.bias', d), 'ln_f.bias'),
      };
      head = config.tieWordEmbeddings
        ? embedding
        : matrix(tensor('lm_head.weight', config.vocabSize, d), 'nk', config.vocabSize, d, 'lm_head');
    } else {
      embedding = table(
        tensor('model.embed_tokens.weight', config.vocabSize, d),
        config.vocabSize,
        d,
        'embed_tokens',
      );
      for (let l = 0; l < config.numLayers; l++) {
        const p = `model.layers.${l}`;
        const bias = (proj: string) =>
          config.qkvBias
            ? vector(
                tensor(`${p}.self_attn.${proj}.bias`, proj === 'q_proj' ? qWidth : kvWidth),
                `${p}.${proj}.bias`,
              )
            : null;
        const gateUp = new Float32Array(2 * I * d);
        gateUp.set(tensor(`${p}.mlp.gate_proj.weight`, I, d), 0);
        gateUp.set(tensor(`${p}.mlp.up_proj.weight`, I, d), I * d);
        layers.push({
          norm1: {
            gamma: vector(tensor(`${p}.input_layernorm.weight`, d), `${p}.input_layernorm`),
            beta: null,
          },
          q: matrix(tensor(`${p}.self_attn.q_proj.weight`, qWidth, d), 'nk', qWidth, d, `${p}.q_proj`),
          k: matrix(tensor(`${p}.self_attn.k_proj.weight`, kvWidth, d), 'nk', kvWidth, d, `${p}.k_proj`),
          v: matrix(tensor(`${p}.self_attn.v_proj.weight`, kvWidth, d), 'nk', kvWidth, d, `${p}.v_proj`),
          qBias: bias('q_proj'),
          kBias: bias('k_proj'),
          vBias: bias('v_proj'),
          o: matrix(tensor(`${p}.self_attn.o_proj.weight`, d, qWidth), 'nk', d, qWidth, `${p}.o_proj`),
          oBias: null,
          norm2: {
            gamma: vector(tensor(`${p}.post_attention_layernorm.weight`, d), `${p}.post_attention_layernorm`),
            beta: null,
          },
          up: matrix(gateUp, 'nk', 2 * I, d, `${p}.gate_up`),
          upBias: null,
          down: matrix(tensor(`${p}.mlp.down_proj.weight`, d, I), 'nk', d, I, `${p}.down_proj`),
          downBias: null,
        });
      }
      finalNorm = { gamma: vector(tensor('model.norm.weight', d), 'model.norm'), beta: null };
      head = config.tieWordEmbeddings
        ? embedding
        : matrix(tensor('lm_head.weight', config.vocabSize, d), 'nk', config.vocabSize, d, 'lm_head');
    }
    const vision: VisionWeights | null = config.vision && {
      patchEmbed: matrix(
        tensor('vision.patch_embed.weight', d, config.vision.patchDim),
        'nk',
        d,
        config.vision.patchDim,
        'vision.patch_embed',
      ),
      patchBias: vector(tensor('vision.patch_embed.bias', d), 'vision.patch_embed.bias'),
      projector: matrix(tensor('vision.projector.weight', d, d), 'nk', d, d, 'vision.projector'),
      projectorBias: vector(tensor('vision.projector.bias', d), 'vision.projector.bias'),
      positions: vector(
        tensor('vision.position_embedding.weight', config.vision.numPatches, d),
        'vision.position_embedding',
      ),
    };
    const bytes =
      buffers.reduce((sum, b) => sum + b.size, 0) +
      matrices.reduce((sum, m) => sum + m.chunks.reduce((s, c) => s + c.buffer.size, 0), 0);
    return { embedding, positions, layers, finalNorm, head, vision, bytes, destroy: destroyAll };
  } catch (cause) {
    destroyAll();
    throw cause;
  }
}
