// The model pairs of the speculative bench (./bench.ts):
// - the committed Shapes expert and draft (public/models/shapes-expert, shapes-draft), loaded from
//   the bench page's server through the app's loader, tokenizer hashes and all;
// - random-init targets that cost well over 8x their draft per token, with their own first layer
//   (embedding, layer 0, final norm, head) as the draft: a self-speculative draft, as in Draft &
//   Verify (Zhang et al., 2023) and LayerSkip (Elhoushi et al., 2024). Random layers would rewrite
//   the residual stream completely, which trained models do not do, so the layers after the first
//   write small updates (o_proj and down_proj scaled by residualScale), chosen so acceptance lands
//   near the Shapes pair's: a stand-in for a trained pair's agreement. Latency pairs, not quality
//   claims. Two shapes (RANDOM_PAIRS): "wide" (12 layers, d = 384), whose cost on SwiftShader is
//   arithmetic, and "deep" (24 layers, d = 64), whose cost is per-dispatch latency.
import type { Gpu } from '../gpu/runtime';
import { parseModelConfig } from '../model/config';
import { WgslModel } from '../model/engine/model';
import type { LanguageModel } from '../model/interface';
import { loadModelFolder, urlSource } from '../model/loading';
import { randomWeights, tinyLlamaConfigJson } from '../model/reference/tiny';
import { TextTokenizer } from '../model/tokenizer';

export interface BenchPair {
  target: LanguageModel;
  draft: LanguageModel;
  prompt: number[];
  eosTokenIds: number[];
  dispose(): void;
}

async function loadDefault(gpu: Gpu, folder: string) {
  const loaded = await loadModelFolder(urlSource(`${location.origin}/models/${folder}/`, { cache: null }));
  const model = await WgslModel.create(
    gpu,
    loaded.config,
    { get: (name) => loaded.tensors.get(name)!.toFloat32() },
    { name: folder, fileHashes: loaded.fileHashes },
  );
  return { model, loaded };
}

/** The Shapes expert (target) and draft; the prompt is BOS + "the picture shows". */
export async function shapesPair(gpu: Gpu): Promise<BenchPair> {
  const expert = await loadDefault(gpu, 'shapes-expert');
  const draft = await loadDefault(gpu, 'shapes-draft');
  const tokenizer = TextTokenizer.fromJson(expert.loaded.tokenizerJson, expert.loaded.tokenizerConfig);
  const bos = tokenizer.bosTokenId;
  return {
    target: expert.model,
    draft: draft.model,
    prompt: [...(bos === null ? [] : [bos]), ...tokenizer.encode('the picture shows')],
    eosTokenIds: tokenizer.eosTokenIds,
    dispose: () => (expert.model.dispose(), draft.model.dispose()),
  };
}

/** A random target's shape and the two knobs that set how much its later layers change. */
export interface RandomPairSpec {
  name: string;
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  /** Scale of o_proj and down_proj in layers 1.. (their residual updates). */
  residualScale: number;
  /** Scale of the (untied) head: larger gives peakier next-token distributions. */
  headScale: number;
}

/**
 * Wide: per-token cost is arithmetic (on SwiftShader a CPU does it), so scoring K + 1 tokens costs
 * several times one. Deep-narrow: per-token cost is mostly per-dispatch latency, as a real GPU's
 * decoding is mostly memory latency, so scoring K + 1 tokens costs about one.
 */
export const RANDOM_PAIRS = {
  wide: {
    name: 'random-12L-d384',
    layers: 12,
    hidden: 384,
    intermediate: 1024,
    heads: 6,
    kvHeads: 2,
    residualScale: 0.05,
    headScale: 3,
  },
  deep: {
    name: 'random-24L-d64',
    layers: 24,
    hidden: 64,
    intermediate: 176,
    heads: 4,
    kvHeads: 2,
    residualScale: 0.04,
    headScale: 3,
  },
} satisfies Record<string, RandomPairSpec>;

const RANDOM_VOCAB = 512;

