// Runner-level exactness with power: on a tiny target (vocabulary 6) and a noisy copy as the draft,
// the first two tokens written by speculative sampling (K = 2) and by SpecTr (k = 2, K = 2) follow
// the target's exact two-token distribution p(x1) p(x2 | x1) at its temperature (enumerated with
// V + 1 forwards): Pearson's chi-square over the 36 cells, fixed seeds, one short run per sample
// (restart with a new seed; the first round drafts both positions, a rejection at the first one
// makes a second round). The rounds go through everything the runner does: the draft's GPU copies,
// the batched target scoring, the kernel, rollback and the next round's catch-up.
// Negative control: Judge decoding with threshold 0 accepts every draft, so its text follows the
// draft, not the target; the same test must reject it. (The kernel's own chi-square tests, with
// the residual-from-p negative control, are in src/kernels/verify/.)
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chiSquareTest } from '../kernels/verify/chi-square';
import { testGpu } from '../testing/gpu';
import { SpeculativeLane } from './lane';
import { freshLogits, softmax, tinyPair } from './testing';
import type { SpeculativeMethod } from './types';

const VOCAB = 6;
const SAMPLING = { greedy: false, temperature: 0.8, draftTemperature: 1.25 };
const PROMPT = [0, 3, 2];
const ALPHA = 1e-3;
const WARM_UP_MS = 300_000;

describe('speculative sampling is exact at the runner level', () => {
  const ready = testGpu().then(async (gpu) => ({ gpu, pair: await tinyPair(gpu, { vocab: VOCAB, draftNoise: 0.8, seed: 9 }) })); // prettier-ignore
  afterAll(async () => (await ready).pair.dispose());
  // Compiling the pipelines takes one to three minutes on a loaded SwiftShader: done here, once.
  beforeAll(async () => void (await firstTwoTokens({ name: 'speculative', draftLength: 2 }, 1)), WARM_UP_MS);

  /** p(x1, x2) at the target temperature, cells x1 * V + x2. */
  const exact = ready.then(async ({ gpu, pair }) => {
    const first = softmax(await freshLogits(gpu, pair.target, PROMPT), SAMPLING.temperature);
    const cells = new Float64Array(VOCAB * VOCAB);
    for (let x1 = 0; x1 < VOCAB; x1++) {
      const second = softmax(await freshLogits(gpu, pair.target, [...PROMPT, x1]), SAMPLING.temperature);
      for (let x2 = 0; x2 < VOCAB; x2++) cells[x1 * VOCAB + x2] = first[x1] * second[x2];
    }
    return cells;
  });

  async function firstTwoTokens(method: SpeculativeMethod, samples: number) {
    const { gpu, pair } = await ready;
    const lane = await SpeculativeLane.create({ gpu, target: pair.target, draft: pair.draft, method, sampling: SAMPLING, seed: 0, prompt: PROMPT, maxTokens: 3, eosTokenIds: [] }); // prettier-ignore
    const counts = new Array<number>(VOCAB * VOCAB).fill(0);
    let accepted = 0;
    try {
      for (let sample = 0; sample < samples; sample++) {
        lane.restart(1000 + sample);
        while (lane.tokens.length < 2) accepted += (await lane.round())!.accepted;
        const [x1, x2] = lane.tokens;
        counts[x1 * VOCAB + x2]++;
      }
    } finally {
      lane.dispose();
    }
    return { counts, accepted };
  }

  /** Cells expected below 5 times are pooled, as Pearson's approximation wants. */
  function pooled(counts: readonly number[], probabilities: Float64Array) {
    const samples = counts.reduce((a, b) => a + b, 0);
    const keep = [...probabilities.keys()].filter((i) => probabilities[i] * samples >= 5);
    const rest = [...probabilities.keys()].filter((i) => probabilities[i] * samples < 5);
    const sum = (ids: number[], f: (i: number) => number) => ids.reduce((s, i) => s + f(i), 0);
    return chiSquareTest(
      [...keep.map((i) => counts[i]), sum(rest, (i) => counts[i])],
      [...keep.map((i) => probabilities[i]), sum(rest, (i) => probabilities[i])],
    );
  }

  test.each<[SpeculativeMethod, number]>([
    [{ name: 'speculative', draftLength: 2 }, 450],
    [{ name: 'spectr', draftLength: 2, candidates: 2 }, 300],
  ])('%o: the first two tokens follow p(x1) p(x2 | x1)', async (method, samples) => {
    const { counts, accepted } = await firstTwoTokens(method, samples);
    const result = pooled(counts, await exact);
    console.warn(`${method.name}: X2 ${result.statistic.toFixed(1)}, df ${result.df}, p ${result.pValue.toFixed(4)}, ${accepted} drafts accepted`); // prettier-ignore
    expect(accepted).toBeGreaterThan(samples / 4);
    expect(result.pValue).toBeGreaterThan(ALPHA);
  });

  test('negative control: a judge that accepts every draft is caught', async () => {
    const { counts } = await firstTwoTokens(
      { name: 'judge', draftLength: 2, threshold: 0, learningRate: 0.5 },
      200,
    );
    const result = pooled(counts, await exact);
    console.warn(`judge (accept all): X2 ${result.statistic.toFixed(1)}, df ${result.df}, p ${result.pValue.toExponential(2)}`); // prettier-ignore
    expect(result.pValue).toBeLessThan(ALPHA);
  });
});
