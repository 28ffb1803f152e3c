// Debias (calibrated) on the GPU vs the formula on the CPU reference. At the answer step (step 0,
// the base argmax is an answer token):
//   q_k ∝ p_k / p_cf_k,  p = answers' softmax mass given (v, x), p_cf = the same given the reference
// (no image, or a meaningless image), computed here from CPU logits with calibration.ts; greedy =
// argmax q, sampling = the lane's Philox uniform at counter 0 walked through q. Every other step is
// plain decoding on the base. On the tiny VLM with prompt "the cat sat" the base argmax is "n"
// ("h" second); the mean-colour image leans to "n" even more than the image does, so calibrating
// against it flips the answer to "h", while the no-image prompt barely likes "n" and keeps it.
import { afterAll, describe, expect, test } from 'vitest';
import { philoxUniform, seedFromNumber } from '../../kernels/random/philox';
import type { CalibrationReference, SamplingConfig } from '../../share/experiment';
import type { LaneTrace } from '../../share/trace';
import {
  answerDistribution,
  applyDebiasCalibration,
  fitDebiasCalibration,
  meaninglessImage,
} from '../inputs';
import { laneStream } from '../lanes/plan';
import { NOT_APPLIED } from './debias-calibrate';
import {
  SEED,
  checkComponents,
  checkLane,
  contrastive,
  harness,
  laneOf,
  replay,
  tokenizer,
  type Harness,
  type ReplayInput,
} from './formula-testing';

const SAMPLING: SamplingConfig = { greedy: false, temperature: 0.7, topK: 0, topP: 1, minP: 0.1 };
const GREEDY: SamplingConfig = { ...SAMPLING, greedy: true };
// Readback per step (lanes/combine-step.ts): the fused step's summaries for 2 inputs, (2 + 1) x 128
// + 40 bytes; the inspection, 2 x 8 ranks + 48 divergence bytes (+ 8 for the combined rank when a
// plain step samples); the answer step adds the answer logits of both rows, 2 x answers x 4 bytes.
const PIPELINE_BYTES = 3 * 128 + 40;
const INSPECTION_BYTES = 2 * 8 + 48;

const id = (word: string) => tokenizer.tokenToId(word)!;

/** The reference component of a lane, as the CPU replays it. */
function referenceInput(h: Harness, reference: CalibrationReference): ReplayInput {
  if (reference === 'no-image') return { model: 'main', ids: h.ids(h.prompt, false), image: null };
  return { model: 'main', ids: h.ids(h.prompt, true), image: meaninglessImage(reference, 16, 16, { seed: SEED }) }; // prettier-ignore
}

/** What the CPU expects at the answer step: p, p_cf, q and the answer chosen. */
function expectedAnswer(
  base: Float32Array,
  reference: Float32Array,
  ids: number[][],
  uniform: number | null,
) {
  const p = answerDistribution(base, ids);
  const pCf = answerDistribution(reference, ids);
  const q = applyDebiasCalibration(fitDebiasCalibration(pCf), p);
  let chosen = q.indexOf(Math.max(...q));
  if (uniform !== null) {
    let cumulative = 0;
    chosen = q.findIndex((v) => uniform < (cumulative += v));
    // The draw must not sit on a boundary that f32 rounding of the GPU's logits could move.
    const bounds = q.map((_, k) => q.slice(0, k + 1).reduce((a, b) => a + b, 0));
    expect(Math.min(...bounds.map((b) => Math.abs(b - uniform)))).toBeGreaterThan(1e-3);
  }
  return { p, pCf, q, chosen };
}