function randomConfigJson(spec: RandomPairSpec, layers: number): Record<string, unknown> {
  return tinyLlamaConfigJson({
    vocab_size: RANDOM_VOCAB,
    hidden_size: spec.hidden,
    intermediate_size: spec.intermediate,
    num_hidden_layers: layers,
    num_attention_heads: spec.heads,
    num_key_value_heads: spec.kvHeads,
    max_position_embeddings: 128,
    tie_word_embeddings: false,
    bos_token_id: 0,
    eos_token_id: 1,
  });
}

/** The random target and its first layer (with its embedding, final norm and head) as the draft. */
export async function randomPair(gpu: Gpu, spec: RandomPairSpec): Promise<BenchPair> {
  const targetConfig = parseModelConfig(randomConfigJson(spec, spec.layers));
  const draftConfig = parseModelConfig(randomConfigJson(spec, 1));
  const weights = randomWeights(targetConfig, 21);
  for (const [name, values] of weights) {
    const layer = /^model\.layers\.(\d+)\.(self_attn\.o_proj|mlp\.down_proj)\.weight$/.exec(name);
    const scale =
      layer && Number(layer[1]) > 0 ? spec.residualScale : name === 'lm_head.weight' ? spec.headScale : 1;
    if (scale !== 1) values.forEach((v, i) => (values[i] = v * scale));
  }
  const meta = { fileHashes: { 'tokenizer.json': 'random-pair' }, weightDtype: 'f32' as const };
  const target = await WgslModel.create(gpu, targetConfig, { get: (n) => weights.get(n)! }, { ...meta, name: spec.name }); // prettier-ignore
  const draft = await WgslModel.create(gpu, draftConfig, { get: (n) => weights.get(n)! }, { ...meta, name: `${spec.name}:layer-0` }); // prettier-ignore
  return {
    target,
    draft,
    prompt: [0, 17, 42, 99, 7, 256],
    eosTokenIds: [],
    dispose: () => (target.dispose(), draft.dispose()),
  };
}

export interface PairCosts {
  /** Median ms of one target decode step, of one draft step, and of the target scoring K + 1 tokens. */
  targetStepMs: number;
  draftStepMs: number;
  verifyMs: number;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/**
 * Per-token costs of a pair, measured interleaved (target step, draft step, target over K + 1
 * tokens with logits 'all') so background load hits all three alike; each forward is awaited with
 * onSubmittedWorkDone after a 16-token context, and the caches are truncated back after each.
 */
export async function measureCosts(
  gpu: Gpu,
  pair: BenchPair,
  draftLength: number,
  reps = 9,
): Promise<PairCosts> {
  const context = Array.from({ length: 16 }, (_, i) => (i * 37 + 5) % pair.target.info.config.vocabSize);
  const samples = { targetStepMs: [] as number[], draftStepMs: [] as number[], verifyMs: [] as number[] };
  const sequences = new Map<LanguageModel, number>();
  for (const model of [pair.target, pair.draft]) {
    const sequence = model.createSequence();
    sequences.set(model, sequence);
    await model.forward({ sequences: [{ sequence, tokens: context }] });
  }
  const time = async (model: LanguageModel, tokens: number, into: number[]) => {
    const sequence = sequences.get(model)!;
    const start = performance.now();
    await model.forward({ sequences: [{ sequence, tokens: context.slice(0, tokens) }], logits: 'all' });
    await gpu.device.queue.onSubmittedWorkDone();
    into.push(performance.now() - start);
    model.truncate(sequence, context.length);
  };
  try {
    for (let i = 0; i < reps + 1; i++) {
      await time(pair.target, 1, samples.targetStepMs);
      await time(pair.draft, 1, samples.draftStepMs);
      await time(pair.target, draftLength + 1, samples.verifyMs);
    }
  } finally {
    for (const [model, sequence] of sequences) model.releaseSequence(sequence);
  }
  // The first of each compiles or warms up.
  return {
    targetStepMs: median(samples.targetStepMs.slice(1)),
    draftStepMs: median(samples.draftStepMs.slice(1)),
    verifyMs: median(samples.verifyMs.slice(1)),
  };
}
