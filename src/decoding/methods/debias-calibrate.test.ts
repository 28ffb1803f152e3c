// Debias (calibrated) without a GPU: answer words to token ids (Shapes and tiny tokenizers, and
// the refusals), the calibration of answer logits against calibration.ts, the answer choice, and
// the lane's planning (components per reference, setup errors naming the lane, prefill sharing).
import { describe, expect, test, vi } from 'vitest';
import { tinyTokenizerJson } from '../../model/loading/fixtures/tinyModels';
import { parseModelConfig } from '../../model/config';
import { TextTokenizer } from '../../model/tokenizer';
import { DEFAULT_WORLD, imageToFloat32, rasterize, sampleSceneAt, shapesTokenizerConfig, shapesTokenizerJson, tokenId } from '../../world'; // prettier-ignore
import {
  answerDistribution,
  applyDebiasCalibration,
  fitDebiasCalibration,
  meaninglessImage,
} from '../inputs';
import { answerForms, resolveAnswers } from './answers';
import type { MethodTokenizer } from './types';

// The engine's modules read WebGPU's constants at load time; Node has none.
vi.hoisted(() => {
  Object.assign(globalThis, {
    GPUBufferUsage: { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128 }, // prettier-ignore
    GPUMapMode: { READ: 1, WRITE: 2 },
  });
});
const { calibrateAnswers, chooseAnswer } = await import('./debias-calibrate');
const { planLanes, prefillEntries } = await import('../lanes/plan');
const { DecodeSetupError } = await import('../lanes/validate');
const { experiment, lane, SHAPES_VLM_CONFIG } = await import('../lanes/test-fakes');

const shapes = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());
const tiny = TextTokenizer.fromJson(tinyTokenizerJson(), { bos_token: '<s>', eos_token: '</s>' });
const YES = tokenId('yes')!;
const NO = tokenId('no')!;

