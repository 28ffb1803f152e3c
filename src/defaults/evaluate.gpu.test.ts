// The evaluation numbers of the Shapes default models, on tiny random models with the Shapes
// vocabulary (62 tokens; the VLM reads 48 x 48 images in 8 x 8 patches, 36 placeholders):
// POPE and CHAIR equal the metrics of the CPU reference model's greedy answers and captions; a
// VLM rigged to say "yes" has yes-ratio 1 and recall 1; perplexity equals exp of the reference
// mean NLL; draft agreement is 1 for a model with itself and matches a CPU computation from the
// full logits (read back here only; the evaluation reads a few floats per position).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFloat32 } from '../gpu/readback';
import type { Gpu } from '../gpu/runtime';
import { argmax, logSoftmax, totalVariation } from '../kernels/divergence/reference';
import { parseModelConfig } from '../model/config';
import { WgslModel } from '../model/engine/model';
import { ReferenceModel } from '../model/reference/forward';
import { referenceObjective } from '../model/reference/backward';
import {
  tinyGpt2ConfigJson,
  tinyLlamaConfigJson,
  tinyModel,
  tinyVlmConfigJson,
} from '../model/reference/tiny';
import { testGpu } from '../testing/gpu';
import {
  chairMetrics,
  DEFAULT_WORLD,
  imageToFloat32,
  POPE_SPLITS,
  popeBenchmark,
  popeMetrics,
  rasterize,
  SHAPES_VOCABULARY,
  tokenId,
} from '../world';
import { CAPTION_PROMPT, packBatch, vlmPrompt } from './data';
import {
  draftAgreement,
  evaluateChair,
  evaluatePope,
  heldOutCaptions,
  heldOutPerplexity,
  heldOutScenes,
  POPE_ANSWER_TOKENS,
  POPE_KEY_OFFSET,
  trainingStatistics,
} from './evaluate';
import { idsToText } from './evaluate-data';
import { EVAL_SEED, TRAIN_SEED } from './recipes';

const BOS = tokenId('<bos>')!;
const EOS = tokenId('<eos>')!;
const IMAGE = tokenId('<image>')!;
const YES = tokenId('yes')!;
const VOCAB = SHAPES_VOCABULARY.length;
const SEED = EVAL_SEED;

const shapesIds = { vocab_size: VOCAB, bos_token_id: BOS, eos_token_id: EOS };
const vlmConfig = tinyVlmConfigJson({
  ...shapesIds,
  vision_config: { image_size: 48, patch_size: 8, num_channels: 3 },
  image_token_id: IMAGE,
});

type Weights = Map<string, Float32Array>;

let gpu: Gpu;
const models: WgslModel[] = [];

/** A tiny random model (f32 weights, optionally edited) on the GPU, with its CPU reference. */
async function createModel(configJson: Record<string, unknown>, seed: number, edit?: (w: Weights) => void) {
  const { weights } = tinyModel(configJson, seed);
  edit?.(weights);
  const config = parseModelConfig(configJson);
  const source = {
    get(name: string) {
      const tensor = weights.get(name);
      if (!tensor) throw new Error(`missing ${name}`);
      return tensor;
    },
  };
  const model = await WgslModel.create(gpu, config, source, { name: `tiny-${seed}`, weightDtype: 'f32' });
  models.push(model);
  return { model, config, weights, reference: new ReferenceModel(config, weights) };
}

/**
 * Rigs a Llama decoder to answer "yes" at every text position: residual dimension 0 holds the
 * token embedding's 100 (no attention or MLP output writes it), the final norm keeps only it, and
 * the head maps it to "yes" alone, so l(yes) > 0 = l(anything else).
 */
function alwaysYes(weights: Weights): void {
  const embedding = weights.get('model.embed_tokens.weight')!;
  const d = embedding.length / VOCAB;
  for (let v = 0; v < VOCAB; v++) embedding[v * d] = 100;
  for (const [name, w] of weights) {
    if (/(o_proj|down_proj)\.weight$/.test(name)) w.fill(0, 0, w.length / d); // output row 0
  }
  weights.get('model.norm.weight')!.fill(0).fill(1, 0, 1);
  weights.get('lm_head.weight')!.fill(0)[YES * d] = 10;
}

