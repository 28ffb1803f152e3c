// RITUAL on the GPU vs the formula on the CPU reference:
//   l(y | v, x) + a_pos l(y | T(v), x) - a_neg l(y | v_noise, x)  on V_head(beta) (log-probabilities),
// alone (a_neg = 0: two components) and with VCD's noised view (three components).
import { afterAll, describe, expect, test } from 'vitest';
import { applyTransform, diffusionNoise, randomTransform } from '../inputs';
import { SEED, checkLane, contrastive, harness, laneOf } from './formula-testing';

const GREEDY = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0 };

describe('RITUAL matches l(y|v) + a_pos l(y|T(v)) - a_neg l(y|v_noise) on V_head', () => {
  const ready = harness('vlm');
  afterAll(async () => (await ready).dispose());

  test('alone (a_pos = 3) and with VCD (a_pos = 2, a_neg = 1, t = 500)', async () => {
    const h = await ready;
    const [alone, withVcd] = await h.run([
      laneOf('ritual', { method: 'ritual', alphaPos: 3, alphaNeg: 0, beta: 0.1, noiseStep: 500 }),
      laneOf('ritual-vcd', { method: 'ritual', alphaPos: 2, alphaNeg: 1, beta: 0.1, noiseStep: 500 }),
    ]);
    const image = h.image!;
    const size = Math.round(Math.sqrt(image.length / 3));
    const transformed = applyTransform(image, size, size, randomTransform(SEED, size, size));
    const view = (v: Float32Array) => ({ model: 'main' as const, ids: h.ids(h.prompt, true), image: v });
    expect(alone.inputs.map((i) => i.distortion?.kind ?? null)).toEqual([null, 'transform']);
    expect(withVcd.inputs.map((i) => i.distortion?.kind ?? null)).toEqual([null, 'transform', 'noise']);
    checkLane(
      h,
      alone,
      [view(image), view(transformed)],
      ([o, t]) => contrastive([o, t], [1, 3], 0.1),
      GREEDY,
    );
    const noised = diffusionNoise(image, 500, SEED);
    checkLane(h, withVcd, [view(image), view(transformed), view(noised)], (l) => contrastive(l, [1, 2, -1], 0.1), GREEDY); // prettier-ignore
  });
});
