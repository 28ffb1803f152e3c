// The metrics as functions of summed per-scene counts equal the world's own scorers (popeMetrics,
// chairMetrics, which src/world/metrics.test.ts checks against hand-computed cases) on the same
// answers, however the answers are split into scenes; plus one hand-computed case here.
import { describe, expect, it } from 'vitest';
import { chairMetrics, DEFAULT_WORLD, popeMetrics, sampleScenes } from '../world';
import { sumUnits } from './bootstrap';
import {
  CHAIR_COUNTS,
  CHAIR_METRICS,
  CHAIR_STATISTICS,
  chairCaptionCounts,
  POPE_COUNTS,
  POPE_METRICS,
  POPE_STATISTICS,
  popeAnswerCounts,
  popeTotals,
  addInto,
} from './counts';
import { ResampleRandom } from './bootstrap';

const ANSWERS = ['yes', 'no', 'Yes, there is.', 'No.', 'maybe', '', 'yes <eos>', 'no no'];

describe('POPE from summed counts', () => {
  it('hand-computed: TP 2, FN 1 (a "yes" label answered "maybe"), FP 1, TN 1, one unparsed "no" label', () => {
    const labels = ['yes', 'yes', 'yes', 'no', 'no', 'no'] as const;
    const answers = ['yes', 'Yes!', 'maybe', 'yes', 'no', '?'];
    const sums = sumUnits(
      answers.map((a, i) => popeAnswerCounts(a, labels[i])),
      POPE_COUNTS.length,
      null,
    );
    expect([...sums]).toEqual([2, 1, 1, 1, 2, 6]);
    expect(POPE_STATISTICS.accuracy(sums)).toBe(3 / 6);
    expect(POPE_STATISTICS.precision(sums)).toBe(2 / 3);
    expect(POPE_STATISTICS.recall(sums)).toBe(2 / 3);
    expect(POPE_STATISTICS.f1(sums)).toBeCloseTo(2 / 3, 15);
    expect(POPE_STATISTICS.yesRatio(sums)).toBe(3 / 6);
    expect(popeTotals(sums)).toEqual({ questions: 6, unparsed: 2 });
  });

  it('equals popeMetrics on 200 seeded answer sets split into scenes', () => {
    const random = new ResampleRandom(11, 0);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + random.int(40);
      const answers = Array.from({ length: n }, () => ANSWERS[random.int(ANSWERS.length)]);
      const labels = Array.from({ length: n }, () => (random.int(2) === 0 ? 'yes' : 'no') as 'yes' | 'no');
      const scenes = 1 + random.int(n);
      const rows = Array.from({ length: scenes }, () => new Float64Array(POPE_COUNTS.length));
      answers.forEach((a, i) => addInto(rows[i % scenes], popeAnswerCounts(a, labels[i])));
      const sums = sumUnits(rows, POPE_COUNTS.length, null);
      const expected = popeMetrics(answers, labels);
      for (const m of POPE_METRICS) expect(POPE_STATISTICS[m](sums)).toBeCloseTo(expected[m], 12);
      expect(popeTotals(sums)).toEqual({ questions: expected.count, unparsed: expected.unparsed });
    }
  });

  it('weights count a scene that many times (a resample drawing it twice)', () => {
    const rows = [popeAnswerCounts('yes', 'yes'), popeAnswerCounts('yes', 'no')];
    const sums = sumUnits(rows, POPE_COUNTS.length, [3, 1]);
    expect(POPE_STATISTICS.precision(sums)).toBe(3 / 4);
    expect(POPE_STATISTICS.accuracy(sums)).toBe(3 / 4);
  });
});

describe('CHAIR from summed counts', () => {
  const scenes = sampleScenes(DEFAULT_WORLD, 5, 30);
  const CAPTIONS = [
    'a red circle and a blue star .',
    'two squares above a moon .',
    'an empty picture .',
    'a heart , a cross and a triangle .',
    'the picture shows a diamond',
    '',
  ];

  it('equals chairMetrics on seeded captions', () => {
    const random = new ResampleRandom(12, 0);
    const captions = scenes.map(() => CAPTIONS[random.int(CAPTIONS.length)]);
    const sums = sumUnits(
      captions.map((c, i) => chairCaptionCounts(c, scenes[i])),
      CHAIR_COUNTS.length,
      null,
    );
    const expected = chairMetrics(captions, scenes);
    for (const m of CHAIR_METRICS) expect(CHAIR_STATISTICS[m](sums)).toBeCloseTo(expected[m], 12);
    expect(sums[1]).toBe(expected.mentioned);
    expect(sums[2]).toBe(expected.hallucinated);
  });
});
