import { describe, expect, it } from 'vitest';
import { philoxUniform, philoxUniform4, seedFromNumber } from '../../kernels/random/philox';
import {
  AcceptancePredictor,
  confidenceStop,
  DRAFT_FEATURE_COUNT,
  draftFeatureVector,
  parameterCount,
  predictorGradient,
  predictorLoss,
  SPECDECPP_PAPER,
  stopDrafting,
  stopDraftingWithBounds,
  type DraftFeatures,
} from './specdecpp';

const DATA_SEED = seedFromNumber(7);

/** Draw i of a seeded stream of consistent draft features (topProb >= chosenProb, margin <= topProb). */
function syntheticFeatures(i: number): DraftFeatures {
  const u = philoxUniform4(DATA_SEED, 1, i);
  const chosenProb = u[0];
  const topProb = chosenProb + (1 - chosenProb) * u[1];
  return {
    position: Math.floor(u[3] * 8),
    chosenProb,
    topProb,
    margin: topProb * u[2],
    entropy: 4 * (1 - topProb) * u[3],
  };
}

// The synthetic rule the head must learn: a draft is rejected iff q(chosen) < 0.3.
const rejectedByRule = (f: DraftFeatures) => f.chosenProb < 0.3;

function train(predictor: AcceptancePredictor, steps: number): void {
  for (let i = 0; i < steps; i++) {
    const f = syntheticFeatures(i);
    predictor.update(f, !rejectedByRule(f));
  }
}

/** Held-out accuracy (draws the training loop never saw) and mean predicted rejection. */
function evaluate(predictor: AcceptancePredictor): { accuracy: number; meanReject: number } {
  const n = 2000;
  let correct = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const f = syntheticFeatures(1_000_000 + i);
    const r = predictor.predictReject(f);
    total += r;
    if (r > 0.5 === rejectedByRule(f)) correct++;
  }
  return { accuracy: correct / n, meanReject: total / n };
}

describe('AcceptancePredictor', () => {
  it('learns "reject iff chosenProb < 0.3" online from a seeded stream (paper weighting)', () => {
    const predictor = new AcceptancePredictor({ seed: 1 });
    const before = evaluate(predictor).accuracy;
    train(predictor, 5000);
    expect(predictor.updates).toBe(5000);
    const { accuracy } = evaluate(predictor);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    expect(accuracy).toBeGreaterThan(before + 0.2);
  });

  it('learns the same rule as an unweighted logistic regression (hidden = 0)', () => {
    const predictor = new AcceptancePredictor({ seed: 1, hidden: 0, rejectWeight: 1 });
    train(predictor, 20000);
    expect(evaluate(predictor).accuracy).toBeGreaterThanOrEqual(0.97);
    expect(predictor.snapshot().weights).toHaveLength(DRAFT_FEATURE_COUNT + 1);
  });

  it('the paper weight w_rej = 6 makes the head predict rejection more often than w_rej = 1', () => {
    const weighted = new AcceptancePredictor({ seed: 3, hidden: 0 });
    const plain = new AcceptancePredictor({ seed: 3, hidden: 0, rejectWeight: 1 });
    expect(weighted.rejectWeight).toBe(SPECDECPP_PAPER.rejectWeight);
    train(weighted, 5000);
    train(plain, 5000);
    expect(evaluate(weighted).meanReject).toBeGreaterThan(evaluate(plain).meanReject + 0.02);
  });

  it('gradient equals central finite differences of the weighted BCE', () => {
    const hidden = 3;
    const seed = seedFromNumber(11);
    const params = new Float64Array(parameterCount(hidden));
    for (let i = 0; i < params.length; i++) params[i] = 2 * philoxUniform(seed, 0, i) - 1;
    const cases: [DraftFeatures, number][] = [
      [syntheticFeatures(0), 1],
      [syntheticFeatures(1), 0],
      [syntheticFeatures(2), 0.37], // a soft label min(1, p/q)
    ];
    const eps = 1e-6;
    for (const [f, label] of cases) {
      const x = draftFeatureVector(f);
      const analytic = predictorGradient(params, hidden, x, label, 6);
      for (let i = 0; i < params.length; i++) {
        const saved = params[i];
        params[i] = saved + eps;
        const up = predictorLoss(params, hidden, x, label, 6);
        params[i] = saved - eps;
        const down = predictorLoss(params, hidden, x, label, 6);
        params[i] = saved;
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(numeric - analytic[i])).toBeLessThanOrEqual(1e-7 + 1e-5 * Math.abs(analytic[i]));
      }
    }
  });

  it('an SGD step lowers the loss of the example it was taken on', () => {
    const predictor = new AcceptancePredictor({ seed: 5 });
    const f = syntheticFeatures(42);
    const before = predictor.loss(f, 0);
    predictor.update(f, false);
    expect(predictor.loss(f, 0)).toBeLessThan(before);
    const soft = predictor.loss(f, 0.6);
    predictor.updateSoft(f, 0.6);
    expect(predictor.loss(f, 0.6)).toBeLessThan(soft);
    expect(predictor.updates).toBe(2);
  });

  it('is reproducible from its seed and predicts strictly inside (0, 1)', () => {
    const a = new AcceptancePredictor({ seed: 9 });
    const b = new AcceptancePredictor({ seed: 9 });
    const c = new AcceptancePredictor({ seed: 10 });
    expect(a.snapshot()).toEqual(b.snapshot());
    expect(a.snapshot().weights).not.toEqual(c.snapshot().weights);
    const f = syntheticFeatures(3);
    const r = a.predictReject(f);
    expect(r).toBeGreaterThan(0);
    expect(r).toBeLessThan(1);
  });

  it('rejects bad options and features with the value in the message', () => {
    expect(() => new AcceptancePredictor({ learningRate: 0 })).toThrow(/learningRate.*got 0/);
    expect(() => new AcceptancePredictor({ hidden: 1.5 })).toThrow(/hidden.*got 1.5/);
    expect(() => new AcceptancePredictor({ seed: -1 })).toThrow(RangeError);
    const predictor = new AcceptancePredictor();
    const good = syntheticFeatures(0);
    expect(() => predictor.predictReject({ ...good, entropy: NaN })).toThrow(/entropy.*NaN/);
    expect(() => predictor.predictReject({ ...good, chosenProb: Infinity })).toThrow(/chosenProb.*Infinity/);
    expect(() => predictor.predictReject({ ...good, position: -1 })).toThrow(/position.*-1/);
    expect(() => predictor.predictReject({ ...good, chosenProb: 0.9, topProb: 0.5 })).toThrow(/exceeds/);
    expect(() => predictor.updateSoft(good, 1.2)).toThrow(/acceptProbability.*1.2/);
  });
});