describe('answer words to token ids', () => {
  test('forms: the word as typed first, then its other case, then the same with a leading space', () => {
    expect(answerForms('yes')).toEqual(['yes', 'Yes', ' yes', ' Yes']);
    expect(answerForms('Yes')).toEqual(['Yes', 'yes', ' Yes', ' yes']);
    expect(answerForms('B')).toEqual(['B', 'b', ' B', ' b']);
  });

  test('Shapes: "yes no" are the vocabulary\'s yes and no (its normaliser folds every form to one id)', () => {
    expect(resolveAnswers('yes no', shapes, 62)).toEqual([
      { word: 'yes', ids: [YES] },
      { word: 'no', ids: [NO] },
    ]);
    expect(resolveAnswers('  No\tYES ', shapes, 62)).toEqual([
      { word: 'No', ids: [NO] },
      { word: 'YES', ids: [YES] },
    ]);
  });

  test('forms that are unknown, special or several tokens are skipped', () => {
    // The tiny WordLevel vocabulary has "n" but no "N" (<unk>); " n" pre-tokenises to "n".
    expect(resolveAnswers('n cat', tiny, 33)).toEqual([
      { word: 'n', ids: [tiny.tokenToId('n')] },
      { word: 'cat', ids: [tiny.tokenToId('cat')] },
    ]);
  });

  test('an answer with no single-token form is refused, naming the word and the forms tried', () => {
    expect(() => resolveAnswers('yes maybe', shapes, 62)).toThrow(
      'the answer "maybe" has no single-token form (tried "maybe", "Maybe", " maybe", " Maybe")',
    );
    expect(() => resolveAnswers('<eos> no', shapes, 62)).toThrow(
      /the answer "<eos>" has no single-token form/,
    );
    expect(() => resolveAnswers('yes cat', tiny, 33)).toThrow(/the answer "yes" has no single-token form/);
  });

  test('two answers sharing a token id are refused', () => {
    const ids: Record<string, number> = { yes: 5, Yes: 6, ja: 6, Ja: 7 };
    const fake: MethodTokenizer = {
      encode: (text) => {
        const id = ids[text.trim()];
        return id === undefined ? [0] : [id];
      },
      isSpecial: () => false,
      unkTokenId: 0,
      idToToken: (id) => `t${id}`,
    };
    expect(() => resolveAnswers('yes ja', fake, 10)).toThrow(
      'the answers "yes" and "ja" share token 6 ("t6"), so its probability would count for both',
    );
    expect(() => resolveAnswers('yes YES', fake, 10)).toThrow('"YES" repeats the answer "yes"');
  });

  test('word-level problems come from the catalog check; ids beyond the logits are refused', () => {
    expect(() => resolveAnswers('yes', shapes, 62)).toThrow(/"yes" names 1 answer \(Debias \(calibrated\) answers allows 2 to 8 words/); // prettier-ignore
    expect(() => resolveAnswers('yes no', shapes, 20)).toThrow(
      /encodes to token 23, outside the model's 20 logits/,
    );
  });
});

describe('the calibration of answer logits', () => {
  const answers = [
    { word: 'yes', ids: [10, 11] },
    { word: 'no', ids: [12] },
  ];

  test('p, p_cf and q are calibration.ts on the answer tokens (q_k ∝ p_k / p_cf_k)', () => {
    const base = [2, 0.5, 1];
    const reference = [1.5, 1, -0.5];
    const { p, pCf, q } = calibrateAnswers(answers, base, reference);
    expect(p).toEqual(answerDistribution(base, [[0, 1], [2]]));
    expect(pCf).toEqual(answerDistribution(reference, [[0, 1], [2]]));
    expect(q).toEqual(applyDebiasCalibration(fitDebiasCalibration(pCf), p));
    const ratio = [p[0] / pCf[0], p[1] / pCf[1]];
    expect(q[0]).toBeCloseTo(ratio[0] / (ratio[0] + ratio[1]), 12);
    // The content-free input itself is mapped to uniform answers.
    expect(calibrateAnswers(answers, reference, reference).q).toEqual([0.5, 0.5]);
  });

  test('an answer impossible without the image cannot be calibrated', () => {
    expect(() => calibrateAnswers(answers, [1, 1, 1], [0, 0, -Infinity])).toThrow(
      /answer 1 has probability 0/,
    );
  });

  test('greedy takes the first maximum; sampling walks the cumulative q', () => {
    expect(chooseAnswer([0.2, 0.5, 0.3], null)).toBe(1);
    expect(chooseAnswer([0.5, 0.5], null)).toBe(0);
    expect(chooseAnswer([0.2, 0.5, 0.3], 0)).toBe(0);
    expect(chooseAnswer([0.2, 0.5, 0.3], 0.19999)).toBe(0);
    expect(chooseAnswer([0.2, 0.5, 0.3], 0.2)).toBe(1);
    expect(chooseAnswer([0.2, 0.5, 0.3], 0.7)).toBe(2);
    expect(chooseAnswer([0.2, 0.3, 0.4999999], 0.9999999)).toBe(2);
    expect(chooseAnswer([0.6, 0.3999, 0], 0.99995)).toBe(1);
  });
});

describe('planning a Debias (calibrated) lane', () => {
  const config = parseModelConfig(SHAPES_VLM_CONFIG);
  const vision = config.vision!;
  const image = imageToFloat32(rasterize(sampleSceneAt(DEFAULT_WORLD, 1, 0)));
  const models = { main: { name: 'shapes-vlm', config, parameterCount: 0, dtype: 'f32' as const, fileHashes: {}, gpuBytes: 0, readsImages: true } }; // prettier-ignore
  const plan = (lanes: Parameters<typeof experiment>[0]) =>
    planLanes({ experiment: experiment(lanes, { prompt: 'is there a red star ?' }), image, tokenizer: shapes, models }); // prettier-ignore

  test('components: the image, then the reference input', () => {
    const [none, mean, noise] = plan([
      lane('none', 'debias-calibrate'),
      lane('mean', 'debias-calibrate', {}, { reference: 'mean-colour' }),
      lane('noise', 'debias-calibrate', {}, { reference: 'noise' }),
    ]);
    for (const planned of [none, mean, noise]) {
      expect(planned.components[0]).toMatchObject({ label: 'image', image, distortion: null });
      expect(planned.combination).toEqual({ weights: [1, 0], beta: 0 });
    }
    expect(none.components[1]).toMatchObject({
      label: 'no image',
      image: null,
      distortion: { kind: 'no-image' },
    });
    expect(mean.components[1].image).toEqual(
      meaninglessImage('mean-colour', vision.imageSize, vision.imageSize),
    );
    expect(mean.components[1].label).toBe('meaningless image (mean colour)');
    // The experiment's seed (7 in these fakes), never the lane's.
    expect(noise.components[1].image).toEqual(meaninglessImage('noise', vision.imageSize, vision.imageSize, { seed: 7 })); // prettier-ignore
    expect(noise.components[1].label).toBe('meaningless image (noise, seed 7)');
  });

  test('the no-image reference shares its prefill with a Debias lane; the base with every lane', () => {
    const lanes = plan([lane('cal', 'debias-calibrate'), lane('debias', 'debias'), lane('plain', 'plain')]);
    expect(prefillEntries(lanes, () => true).map((e) => e.members)).toEqual([
      [{ lane: 0, component: 0 }, { lane: 1, component: 0 }, { lane: 2, component: 0 }],
      [{ lane: 0, component: 1 }, { lane: 1, component: 1 }],
    ]); // prettier-ignore
  });

  test('a bad answer word is a setup problem naming the lane', () => {
    const run = () =>
      plan([lane('ok', 'plain'), lane('cal', 'debias-calibrate', {}, { answers: 'yes perhaps' })]);
    expect(run).toThrow(DecodeSetupError);
    expect(run).toThrow(
      /lane 2 \(cal, Debias \(calibrated\)\): the answer "perhaps" has no single-token form/,
    );
    expect(() => plan([lane('a', 'debias-calibrate')].map((l) => ({ ...l, method: { ...l.method, answers: 'yes' } })))).toThrow(/lane 1 \(a, Debias \(calibrated\)\): its answers: "yes" names 1 answer/); // prettier-ignore
  });

  test('without an image it is refused like the other image methods', () => {
    expect(
      () =>
      planLanes({ experiment: experiment([lane('a', 'debias-calibrate')], { image: null }), image: null, tokenizer: shapes, models }), // prettier-ignore
    ).toThrow(/Debias \(calibrated\) contrasts views of the image, but this experiment has no image/);
  });
});
