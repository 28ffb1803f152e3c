// The tensors each architecture needs, with their shapes, named as in Hugging Face checkpoints.
// The loader checks a checkpoint against this list (missing tensors, shapes that contradict
// config.json) before anything is uploaded to the GPU.
import type { ModelConfig } from '../config';

export interface TensorSpec {
  name: string;
  shape: number[];
}

/**
 * GPT-2 checkpoints store Conv1D weights as [in, out]; some prefix every name with
 * "transformer." (normalise with `canonicalTensorName`). The causal-mask buffers "h.N.attn.bias"
 * and "h.N.attn.masked_bias" of old checkpoints are ignored.
 */
function gpt2Tensors(c: ModelConfig): TensorSpec[] {
  const d = c.hiddenSize;
  const specs: TensorSpec[] = [
    { name: 'wte.weight', shape: [c.vocabSize, d] },
    { name: 'wpe.weight', shape: [c.maxPositions, d] },
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const h = `h.${i}`;
    specs.push(
      { name: `${h}.ln_1.weight`, shape: [d] },
      { name: `${h}.ln_1.bias`, shape: [d] },
      { name: `${h}.attn.c_attn.weight`, shape: [d, 3 * d] },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * d] },
      { name: `${h}.attn.c_proj.weight`, shape: [d, d] },
      { name: `${h}.attn.c_proj.bias`, shape: [d] },
      { name: `${h}.ln_2.weight`, shape: [d] },
      { name: `${h}.ln_2.bias`, shape: [d] },
      { name: `${h}.mlp.c_fc.weight`, shape: [d, c.intermediateSize] },
      { name: `${h}.mlp.c_fc.bias`, shape: [c.intermediateSize] },
      { name: `${h}.mlp.c_proj.weight`, shape: [c.intermediateSize, d] },
      { name: `${h}.mlp.c_proj.bias`, shape: [d] },
    );
  }
  specs.push({ name: 'ln_f.weight', shape: [d] }, { name: 'ln_f.bias', shape: [d] });
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, d] });
  return specs;
}

/** Llama family: nn.Linear weights are [out, in]. */
function llamaTensors(c: ModelConfig): TensorSpec[] {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  const specs: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, d] }];
  for (let i = 0; i < c.numLayers; i++) {
    const l = `model.layers.${i}`;
    specs.push(
      { name: `${l}.input_layernorm.weight`, shape: [d] },
      { name: `${l}.self_attn.q_proj.weight`, shape: [q, d] },
      { name: `${l}.self_attn.k_proj.weight`, shape: [kv, d] },
      { name: `${l}.self_attn.v_proj.weight`, shape: [kv, d] },
      { name: `${l}.self_attn.o_proj.weight`, shape: [d, q] },
      { name: `${l}.post_attention_layernorm.weight`, shape: [d] },
      { name: `${l}.mlp.gate_proj.weight`, shape: [c.intermediateSize, d] },
      { name: `${l}.mlp.up_proj.weight`, shape: [c.intermediateSize, d] },
      { name: `${l}.mlp.down_proj.weight`, shape: [d, c.intermediateSize] },
    );
    if (c.qkvBias) {
      specs.push(
        { name: `${l}.self_attn.q_proj.bias`, shape: [q] },
        { name: `${l}.self_attn.k_proj.bias`, shape: [kv] },
        { name: `${l}.self_attn.v_proj.bias`, shape: [kv] },
      );
    }
  }
  specs.push({ name: 'model.norm.weight', shape: [d] });
  if (!c.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, d] });
  return specs;
}

/**
 * The image encoder of a vision-language model (either decoder), nn.Linear layout [out, in]:
 * e_k = projector(gelu(patch_embed(p_k))) + position_embedding[k] (src/model/vision.ts).
 */
function visionTensors(c: ModelConfig): TensorSpec[] {
  if (!c.vision) return [];
  const d = c.hiddenSize;
  return [
    { name: 'vision.patch_embed.weight', shape: [d, c.vision.patchDim] },
    { name: 'vision.patch_embed.bias', shape: [d] },
    { name: 'vision.projector.weight', shape: [d, d] },
    { name: 'vision.projector.bias', shape: [d] },
    { name: 'vision.position_embedding.weight', shape: [c.vision.numPatches, d] },
  ];
}

export function expectedTensors(config: ModelConfig): TensorSpec[] {
  const decoder = config.architecture === 'gpt2' ? gpt2Tensors(config) : llamaTensors(config);
  return [...decoder, ...visionTensors(config)];
}

/** Checkpoint names that carry no weights we use (GPT-2's stored causal masks, old RoPE tables). */
export function isIgnoredTensor(name: string): boolean {
  const canonical = canonicalTensorName(name);
  return /(^|\.)attn\.(masked_)?bias$/.test(canonical) || /\.rotary_emb\.inv_freq$/.test(canonical);
}

/** Strips the "transformer." prefix some GPT-2 checkpoints use. */
export function canonicalTensorName(name: string): string {
  return name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
}

export function parameterCount(config: ModelConfig): number {
  return expectedTensors(config).reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
}
