import { describe, expect, it } from 'vitest';
import {
  answerDistribution,
  applyDebiasCalibration,
  calibrateLogits,
  combineReferences,
  fitDebiasCalibration,
  meaninglessImage,
} from './calibration';
import { CLIP_NORMALIZATION } from './noise';

/** Seeded positive vectors for property checks (xorshift32). */
function randomDistribution(size: number, state: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out.push(0.01 + (state >>> 0) / 2 ** 32);
  }
  return out;
}

describe('post-hoc debias calibration', () => {
  it('matches a hand-computed yes/no example', () => {
    // Without the image the model says yes 80% of the time; with it, 60%.
    // q ∝ p / p_cf = [0.6 / 0.8, 0.4 / 0.2] = [0.75, 2]  ->  [0.75 / 2.75, 2 / 2.75] = [3/11, 8/11].
    const calibration = fitDebiasCalibration([0.8, 0.2]);
    expect(calibration.weights[0]).toBeCloseTo(1.25, 15);
    expect(calibration.weights[1]).toBeCloseTo(5, 15);
    expect(calibration.bias).toEqual([0, 0]);
    const q = applyDebiasCalibration(calibration, [0.6, 0.4]);
    expect(q[0]).toBeCloseTo(3 / 11, 15);
    expect(q[1]).toBeCloseTo(8 / 11, 15);
  });

  it('maps the no-image distribution itself to exactly uniform, for yes/no and multiple choice', () => {
    for (let size = 2; size <= 6; size++) {
      for (let trial = 0; trial < 20; trial++) {
        const reference = randomDistribution(size, 1 + 97 * size + trial);
        const q = applyDebiasCalibration(fitDebiasCalibration(reference), reference);
        for (const v of q) expect(Math.abs(v - 1 / size)).toBeLessThanOrEqual(4e-16);
      }
    }
  });

  it('is the same correction in logits: log q = log_softmax(l_image - l_reference)', () => {
    const imageLogits = [2.5, -1, 0.3];
    const referenceLogits = [3, 0.5, -2];
    const softmax = (l: number[]) => {
      const e = l.map((v) => Math.exp(v - Math.max(...l)));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const viaProbabilities = applyDebiasCalibration(
      fitDebiasCalibration(softmax(referenceLogits)),
      softmax(imageLogits),
    );
    const viaLogits = calibrateLogits(imageLogits, referenceLogits);
    viaLogits.forEach((l, k) => expect(Math.exp(l)).toBeCloseTo(viaProbabilities[k], 14));
    const uniform = calibrateLogits(referenceLogits, referenceLogits);
    for (const l of uniform) expect(l).toBeCloseTo(-Math.log(3), 15);
  });

  it('reads answer probabilities from a logit row, adding surface forms and ignoring other tokens', () => {
    // Tokens: 0 "Yes", 1 "no", 2 "yes", 3 masked, 4 "the". p(yes) ∝ e^2 + e^1, p(no) ∝ e^0.
    const row = [2, 0, 1, -Infinity, 5];
    const [yes, no] = answerDistribution(row, [[0, 2], [1]]);
    const total = Math.exp(2) + Math.exp(1) + 1;
    expect(yes).toBeCloseTo((Math.exp(2) + Math.exp(1)) / total, 15);
    expect(no).toBeCloseTo(1 / total, 15);
    const shifted = answerDistribution(
      row.map((l) => l + 1000),
      [[0, 2], [1]],
    );
    expect(shifted[0]).toBeCloseTo(yes, 15);
    expect(answerDistribution(row, [[3], [1]])).toEqual([0, 1]);
  });

  it('combines references by adding and renormalising, and floors like the reference code', () => {
    const combined = combineReferences([
      [0.8, 0.2],
      [3, 2],
    ]);
    expect(combined[0]).toBeCloseTo(0.7, 15);
    expect(combined[1]).toBeCloseTo(0.3, 15);
    const floored = fitDebiasCalibration([1, 0], { floor: 1e-4 });
    expect(floored.weights[0]).toBeCloseTo(1 / 1.0001, 12);
    expect(floored.weights[1]).toBeCloseTo(1e4, 8);
  });

  it('refuses inputs it cannot calibrate, saying what to do', () => {
    expect(() => fitDebiasCalibration([1, 0])).toThrow(
      'fitDebiasCalibration: answer 1 has probability 0 without the image, so its weight 1/p would be infinite; pass { floor: 1e-4 }',
    );
    expect(() => fitDebiasCalibration([1])).toThrow('has 1 entries; a closed-form answer needs at least 2');
    expect(() => fitDebiasCalibration([0.5, -0.1])).toThrow(
      '[1] is -0.1; probabilities must be finite and >= 0',
    );
    expect(() => fitDebiasCalibration([0, 0])).toThrow('sums to 0');
    expect(() => fitDebiasCalibration([0.5, 0.5], { floor: -1 })).toThrow(
      'floor must be a finite number >= 0',
    );
    expect(() => applyDebiasCalibration(fitDebiasCalibration([0.5, 0.5]), [0.2, 0.3, 0.5])).toThrow(
      'the calibration covers 2 answers (bias 2) but the distribution has 3',
    );
    expect(() => answerDistribution([1, 2], [[0], [2]])).toThrow(
      'answer 1 names token id 2, outside the 2 logits',
    );
    expect(() => answerDistribution([1, 2], [[0], []])).toThrow('answer 1 lists no token ids');
    expect(() => answerDistribution([-Infinity, -Infinity], [[0], [1]])).toThrow(
      'every answer token has logit -Infinity',
    );
    expect(() => answerDistribution([NaN, 0], [[0], [1]])).toThrow('the logit of token 0 (answer 0) is NaN');
    expect(() => calibrateLogits([1, 2], [1])).toThrow('2 image logits but 1 reference logits');
    expect(() => combineReferences([[0.5, 0.5], [1]])).toThrow(/references\[1\] has 1 entries/);
  });
});

describe('meaninglessImage', () => {
  it("gives black, CLIP's mean colour (the reference's zero tensor) or seeded noise", () => {
    expect(meaninglessImage('black', 4, 2).every((v) => v === 0)).toBe(true);
    const mean = meaninglessImage('mean-colour', 3, 3);
    expect(mean.every((v, i) => v === Math.fround(CLIP_NORMALIZATION.mean[i % 3]))).toBe(true);
    const again = meaninglessImage('noise', 48, 48, { seed: 3 });
    expect(meaninglessImage('noise', 48, 48, { seed: 3 }).every((v, i) => Object.is(v, again[i]))).toBe(true);
    const a = meaninglessImage('noise', 8, 8, { seed: 3 });
    const b = meaninglessImage('noise', 8, 8, { seed: 4 });
    expect(a.filter((v, i) => v !== b[i]).length).toBe(a.length);
  });

  it("'noise' is N(0, 1) in the normalised space: per-channel mean and std within 5 standard errors", () => {
    const side = 256;
    const image = meaninglessImage('noise', side, side, { seed: 11 });
    const n = side * side;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sum2 = 0;
      for (let i = c; i < image.length; i += 3) {
        const z = (image[i] - CLIP_NORMALIZATION.mean[c]) / CLIP_NORMALIZATION.std[c];
        sum += z;
        sum2 += z * z;
      }
      expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
      expect(Math.abs(sum2 / n - (sum / n) ** 2 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    }
  });

  it('refuses unknown kinds and bad sizes', () => {
    expect(() => meaninglessImage('grey' as 'black', 2, 2)).toThrow(
      `unknown kind "grey"; expected 'black', 'mean-colour' or 'noise'`,
    );
    expect(() => meaninglessImage('black', 0, 2)).toThrow(
      'meaninglessImage: width must be an integer >= 1, got 0',
    );
    expect(() => meaninglessImage('noise', 2, 2, { seed: -1 })).toThrow(
      /meaninglessImage: seed must be an integer/,
    );
  });
});