describe('stopDrafting: 1 - prod(1 - r_i) > h', () => {
  it('matches hand-computed products', () => {
    // 1 - (0.9)(0.8) = 0.28
    expect(stopDrafting([0.1, 0.2], 0.27)).toBe(true);
    expect(stopDrafting([0.1, 0.2], 0.29)).toBe(false);
    // 1 - (0.95)(0.9)(0.5) = 0.5725
    expect(stopDrafting([0.05, 0.1, 0.5], 0.57)).toBe(true);
    expect(stopDrafting([0.05, 0.1, 0.5], 0.58)).toBe(false);
    // strict inequality: 1 - 0.5 = 0.5 is not > 0.5
    expect(stopDrafting([0.5], 0.5)).toBe(false);
    expect(stopDrafting([], 0)).toBe(false);
    expect(stopDrafting([1], 0.99)).toBe(true);
    expect(stopDrafting([0, 0, 0], 0)).toBe(false);
  });

  it('applies the paper bound [2, 20] around the threshold rule', () => {
    expect(stopDraftingWithBounds([0.9], 0.3)).toBe(false); // below minDraft: keep drafting
    expect(stopDraftingWithBounds([0.9, 0.1], 0.3)).toBe(true);
    expect(stopDraftingWithBounds(new Array<number>(20).fill(0), 0.3)).toBe(true); // maxDraft reached
    expect(stopDraftingWithBounds([0.01, 0.01], 0.3, { minDraft: 0, maxDraft: 4 })).toBe(false);
    expect(() => stopDraftingWithBounds([], 0.3, { minDraft: 3, maxDraft: 2 })).toThrow(/maxDraft/);
  });

  it('validates the threshold and every probability', () => {
    expect(() => stopDrafting([0.1], 1.5)).toThrow(/threshold h.*1.5/);
    expect(() => stopDrafting([0.1], -0.1)).toThrow(/threshold h.*-0.1/);
    expect(() => stopDrafting([0.1, NaN], 0.5)).toThrow(/rejectProbabilities\[1\].*NaN/);
  });
});

describe('confidenceStop', () => {
  it('stops when q(chosen) falls below the threshold', () => {
    const f = { position: 0, chosenProb: 0.4, topProb: 0.6, entropy: 1, margin: 0.3 };
    expect(confidenceStop(f, 0.5)).toBe(true);
    expect(confidenceStop(f, 0.4)).toBe(false);
    expect(confidenceStop(f, 0.3)).toBe(false);
    expect(() => confidenceStop(f, 2)).toThrow(/threshold.*2/);
    expect(() => confidenceStop({ ...f, margin: NaN }, 0.5)).toThrow(/margin.*NaN/);
  });
});
