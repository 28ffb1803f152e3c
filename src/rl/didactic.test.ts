// The didactic categorical: exact gradients against finite differences of each loss, then the
// qualitative claims of "Preference Fine-Tuning of LLMs Should Leverage Suboptimal, On-Policy Data"
// on a bimodal case (21 bins, data modes at bins 5 and 15, reward peaked at 15): on-policy RL and
// DPO are mode-seeking (they put the mass on the rewarded mode and the entropy falls), SFT is
// mode-covering (it keeps both modes of the data, and the whole width of a mode).
import { describe, expect, test } from 'vitest';
import {
  categoricalLossAndGradient,
  entropy,
  massIn,
  pairsFromPreference,
  softmax,
  trainCategorical,
  type CategoricalObjective,
} from './didactic';
import { FD_ABSOLUTE, FD_RELATIVE, finiteDifferenceWeights, firstMismatch } from './testing';

const K = 21;
const bump = (centre: number, width: number) =>
  Array.from({ length: K }, (_, k) => Math.exp(-((k - centre) ** 2) / (2 * width * width)));
const normalise = (v: number[]) => {
  const total = v.reduce((a, b) => a + b, 0);
  return v.map((x) => x / total);
};
const modeA = bump(5, 1.5);
const modeB = bump(15, 1.5);
const data = normalise(modeA.map((x, k) => x + modeB[k]));
const rewards = bump(15, 2);
const A = [3, 7] as const;
const B = [13, 17] as const;
const uniform = new Array<number>(K).fill(0);

describe('exact gradients', () => {
  const theta = Array.from({ length: K }, (_, k) => Math.sin(1.7 * k) - 0.02 * k);
  const reference = Array.from({ length: K }, (_, k) => Math.cos(0.9 * k));
  const cases: [string, CategoricalObjective][] = [
    ['sft', { kind: 'sft', data }],
    ['dpo', { kind: 'dpo', pairs: pairsFromPreference(data, rewards), beta: 0.7 }],
    ['rl', { kind: 'rl', rewards }],
    ['rl with KL', { kind: 'rl', rewards, klBeta: 0.3 }],
  ];
  test.each(cases)('%s: the gradient is the finite difference of the loss', (_name, objective) => {
    const { gradient } = categoricalLossAndGradient(objective, theta, reference);
    const fd = finiteDifferenceWeights(
      (z) => categoricalLossAndGradient(objective, Array.from(z[0]), reference).loss,
      [Float64Array.from(theta)],
    );
    expect(firstMismatch([gradient], fd, FD_ABSOLUTE, FD_RELATIVE)).toBeNull();
    expect(gradient.some((g) => Math.abs(g) > 1e-3)).toBe(true);
  });

  test('normalised (GRPO) advantages scale the policy gradient by 1 / std_pi(r); no spread gives 0', () => {
    const plain = categoricalLossAndGradient({ kind: 'rl', rewards }, theta, reference).gradient;
    const normalised = categoricalLossAndGradient(
      { kind: 'rl', rewards, normalize: true },
      theta,
      reference,
    ).gradient;
    const p = softmax(theta);
    const mean = p.reduce((a, pk, k) => a + pk * rewards[k], 0);
    const std = Math.sqrt(p.reduce((a, pk, k) => a + pk * (rewards[k] - mean) ** 2, 0));
    normalised.forEach((g, k) => expect(g).toBeCloseTo(plain[k] / (std + 1e-8), 12));
    const flat = categoricalLossAndGradient(
      { kind: 'rl', rewards: new Array(K).fill(0.4), normalize: true },
      theta,
      reference,
    );
    expect(flat.gradient.every((g) => g === 0)).toBe(true);
  });

  test('hand value: SFT at the data is its entropy; DPO at the reference is ln 2', () => {
    const atData = categoricalLossAndGradient({ kind: 'sft', data }, data.map(Math.log), uniform);
    expect(atData.loss).toBeCloseTo(entropy(data), 13);
    expect(Math.max(...atData.gradient.map(Math.abs))).toBeLessThan(1e-15);
    const dpo = categoricalLossAndGradient(
      { kind: 'dpo', pairs: [{ chosen: 2, rejected: 9 }] },
      theta,
      theta,
    );
    expect(dpo.loss).toBeCloseTo(Math.LN2, 15);
  });
});

