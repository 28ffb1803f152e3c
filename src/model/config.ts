// The normalised model configuration every part of the engine uses, parsed from a Hugging Face
// `config.json`. Architectures: GPT-2 (gpt2, distilgpt2) and the Llama family (llama, qwen2,
// mistral-style configs: RMSNorm, RoPE, SwiGLU, grouped-query attention). Either decoder may carry
// a `vision_config` (LogitLab's tiny vision-language models: image patches -> a two-layer MLP ->
// the embedding rows of image placeholder tokens; see src/model/vision.ts).

export type Architecture = 'gpt2' | 'llama';

export interface ModelConfig {
  architecture: Architecture;
  /** `model_type` as written in config.json (gpt2, llama, qwen2, mistral, ...). */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads (grouped-query attention); equals numHeads for GPT-2. */
  numKeyValueHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  /** LayerNorm epsilon (GPT-2) or RMSNorm epsilon (Llama). */
  normEps: number;
  /** RoPE base (Llama family); null for learned positions (GPT-2). */
  ropeTheta: number | null;
  tieWordEmbeddings: boolean;
  /** Biases on the q/k/v projections (GPT-2 and Qwen2: yes; Llama: attention_bias). */
  qkvBias: boolean;
  /** Bias on the attention output projection and the MLP (GPT-2: yes; Llama family: no). */
  outputBias: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** The image encoder of a vision-language model; null for text-only models. */
  vision: VisionConfig | null;
}

/**
 * From config.json's `"vision_config": { "image_size", "patch_size", "num_channels" }` and the
 * top-level `"image_token_id"`. Images are square, HWC, f32 (values expected in [0, 1]).
 */
export interface VisionConfig {
  /** Square RGB images of imageSize x imageSize pixels. */
  imageSize: number;
  /** Side of a square patch; divides imageSize. */
  patchSize: number;
  channels: number;
  /** (imageSize / patchSize)^2 */
  numPatches: number;
  /** patchSize * patchSize * channels */
  patchDim: number;
  /** The placeholder token: the k-th placeholder of a sequence's new tokens gets patch k's embedding. */
  imageTokenId: number;
}

export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

type Json = Record<string, unknown>;

