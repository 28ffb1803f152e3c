// Shared harness of the methods' GPU formula tests: tiny seeded models on the WGSL engine beside
// the CPU ReferenceModel on the same weights, a session run on the GPU, and a step-by-step CPU
// replay of every component through the reference, combined with the paper's formula written out
// in each test. Checked per step: the combined top-10 and chosen token against the formula, every
// component's top-10, chosen probability and rank, the plausible-set size, and KL/JS to the base.
import { expect } from 'vitest';
import { rowDivergence } from '../../kernels/divergence/reference';
import { loadTinyModel } from '../../model/engine/testing';
import { TINY_VOCAB, tinyTokenizerJson } from '../../model/loading/fixtures/tinyModels';
import { tinyImage, tinyLlamaConfigJson, tinyVlmConfigJson } from '../../model/reference/tiny';
import { TextTokenizer } from '../../model/tokenizer';
import type { Experiment, LaneConfig, MethodConfig, SamplingConfig } from '../../share/experiment';
import { defaultSampling } from '../../share/methods';
import type { LaneTrace } from '../../share/trace';
import { DecodeSession, componentPromptIds } from '../lanes';

export const SEED = 11;
export const tokenizer = TextTokenizer.fromJson(tinyTokenizerJson(), { bos_token: '<s>', eos_token: '</s>' });
const VOCAB = TINY_VOCAB.length + 1; // + the image token (unknown to the tokenizer)

export type Harness = Awaited<ReturnType<typeof harness>>;

/** The tiny VLM (main) and, for CD, two tiny Llamas (expert, amateur) with different weights. */
export async function harness(kind: 'vlm' | 'text') {
  const main = await loadTinyModel(
    kind === 'vlm' ? tinyVlmConfigJson({ vocab_size: VOCAB }) : tinyLlamaConfigJson({ vocab_size: VOCAB }),
    3,
  );
  const amateur = kind === 'text' ? await loadTinyModel(tinyLlamaConfigJson({ vocab_size: VOCAB }), 4) : null;
  const vision = main.config.vision;
  const image = vision ? tinyImage(vision, 5) : null;
  const prompt = 'the cat sat';

  async function run(lanes: LaneConfig[], maxTokens = 4): Promise<LaneTrace[]> {
    const experiment: Experiment = {
      version: 1,
      models: {
        main: { source: 'default', id: 'tiny-main', sha256: {} },
        ...(amateur ? { amateur: { source: 'default' as const, id: 'tiny-amateur', sha256: {} } } : {}),
      },
      prompt,
      image: image ? { kind: 'scene', seed: 1, index: 0 } : null,
      seed: SEED,
      maxTokens,
      lanes,
    };
    const session = await DecodeSession.create({
      gpu: main.gpu,
      models: { main: main.model, ...(amateur ? { amateur: amateur.model } : {}) },
      tokenizer,
      experiment,
      image,
      eosTokenIds: [],
    });
    try {
      await session.run();
      return session.laneTraces();
    } finally {
      session.dispose();
    }
  }

  /** Prompt ids of a component (the text, with the image placeholders when it has an image). */
  const ids = (text: string, withImage: boolean) =>
    componentPromptIds(tokenizer, main.config, 'tiny', text, withImage);

  return {
    main,
    amateur,
    image,
    prompt,
    run,
    ids,
    dispose: () => (main.model.dispose(), amateur?.model.dispose()),
  };
}

/** One component to replay on the CPU. */
export interface ReplayInput {
  model: 'main' | 'amateur';
  ids: number[];
  image: Float32Array | null;
}

/** The reference logits of every component at every step of `tokens` ([step][component]). */
export function replay(
  h: Harness,
  inputs: readonly ReplayInput[],
  tokens: readonly number[],
): Float32Array[][] {
  const sequences = inputs.map((input) => {
    const reference = (input.model === 'main' ? h.main : h.amateur!).reference;
    return { reference, sequence: reference.createSequence() };
  });
  const rows: Float32Array[][] = [];
  for (let step = 0; step < tokens.length; step++) {
    rows.push(
      inputs.map((input, j) => {
        const { reference, sequence } = sequences[j];
        const request =
          step === 0
            ? { sequence, tokens: input.ids, ...(input.image ? { image: input.image } : {}) }
            : { sequence, tokens: [tokens[step - 1]] };
        return Float32Array.from(reference.forward({ sequences: [request] }).logits[0]);
      }),
    );
  }
  return rows;
}

export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return Float64Array.from(logits, (l) => l - max - Math.log(sum));
}

/** softmax[(1/T) sum_j w_j log p_j] on V_head = { y : p_0(y) >= beta max p_0 }: the family's formula. */
export function contrastive(
  logps: readonly Float64Array[],
  weights: readonly number[],
  beta: number,
  temperature = 1,
): Float64Array {
  // prettier-ignore
  const base = logps[0];
  const cutoff = beta > 0 ? Math.log(beta) + Math.max(...base) : -Infinity;
  const score = base.map((lp, y) => (lp >= cutoff ? weights.reduce((s, w, j) => s + w * logps[j][y], 0) / temperature : -Infinity)); // prettier-ignore
  return Float64Array.from(logSoftmax(score), Math.exp);
}