/** Greedy ids from the CPU reference: at most maxTokens, ending after <eos>. */
function referenceGreedy(
  reference: ReferenceModel,
  prompt: readonly number[],
  image: Float32Array | undefined,
  maxTokens: number,
): number[] {
  const sequence = reference.createSequence();
  try {
    const out: number[] = [];
    let tokens = prompt;
    while (out.length < maxTokens) {
      const first = out.length === 0 && image !== undefined;
      const { logits } = reference.forward({
        sequences: [first ? { sequence, tokens, image } : { sequence, tokens }],
        logits: 'last',
      });
      const id = argmax(logits[0]);
      out.push(id);
      if (id === EOS) break;
      tokens = [id];
    }
    return out;
  } finally {
    reference.releaseSequence(sequence);
  }
}

beforeAll(async () => {
  gpu = await testGpu();
});

afterAll(() => {
  for (const model of models) model.dispose();
  expect(gpu.takeUncapturedErrors()).toEqual([]);
});

describe('evaluatePope', () => {
  it('equals popeMetrics of the reference model greedy answers, on every split', async ({ annotate }) => {
    const { model, reference } = await createModel(vlmConfig, 3);
    const scenes = 3;
    const start = performance.now();
    const result = await evaluatePope(gpu, model, { scenes, seed: SEED });
    const seconds = (performance.now() - start) / 1000;
    const sceneList = heldOutScenes(DEFAULT_WORLD, SEED, scenes);
    const statistics = trainingStatistics(DEFAULT_WORLD, TRAIN_SEED);
    const images = sceneList.map((s) => imageToFloat32(rasterize(s)));
    const answers = new Map<string, string>();
    let total = 0;
    for (const split of POPE_SPLITS) {
      const questions = popeBenchmark(sceneList, split, statistics, SEED + POPE_KEY_OFFSET);
      const said = questions.map((q) => {
        const key = `${q.sceneIndex}|${q.question}`;
        if (!answers.has(key)) {
          const prompt = vlmPrompt(36, q.question);
          answers.set(
            key,
            idsToText(referenceGreedy(reference, prompt, images[q.sceneIndex], POPE_ANSWER_TOKENS)),
          );
        }
        return answers.get(key)!;
      });
      const labels = questions.map((q) => q.answer);
      expect(result[split]).toEqual({ ...popeMetrics(said, labels), questions: questions.length });
      // Balanced: as many yes-questions as no-questions, up to 3 of each per scene.
      expect(labels.filter((l) => l === 'yes').length * 2).toBe(questions.length);
      expect(questions.length).toBeLessThanOrEqual(6 * scenes);
      total += questions.length;
    }
    await annotate(
      `POPE: ${total} questions (${answers.size} distinct) on 3 scenes in ${seconds.toFixed(2)} s ` +
        `(tiny VLM d=32, 2 layers, 36 patches; includes 10,000 statistics scenes)`,
    );
  });

  it('a VLM rigged to say "yes" gets yes-ratio 1, recall 1 and precision 1/2', async () => {
    const { model } = await createModel(vlmConfig, 4, alwaysYes);
    const result = await evaluatePope(gpu, model, { scenes: 4, seed: SEED });
    for (const split of POPE_SPLITS) {
      const r = result[split];
      expect(r.questions).toBe(r.count);
      expect(r.questions).toBeGreaterThan(0);
      expect(r).toMatchObject({ yesRatio: 1, recall: 1, precision: 0.5, accuracy: 0.5, unparsed: 0 });
      expect(r.f1).toBeCloseTo(2 / 3, 12);
    }
  });

  it('rejects bad options and models that are not Shapes VLMs, naming the value', async () => {
    const { model: vlm } = await createModel(vlmConfig, 5);
    const { model: text } = await createModel(tinyLlamaConfigJson(shapesIds), 5);
    await expect(evaluatePope(gpu, vlm, { scenes: 0, seed: SEED })).rejects.toThrow(
      /scenes must be .* got 0/,
    );
    await expect(evaluatePope(gpu, vlm, { scenes: 2.5, seed: SEED })).rejects.toThrow(/got 2.5/);
    await expect(evaluatePope(gpu, vlm, { scenes: 1, seed: -1 })).rejects.toThrow(/seed .* got -1/);
    for (const seed of [TRAIN_SEED, TRAIN_SEED + 1, TRAIN_SEED - 1]) {
      await expect(evaluatePope(gpu, vlm, { scenes: 1, seed })).rejects.toThrow(
        new RegExp(`evaluation seed ${seed} would draw from the keys training seed ${TRAIN_SEED} uses`),
      );
    }
    const trainingSeed = 0.5;
    await expect(evaluatePope(gpu, vlm, { scenes: 1, seed: SEED, trainingSeed })).rejects.toThrow(
      /trainingSeed must be .* got 0.5/,
    );
    await expect(evaluatePope(gpu, text, { scenes: 1, seed: SEED })).rejects.toThrow(/no vision_config/);
    const options = { scenes: 1, seed: SEED, maxTokens: 0 };
    await expect(evaluateChair(gpu, vlm, options)).rejects.toThrow(/maxTokens must be .* got 0/);
  });
});