describe('mode-seeking vs mode-covering (bimodal data, reward on mode B)', () => {
  const run = (objective: CategoricalObjective, initialLogits: readonly number[] = uniform) =>
    trainCategorical({ objective, initialLogits, steps: 200, learningRate: 1 }).distributions[200];
  const sft = run({ kind: 'sft', data });
  const dpo = run({ kind: 'dpo', pairs: pairsFromPreference(data, rewards) });
  const reinforce = run({ kind: 'rl', rewards });
  const grpo = run({ kind: 'rl', rewards, normalize: true });

  test('SFT covers both modes of the data: their masses and the entropy match the data', () => {
    expect(Math.abs(massIn(sft, ...A) - massIn(data, ...A))).toBeLessThan(0.03);
    expect(Math.abs(massIn(sft, ...B) - massIn(data, ...B))).toBeLessThan(0.03);
    expect(massIn(sft, ...A)).toBeGreaterThan(0.4);
    expect(entropy(sft)).toBeGreaterThan(0.97 * entropy(data));
  });

  test('DPO and on-policy RL put the mass on the rewarded mode and lower the entropy', () => {
    for (const [name, p, modeMass] of [
      ['dpo', dpo, 0.9],
      ['reinforce', reinforce, 0.99],
      ['grpo', grpo, 0.99],
    ] as const) {
      expect(massIn(p, ...B), name).toBeGreaterThan(modeMass);
      expect(massIn(p, ...A), name).toBeLessThan(0.02);
      expect(entropy(p), name).toBeLessThan(0.5 * entropy(sft));
    }
    expect(entropy(grpo)).toBeLessThan(0.1);
  });

  test('even on the preferred data alone, SFT spreads over the mode while RL picks its peak', () => {
    // The reference leans on the unrewarded mode (90% of the mass near bin 5).
    const start = normalise(modeA.map((x, k) => 0.9 * x + 0.1 * modeB[k] + 1e-3)).map(Math.log);
    const preferred = normalise(data.map((x, k) => (rewards[k] > 0.5 ? x : 0)));
    const filteredSft = run({ kind: 'sft', data: preferred }, start);
    const rl = run({ kind: 'rl', rewards }, start);
    expect(massIn(filteredSft, ...B)).toBeGreaterThan(0.95);
    expect(entropy(filteredSft)).toBeGreaterThan(0.95 * entropy(preferred));
    expect(Math.max(...filteredSft)).toBeLessThan(0.35);
    expect(Math.max(...rl)).toBeGreaterThan(0.98);
    expect(rl[15]).toBe(Math.max(...rl));
  });

  test('the run returns steps + 1 distributions and steps losses; SFT loss falls monotonically', () => {
    const out = trainCategorical({
      objective: { kind: 'sft', data },
      initialLogits: uniform,
      steps: 30,
      learningRate: 1,
    });
    expect(out.distributions).toHaveLength(31);
    expect(out.losses).toHaveLength(30);
    expect([...out.distributions[0]]).toEqual(new Array(K).fill(1 / K));
    out.losses.slice(1).forEach((l, i) => expect(l).toBeLessThan(out.losses[i]));
  });

  test('refuses bad inputs with the parameter named', () => {
    const base = { initialLogits: uniform, steps: 5, learningRate: 1 };
    expect(() => trainCategorical({ ...base, objective: { kind: 'sft', data: [1, 2] } })).toThrow(
      /data has 2 entries for 21 bins/,
    );
    expect(() =>
      trainCategorical({ ...base, objective: { kind: 'sft', data: new Array(K).fill(0) } }),
    ).toThrow(/histogram is empty/);
    expect(() => trainCategorical({ ...base, objective: { kind: 'dpo', pairs: [] } })).toThrow(
      /preference set is empty/,
    );
    expect(() =>
      trainCategorical({ ...base, objective: { kind: 'dpo', pairs: [{ chosen: 3, rejected: 3 }] } }),
    ).toThrow(/two distinct bins/);
    expect(() =>
      trainCategorical({ ...base, objective: { kind: 'dpo', pairs: [{ chosen: 1, rejected: 3 }], beta: 0 } }),
    ).toThrow(/beta must be in \(0, ∞\)/);
    expect(() => trainCategorical({ ...base, learningRate: 0, objective: { kind: 'rl', rewards } })).toThrow(
      /learning rate/,
    );
    expect(() => trainCategorical({ ...base, objective: { kind: 'rl', rewards, klBeta: -1 } })).toThrow(
      /KL beta/,
    );
    expect(() =>
      trainCategorical({ ...base, initialLogits: [0], objective: { kind: 'rl', rewards: [1] } }),
    ).toThrow(/at least 2 bins/);
  });
});