/** Hugging Face's order: top-k, top-p over the survivors, min-p; renormalised. */
export function filtered(probs: Float64Array, { topK, topP, minP }: SamplingConfig): Float64Array {
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a] || a - b);
  const kept = new Set(order.slice(0, topK > 0 ? topK : order.length));
  if (topP < 1) {
    const total = [...kept].reduce((s, y) => s + probs[y], 0);
    let mass = 0;
    const nucleus = new Set<number>();
    for (const y of order.filter((y) => kept.has(y))) {
      nucleus.add(y);
      mass += probs[y] / total;
      if (mass >= topP) break;
    }
    for (const y of [...kept]) if (!nucleus.has(y)) kept.delete(y);
  }
  const max = Math.max(...probs);
  for (const y of [...kept]) if (probs[y] < minP * max) kept.delete(y);
  const mass = [...kept].reduce((s, y) => s + probs[y], 0);
  return probs.map((p, y) => (kept.has(y) ? p / mass : 0));
}

const TOLERANCE = 3e-4;

/** The GPU's top list matches `probs` (by id, within tolerance) and is its top in order. */
export function expectTop(top: readonly [number, number][], probs: Float64Array, where: string): void {
  const nonzero = [...probs].filter((p) => p > 0).length;
  expect(top.length, where).toBe(Math.min(10, nonzero));
  const listed = new Set(top.map(([id]) => id));
  const bestUnlisted = Math.max(0, ...[...probs.keys()].filter((y) => !listed.has(y)).map((y) => probs[y]));
  top.forEach(([id, p], k) => {
    expect(Math.abs(p - probs[id]), `${where}: p(${id}) at rank ${k + 1}`).toBeLessThan(TOLERANCE);
    expect(probs[id], `${where}: ${id} belongs in the top-10`).toBeGreaterThanOrEqual(
      bestUnlisted - TOLERANCE,
    );
  });
}

function rankBounds(logits: Float32Array, token: number): [number, number] {
  const l = logits[token];
  const eps = 1e-4 * Math.max(1, Math.abs(l));
  let strictly = 0;
  let loose = 0;
  for (const x of logits) {
    if (x > l + eps) strictly++;
    if (x > l - eps) loose++;
  }
  return [strictly + 1, Math.max(loose, 1)];
}

/**
 * Checks one record's component distributions against their CPU logits ([component] at that step):
 * top-10, the chosen token's probability and rank under each, and KL/JS of each from the base.
 */
export function checkComponents(
  record: LaneTrace['tokens'][number],
  logits: readonly Float32Array[],
  where: string,
): void {
  const logps = logits.map(logSoftmax);
  record.components.forEach((component, j) => {
    const probs = Float64Array.from(logps[j], Math.exp);
    expectTop(component.top, probs, `${where} component ${j}`);
    expect(Math.abs(component.chosenProbability - probs[record.id]), `${where} p_${j}(chosen)`).toBeLessThan(TOLERANCE); // prettier-ignore
    const [lo, hi] = rankBounds(logits[j], record.id);
    expect(component.chosenRank, `${where} rank_${j}`).toBeGreaterThanOrEqual(lo);
    expect(component.chosenRank, `${where} rank_${j}`).toBeLessThanOrEqual(hi);
  });
  record.divergences.forEach((d) => {
    const ref = rowDivergence(logits[0], logits[d.b], 0, d.b);
    expect(Math.abs(d.klAB - ref.klPQ), `${where} KL(0||${d.b})`).toBeLessThan(1e-3 * Math.max(1, ref.klPQ));
    expect(Math.abs(d.klBA - ref.klQP), `${where} KL(${d.b}||0)`).toBeLessThan(1e-3 * Math.max(1, ref.klQP));
    expect(Math.abs(d.js - ref.js), `${where} JS`).toBeLessThan(1e-4);
  });
  expect(record.divergences.map((d) => d.b)).toEqual(logits.slice(1).map((_, k) => k + 1));
}

/**
 * Checks every step of `lane` (from `fromStep`, default 0) against the CPU: components (softmax
 * of their reference logits) and the combined distribution `formula(logps)` (then the lane's
 * sampling filters unless greedy).
 */
export function checkLane(
  h: Harness,
  lane: LaneTrace,
  inputs: readonly ReplayInput[],
  formula: (logps: Float64Array[]) => Float64Array,
  sampling: SamplingConfig,
  { fromStep = 0 }: { fromStep?: number } = {},
): void {
  const tokens = lane.tokens.map((t) => t.id);
  expect(tokens.length).toBeGreaterThan(fromStep);
  const steps = replay(h, inputs, tokens);
  lane.tokens.forEach((record, step) => {
    if (step < fromStep) return;
    const where = `${lane.laneId} step ${step}`;
    checkComponents(record, steps[step], where);
    const combined = formula(steps[step].map(logSoftmax));
    expect(record.plausibleCount, `${where} |V_head|`).toBe([...combined].filter((p) => p > 0).length);
    const final = sampling.greedy ? combined : filtered(combined, sampling);
    expectTop(record.combined.top, final, `${where} combined`);
    expect(Math.abs(record.combined.chosenProbability - final[record.id]), `${where} p(chosen)`).toBeLessThan(TOLERANCE); // prettier-ignore
    if (sampling.greedy)
      expect(final[record.id], `${where} greedy = argmax`).toBeGreaterThanOrEqual(Math.max(...final) - TOLERANCE); // prettier-ignore
    else expect(final[record.id], `${where} sampled from the kept set`).toBeGreaterThan(0);
    expect(record.changedByMethod).toBe(record.id !== record.components[0].top[0][0]);
  });
}

export function laneOf(id: string, method: MethodConfig, sampling: Partial<SamplingConfig> = {}): LaneConfig {
  return { id, method, sampling: { ...defaultSampling(), ...sampling } };
}