describe('evaluateChair', () => {
  it('equals chairMetrics of the reference model greedy captions', async ({ annotate }) => {
    const { model, reference } = await createModel(vlmConfig, 6);
    const maxTokens = 6;
    const start = performance.now();
    const result = await evaluateChair(gpu, model, { scenes: 3, seed: SEED, maxTokens });
    const seconds = (performance.now() - start) / 1000;
    const scenes = heldOutScenes(DEFAULT_WORLD, SEED, 3);
    const captions = scenes.map((scene) =>
      idsToText(
        referenceGreedy(
          reference,
          vlmPrompt(36, CAPTION_PROMPT),
          imageToFloat32(rasterize(scene)),
          maxTokens,
        ),
      ),
    );
    expect(result.examples).toEqual(scenes.map((scene, i) => ({ scene, caption: captions[i] })));
    expect(result).toMatchObject(chairMetrics(captions, scenes));
    expect(result.captions).toBe(3);
    await annotate(`CHAIR: 3 captions of up to ${maxTokens} tokens in ${seconds.toFixed(2)} s (tiny VLM)`);
  });

  it('stops at maxTokens; a caption naming no shape hallucinates none', async () => {
    const { model } = await createModel(vlmConfig, 7, alwaysYes);
    const result = await evaluateChair(gpu, model, { scenes: 2, seed: SEED, maxTokens: 5 });
    expect(result.examples.map((e) => e.caption)).toEqual(['yes yes yes yes yes', 'yes yes yes yes yes']);
    expect(result).toMatchObject({ captions: 2, chairI: 0, chairS: 0, mentioned: 0, meanLength: 5 });
  });
});

describe('heldOutPerplexity', () => {
  it.each([
    ['llama', tinyLlamaConfigJson(shapesIds)],
    ['gpt2', tinyGpt2ConfigJson(shapesIds)],
  ])('%s: exp of the reference mean NLL over 40 captions (two batches)', async (_, configJson) => {
    const { model, config, weights } = await createModel(configJson, 8);
    const perplexity = await heldOutPerplexity(gpu, model, { captions: 40, seed: SEED });
    const batch = packBatch(heldOutCaptions(SEED, 40));
    const { objective } = referenceObjective(config, weights, batch, batch.mask);
    const predicted = batch.mask.reduce((a, b) => a + b, 0);
    const expected = Math.exp(-objective / predicted);
    expect(Math.abs(perplexity - expected) / expected).toBeLessThan(1e-4);
    expect(perplexity).toBeGreaterThan(1);
  });

  it('rejects bad counts and models without the Shapes vocabulary', async () => {
    const { model } = await createModel(tinyLlamaConfigJson(shapesIds), 9);
    const { model: small } = await createModel(tinyGpt2ConfigJson(), 9);
    await expect(heldOutPerplexity(gpu, model, { captions: 0, seed: SEED })).rejects.toThrow(
      /captions .* got 0/,
    );
    await expect(heldOutPerplexity(gpu, small, { captions: 1, seed: SEED })).rejects.toThrow(/vocab_size 61/);
  });
});