/** Checks the answer step of a calibrated lane against the CPU; returns the answer chosen. */
function checkAnswerStep(
  h: Harness,
  lane: LaneTrace,
  words: string[],
  reference: CalibrationReference,
  sampling: SamplingConfig,
) {
  const inputs = [{ model: 'main' as const, ids: h.ids(h.prompt, true), image: h.image }, referenceInput(h, reference)]; // prettier-ignore
  const [logits] = replay(h, inputs, [lane.tokens[0].id]);
  const ids = words.map((word) => [id(word)]);
  const uniform = sampling.greedy ? null : philoxUniform(seedFromNumber(SEED), laneStream(lane.laneId), 0);
  const { p, pCf, q, chosen } = expectedAnswer(logits[0], logits[1], ids, uniform);
  const record = lane.tokens[0];
  const where = `${lane.laneId} answer step`;
  expect(record.id, where).toBe(ids[chosen][0]);
  checkComponents(record, logits, where);
  expect(record.extra?.calibration).toBe('applied');
  words.forEach((word, k) => {
    expect(Math.abs((record.extra![`p(${word})`] as number) - p[k]), `${where} p(${word})`).toBeLessThan(
      1e-4,
    );
    expect(Math.abs((record.extra![`p_cf(${word})`] as number) - pCf[k]), `${where} p_cf(${word})`).toBeLessThan(1e-4); // prettier-ignore
    expect(Math.abs((record.extra![`q(${word})`] as number) - q[k]), `${where} q(${word})`).toBeLessThan(
      1e-4,
    );
  });
  // The combined distribution is q over the answers, each listed by its token.
  const order = q.map((_, k) => k).sort((a, b) => q[b] - q[a]);
  expect(record.combined.top.map(([token]) => token)).toEqual(order.map((k) => ids[k][0]));
  expect(Math.abs(record.combined.chosenProbability - q[chosen])).toBeLessThan(1e-4);
  expect(record.plausibleCount).toBe(words.length);
  const baseArgmax = logits[0].indexOf(Math.max(...logits[0]));
  expect(record.changedByMethod, where).toBe(!ids[chosen].includes(baseArgmax));
  // Later steps: plain decoding on the base (the reference weighs 0).
  checkLane(h, lane, inputs, ([v, r]) => contrastive([v, r], [1, 0], 0, sampling.greedy ? 1 : sampling.temperature), sampling, { fromStep: 1 }); // prettier-ignore
  const plainBytes = PIPELINE_BYTES + INSPECTION_BYTES + (sampling.greedy ? 0 : 8);
  const answerBytes = 2 * words.length * 4;
  expect(lane.statistics.readbackBytes, `${where} readback`).toBe(
    PIPELINE_BYTES + answerBytes + INSPECTION_BYTES + (lane.tokens.length - 1) * plainBytes,
  );
  return { chosen, baseArgmax };
}

describe('Debias (calibrated) matches q_k ∝ p_k / p_cf_k at the answer step, plain decoding after', () => {
  const ready = harness('vlm');
  afterAll(async () => (await ready).dispose());

  test('greedy against no image and a mean-colour image, sampling against noise, and a non-answer', async () => {
    const h = await ready;
    const method = (answers: string, reference: CalibrationReference) => ({ method: 'debias-calibrate' as const, answers, reference }); // prettier-ignore
    const [none, mean, noise, other] = await h.run(
      [
        laneOf('greedy-none', method('n h', 'no-image')),
        laneOf('greedy-mean', method('n h', 'mean-colour')),
        laneOf('sampled-noise', method('n h cat', 'noise'), SAMPLING),
        laneOf('not-an-answer', method('a g', 'no-image')),
      ],
      3,
    );
    expect(none.inputs.map((input) => input.label)).toEqual(['image', 'no image']);
    expect(mean.inputs.map((input) => input.label)).toEqual(['image', 'meaningless image (mean colour)']);
    expect(noise.inputs[1].label).toBe(`meaningless image (noise, seed ${SEED})`);

    const kept = checkAnswerStep(h, none, ['n', 'h'], 'no-image', GREEDY);
    expect(kept).toEqual({ chosen: 0, baseArgmax: id('n') });
    const flipped = checkAnswerStep(h, mean, ['n', 'h'], 'mean-colour', GREEDY);
    expect(flipped).toEqual({ chosen: 1, baseArgmax: id('n') });
    expect(mean.tokens[0]).toMatchObject({ id: id('h'), changedByMethod: true });
    checkAnswerStep(h, noise, ['n', 'h', 'cat'], 'noise', SAMPLING);

    // The base argmax "n" is not an answer: the lane is plain decoding from the first token on.
    expect(other.tokens[0].extra?.calibration).toBe(NOT_APPLIED);
    expect(other.tokens[0].id).toBe(id('n'));
    const inputs = [{ model: 'main' as const, ids: h.ids(h.prompt, true), image: h.image }, referenceInput(h, 'no-image')]; // prettier-ignore
    checkLane(h, other, inputs, ([v, r]) => contrastive([v, r], [1, 0], 0), GREEDY);
    expect(other.statistics.readbackBytes).toBe(3 * (PIPELINE_BYTES + INSPECTION_BYTES));
  });
});
