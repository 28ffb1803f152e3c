import { describe, expect, it } from 'vitest';
import { philoxUniform4, seedFromNumber } from '../../kernels/random/philox';
import { judgeAccept, JudgeHead, judgeOrStandardAccept } from './judge';

const DIM = 16;
const DATA_SEED = seedFromNumber(31);

// The linear rule the judge must learn: "correct" iff u . h > 0, with a fixed direction u.
const direction = Float32Array.from({ length: DIM }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? -0.5 : 0.25));

/** Draw i of a seeded stream of hidden states with entries in [-1, 1) and a varying scale. */
function hiddenState(i: number): Float32Array {
  const h = new Float32Array(DIM);
  for (let block = 0; block < DIM / 4; block++) {
    const u = philoxUniform4(DATA_SEED, block, i);
    for (let k = 0; k < 4; k++) h[block * 4 + k] = 2 * u[k] - 1;
  }
  const scale = 1 + 9 * philoxUniform4(DATA_SEED, 99, i)[0]; // norms vary tenfold, as in real models
  for (let k = 0; k < DIM; k++) h[k] *= scale;
  return h;
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const correctByRule = (h: Float32Array) => dot(direction, h) > 0;

function heldOutAccuracy(judge: JudgeHead): number {
  const n = 2000;
  let right = 0;
  for (let i = 0; i < n; i++) {
    const h = hiddenState(500_000 + i);
    if (judgeAccept(judge.score(h), 0.5) === correctByRule(h)) right++;
  }
  return right / n;
}

describe('JudgeHead', () => {
  it('learns a linear rule on the hidden state from a seeded stream', () => {
    const judge = new JudgeHead(DIM, { seed: 1 });
    const before = heldOutAccuracy(judge);
    for (let i = 0; i < 5000; i++) {
      const h = hiddenState(i);
      judge.update(h, correctByRule(h));
    }
    expect(judge.updates).toBe(5000);
    const after = heldOutAccuracy(judge);
    expect(after).toBeGreaterThanOrEqual(0.95);
    expect(after).toBeGreaterThan(before + 0.2);
  });

  it('learns it without normalisation too (raw linear head)', () => {
    const judge = new JudgeHead(DIM, { seed: 1, normalize: false, learningRate: 0.01 });
    for (let i = 0; i < 5000; i++) {
      const h = hiddenState(i);
      judge.update(h, correctByRule(h));
    }
    expect(heldOutAccuracy(judge)).toBeGreaterThanOrEqual(0.95);
  });

  it('an SGD step lowers the BCE of its example; scores lie in (0, 1); seeds reproduce', () => {
    const judge = new JudgeHead(DIM, { seed: 2 });
    const h = hiddenState(7);
    const before = judge.loss(h, true);
    judge.update(h, true);
    expect(judge.loss(h, true)).toBeLessThan(before);
    const s = judge.score(h);
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThan(1);
    expect(new JudgeHead(DIM, { seed: 2 }).snapshot()).toEqual(new JudgeHead(DIM, { seed: 2 }).snapshot());
    expect(judge.snapshot().weights).toHaveLength(DIM + 1);
  });

  it('rejects bad dimensions and hidden states with the value in the message', () => {
    expect(() => new JudgeHead(0)).toThrow(/dim.*got 0/);
    expect(() => new JudgeHead(3.5)).toThrow(/dim.*got 3.5/);
    expect(() => new JudgeHead(4, { learningRate: -1 })).toThrow(/learningRate.*-1/);
    const judge = new JudgeHead(4);
    expect(() => judge.score(new Float32Array(5))).toThrow(/length 5.*dim 4/);
    expect(() => judge.update(Float32Array.of(0, 1, NaN, 0), true)).toThrow(/hidden\[2\] is NaN/);
  });
});

describe('judgeAccept', () => {
  it('accepts strictly above the threshold and ORs with standard verification', () => {
    expect(judgeAccept(0.8, 0.5)).toBe(true);
    expect(judgeAccept(0.5, 0.5)).toBe(false);
    expect(judgeAccept(0.2, 0.5)).toBe(false);
    expect(judgeOrStandardAccept(true, 0.1, 0.5)).toBe(true);
    expect(judgeOrStandardAccept(false, 0.9, 0.5)).toBe(true);
    expect(judgeOrStandardAccept(false, 0.1, 0.5)).toBe(false);
    expect(() => judgeAccept(0.5, 1.5)).toThrow(/threshold.*1.5/);
    expect(() => judgeAccept(NaN, 0.5)).toThrow(/score.*NaN/);
  });
});