function positiveInt(json: Json, keys: string[], file: string, fallback?: number): number {
  for (const key of keys) {
    const value = json[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ModelConfigError(
        `${file}: "${key}" must be a positive integer, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  }
  if (fallback !== undefined) return fallback;
  throw new ModelConfigError(
    `${file}: missing "${keys[0]}"${keys.length > 1 ? ` (or ${keys.slice(1).join(', ')})` : ''}`,
  );
}

function positiveNumber(json: Json, key: string, file: string, fallback: number): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new ModelConfigError(`${file}: "${key}" must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function tokenIds(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (Array.isArray(value))
    return value.filter((v): v is number => typeof v === 'number' && Number.isInteger(v));
  return [];
}

/** `vision_config` + `image_token_id`, or null when config.json has no vision_config. */
function parseVisionConfig(c: Json, vocabSize: number, file: string): VisionConfig | null {
  const raw = c.vision_config;
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ModelConfigError(`${file}: "vision_config" must be an object, got ${JSON.stringify(raw)}`);
  }
  const where = `${file} (vision_config)`;
  const v = raw as Json;
  const imageSize = positiveInt(v, ['image_size'], where);
  const patchSize = positiveInt(v, ['patch_size'], where);
  const channels = positiveInt(v, ['num_channels'], where, 3);
  if (imageSize % patchSize !== 0) {
    throw new ModelConfigError(
      `${where}: "patch_size" ${patchSize} does not divide "image_size" ${imageSize}; images are cut into whole patches`,
    );
  }
  const imageTokenId = c.image_token_id;
  if (imageTokenId === undefined || imageTokenId === null) {
    throw new ModelConfigError(
      `${file}: missing "image_token_id" (the placeholder token whose embedding rows the image patches replace); ` +
        'a config with "vision_config" needs one',
    );
  }
  if (typeof imageTokenId !== 'number' || !Number.isInteger(imageTokenId) || imageTokenId < 0) {
    throw new ModelConfigError(
      `${file}: "image_token_id" must be a non-negative integer, got ${JSON.stringify(imageTokenId)}`,
    );
  }
  if (imageTokenId >= vocabSize) {
    throw new ModelConfigError(
      `${file}: "image_token_id" ${imageTokenId} is outside the vocabulary (vocab_size ${vocabSize})`,
    );
  }
  const side = imageSize / patchSize;
  return {
    imageSize,
    patchSize,
    channels,
    numPatches: side * side,
    patchDim: patchSize * patchSize * channels,
    imageTokenId,
  };
}

const LLAMA_FAMILY = new Set(['llama', 'qwen2', 'mistral']);
const GPT2_ACTIVATIONS = new Set(['gelu_new', 'gelu_pytorch_tanh']);

/** Parses config.json; errors name the file and the key. */
export function parseModelConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelConfigError(`${file}: expected a JSON object`);
  }
  const c = json as Json;
  const modelType = typeof c.model_type === 'string' ? c.model_type : '';
  const eosTokenIds = tokenIds(c.eos_token_id);
  const bosTokenId = tokenIds(c.bos_token_id)[0] ?? null;
  if (modelType === 'gpt2') {
    const activation = c.activation_function ?? 'gelu_new';
    if (typeof activation !== 'string' || !GPT2_ACTIVATIONS.has(activation)) {
      throw new ModelConfigError(
        `${file}: activation_function ${JSON.stringify(activation)} is not supported (gelu_new, the tanh approximation, only)`,
      );
    }
    if (
      c.scale_attn_by_inverse_layer_idx === true ||
      c.scale_attn_weights === false ||
      c.reorder_and_upcast_attn === true
    ) {
      throw new ModelConfigError(
        `${file}: non-default GPT-2 attention scaling (scale_attn_by_inverse_layer_idx, scale_attn_weights, reorder_and_upcast_attn) is not supported`,
      );
    }
    const hiddenSize = positiveInt(c, ['n_embd', 'hidden_size'], file);
    const numHeads = positiveInt(c, ['n_head', 'num_attention_heads'], file);
    if (hiddenSize % numHeads !== 0) {
      throw new ModelConfigError(`${file}: n_embd ${hiddenSize} is not divisible by n_head ${numHeads}`);
    }
    const vocabSize = positiveInt(c, ['vocab_size'], file);
    return {
      architecture: 'gpt2',
      modelType,
      vocabSize,
      hiddenSize,
      numLayers: positiveInt(c, ['n_layer', 'num_hidden_layers'], file),
      numHeads,
      numKeyValueHeads: numHeads,
      headDim: hiddenSize / numHeads,
      intermediateSize: positiveInt(c, ['n_inner'], file, 4 * hiddenSize),
      maxPositions: positiveInt(c, ['n_positions', 'n_ctx', 'max_position_embeddings'], file),
      normEps: positiveNumber(c, 'layer_norm_epsilon', file, 1e-5),
      ropeTheta: null,
      tieWordEmbeddings: c.tie_word_embeddings !== false,
      qkvBias: true,
      outputBias: true,
      bosTokenId,
      eosTokenIds,
      vision: parseVisionConfig(c, vocabSize, file),
    };
  }
  if (LLAMA_FAMILY.has(modelType)) {
    const hiddenSize = positiveInt(c, ['hidden_size'], file);
    const numHeads = positiveInt(c, ['num_attention_heads'], file);
    const numKeyValueHeads = positiveInt(c, ['num_key_value_heads'], file, numHeads);
    if (c.head_dim === undefined && hiddenSize % numHeads !== 0) {
      throw new ModelConfigError(
        `${file}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`,
      );
    }
    // These change the computation; refuse rather than run a different model.
    if (modelType !== 'qwen2' && c.attention_bias === true) {
      throw new ModelConfigError(
        `${file}: attention_bias true (a bias on o_proj too) is not supported yet for ${modelType}`,
      );
    }
    if (c.mlp_bias === true) throw new ModelConfigError(`${file}: mlp_bias true is not supported yet`);
    if (c.use_sliding_window === true) {
      throw new ModelConfigError(
        `${file}: use_sliding_window true (sliding-window attention) is not supported yet`,
      );
    }
    if (numHeads % numKeyValueHeads !== 0) {
      throw new ModelConfigError(
        `${file}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKeyValueHeads}`,
      );
    }
    const headDim = positiveInt(c, ['head_dim'], file, hiddenSize / numHeads);
    if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
      throw new ModelConfigError(`${file}: head dimension ${headDim} must be an even integer for RoPE`);
    }
    const act = c.hidden_act ?? 'silu';
    if (act !== 'silu')
      throw new ModelConfigError(`${file}: hidden_act "${String(act)}" is not supported (silu only)`);
    if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
      throw new ModelConfigError(
        `${file}: rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported yet`,
      );
    }
    const vocabSize = positiveInt(c, ['vocab_size'], file);
    return {
      architecture: 'llama',
      modelType,
      vocabSize,
      hiddenSize,
      numLayers: positiveInt(c, ['num_hidden_layers'], file),
      numHeads,
      numKeyValueHeads,
      headDim,
      intermediateSize: positiveInt(c, ['intermediate_size'], file),
      // Within a sliding window, full causal attention is the same computation.
      maxPositions: Math.min(
        positiveInt(c, ['max_position_embeddings'], file),
        modelType === 'mistral' && typeof c.sliding_window === 'number' ? c.sliding_window : Infinity,
      ),
      normEps: positiveNumber(c, 'rms_norm_eps', file, 1e-6),
      ropeTheta: positiveNumber(c, 'rope_theta', file, 10000),
      tieWordEmbeddings: c.tie_word_embeddings === true,
      qkvBias: modelType === 'qwen2',
      outputBias: false,
      bosTokenId,
      eosTokenIds,
      vision: parseVisionConfig(c, vocabSize, file),
    };
  }
  throw new ModelConfigError(
    `${file}: model_type "${modelType || '(missing)'}" is not supported; LogitLab's engine runs gpt2 and the ` +
      `Llama family (${[...LLAMA_FAMILY].join(', ')}). Larger or other models can run through the ONNX backend.`,
  );
}
