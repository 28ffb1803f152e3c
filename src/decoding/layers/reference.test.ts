// The DoLa and LOL specs on hand-made rows: the premature layer is the most divergent one, the
// score is the paper's formula on V_head, and degenerate weights reduce to plain decoding.
import { describe, expect, it } from 'vitest';
import { seedFromNumber } from '../../kernels/random/philox';
import type { SamplingConfig } from '../../share/experiment';
import type { TokenChoice } from './choice';
import { lolWeights } from './config';
import { dolaReference, lolReference } from './reference';

const GREEDY: SamplingConfig = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 };
const choice: TokenChoice = { sampling: GREEDY, seed: seedFromNumber(1), stream: 0, counter: 0 };

const logSoftmax = (row: number[]) => {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  return row.map((x) => x - lse);
};

// q_N is peaked on token 1; layer 1 agrees with it, layer 2 is flat (the most divergent).
const FINAL = [1, 4, 3.8, -2, 0, -6];
const LENS = new Map<number, number[]>([
  [1, [1, 4.2, 3, -2, 0, -6]],
  [2, [0, 0, 0, 0, 0, 0]],
  [3, [1, 3.9, 3.7, -2, 0, -5]],
]);

describe('dolaReference', () => {
  it('contrasts with the layer of largest JS divergence, on V_head only', () => {
    const got = dolaReference(FINAL, LENS, [1, 2, 3], { alpha: 1, beta: 0.1, layers: 'all' }, choice);
    expect(got.prematureLayer).toBe(2);
    const [js1, js2, js3] = got.jsByLayer.map((j) => j.js);
    expect(js2).toBeGreaterThan(js1);
    expect(js2).toBeGreaterThan(js3);
    const final = logSoftmax(FINAL);
    const premature = logSoftmax(LENS.get(2)!);
    const threshold = Math.max(...final) + Math.log(0.1);
    FINAL.forEach((_, y) => {
      if (final[y] < threshold) expect(got.combined[y]).toBe(-Infinity);
      else expect(got.combined[y]).toBeCloseTo(final[y] - premature[y], 5);
    });
    // V_head = tokens 1 and 2 (p >= 0.1 max p); a flat premature layer leaves q_N's order.
    expect(got.summary.finiteCount).toBe(2);
    expect(got.token).toBe(1);
  });

  it('alpha scales the premature term and the bucket restricts the choice', () => {
    const got = dolaReference(FINAL, LENS, [1, 3], { alpha: 0.5, beta: 0, layers: 'all' }, choice);
    expect([1, 3]).toContain(got.prematureLayer);
    const final = logSoftmax(FINAL);
    const premature = logSoftmax(LENS.get(got.prematureLayer)!);
    FINAL.forEach((_, y) => expect(got.combined[y]).toBeCloseTo(final[y] - 0.5 * premature[y], 5));
    expect(got.summary.finiteCount).toBe(FINAL.length);
  });
});

describe('lolReference', () => {
  const rows = {
    final: [2, 1, 0, -1],
    amateurFinal: [2.5, 0, 0, -1],
    lower: [1, 1.5, 0, 0],
    amateurLower: [1, 0.5, 0, 0],
  };

  it("is (1 + a) log p - a log p' at the final layer plus omega times the same at the lower layer", () => {
    const config = { alpha: 1, beta: 0, lowerLayer: 2, lowerWeight: 0.5 };
    expect(lolWeights(config)).toEqual([2, -1, 1, -0.5]);
    const got = lolReference(rows, config, choice);
    const [p, pa, q, qa] = [rows.final, rows.amateurFinal, rows.lower, rows.amateurLower].map(logSoftmax);
    const want = p.map((_, y) => 2 * p[y] - pa[y] + 0.5 * (2 * q[y] - qa[y]));
    want.forEach((w, y) => expect(got.combined[y]).toBeCloseTo(w, 5));
    // The amateur prefers token 0 more than the original does: the contrast moves to token 1.
    expect(got.token).toBe(1);
  });

  it('reduces to plain decoding with alpha = 0 and omega = 0', () => {
    const got = lolReference(rows, { alpha: 0, beta: 0, lowerLayer: 1, lowerWeight: 0 }, choice);
    const p = logSoftmax(rows.final);
    p.forEach((w, y) => expect(got.combined[y]).toBeCloseTo(w, 5));
    expect(got.token).toBe(0);
  });
});