describe('draftAgreement', () => {
  /** Greedy agreement, mean 1 - TV and mean p(argmax q) from every logits row, on the CPU. */
  async function cpuAgreement(draft: WgslModel, expert: WgslModel, captions: number) {
    let agreed = 0;
    let acceptance = 0;
    let greedyDraft = 0;
    let positions = 0;
    for (const example of heldOutCaptions(SEED, captions)) {
      const tokens = example.tokens.slice(0, -1);
      const rows: Float32Array[][] = [];
      for (const model of [expert, draft]) {
        const sequence = model.createSequence();
        const { logits } = await model.forward({ sequences: [{ sequence, tokens }], logits: 'all' });
        const data = await readFloat32(gpu, logits, tokens.length * VOCAB);
        model.releaseSequence(sequence);
        rows.push(tokens.map((_, t) => data.subarray(t * VOCAB, (t + 1) * VOCAB)));
      }
      tokens.forEach((_, t) => {
        const [p, q] = [rows[0][t], rows[1][t]];
        if (argmax(p) === argmax(q)) agreed++;
        acceptance += 1 - totalVariation(p, q);
        greedyDraft += Math.exp(logSoftmax(p)[argmax(q)]);
        positions++;
      });
    }
    return { agreed, positions, acceptance: acceptance / positions, greedyDraft: greedyDraft / positions };
  }

  it('is 1 for a model drafting for itself', async () => {
    const { model } = await createModel(tinyLlamaConfigJson(shapesIds), 10);
    const result = await draftAgreement(gpu, model, model, { captions: 6, seed: SEED });
    const positions = heldOutCaptions(SEED, 6).reduce((n, e) => n + e.tokens.length - 1, 0);
    expect(result).toMatchObject({ greedyAgreement: 1, acceptanceRate: 1, positions });
    expect(result.greedyDraftAcceptance).toBeLessThan(1);
  });

  const sharper = (w: Weights) => {
    const head = w.get('lm_head.weight')!;
    head.forEach((x, i) => (head[i] = 1.5 * x));
  };
  it.for<[string, number, ((w: Weights) => void) | undefined]>([
    ['two random models', 14, undefined],
    ['a sharper copy (same argmax, TV > 0)', 12, sharper],
  ])('matches the CPU computation from full logits: %s', async ([name, draftSeed, edit], { annotate }) => {
    const { model: expert } = await createModel(tinyLlamaConfigJson(shapesIds), 12);
    const { model: draft } = await createModel(tinyLlamaConfigJson(shapesIds), draftSeed, edit);
    const start = performance.now();
    const result = await draftAgreement(gpu, draft, expert, { captions: 40, seed: SEED });
    const seconds = (performance.now() - start) / 1000;
    const cpu = await cpuAgreement(draft, expert, 40);
    expect(result.positions).toBe(cpu.positions);
    expect(result.greedyAgreement).toBe(cpu.agreed / cpu.positions);
    expect(result.acceptanceRate).toBeCloseTo(cpu.acceptance, 5);
    expect(result.greedyDraftAcceptance).toBeCloseTo(cpu.greedyDraft, 5);
    expect(result.acceptanceRate).toBeLessThan(1);
    if (name.startsWith('a sharper')) expect(result.greedyAgreement).toBe(1);
    await annotate(
      `draft agreement: ${result.positions} positions (40 captions, 2 models) in ${seconds.toFixed(2)} s`,
    );
  });

  it('rejects a draft whose vocabulary differs from the expert', async () => {
    const { model: expert } = await createModel(tinyLlamaConfigJson(shapesIds), 13);
    const { model: draft } = await createModel(tinyLlamaConfigJson({ ...shapesIds, vocab_size: 64 }), 13);
    await expect(draftAgreement(gpu, draft, expert, { captions: 1, seed: SEED })).rejects.toThrow(
      /vocab_size 64 but the expert .* has 62/,
    );
  });
});
