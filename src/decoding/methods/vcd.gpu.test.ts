// VCD on the GPU vs the paper's formula on the CPU reference:
//   softmax[(1 + a) log p(y | v, x) - a log p(y | v', x)] on V_head(beta), v' = diffusion noise at step t.
import { afterAll, describe, test } from 'vitest';
import { diffusionNoise } from '../inputs';
import { SEED, checkLane, contrastive, harness, laneOf } from './formula-testing';

describe("VCD matches (1+a) log p(y|v,x) - a log p(y|v',x) on V_head", () => {
  const ready = harness('vlm');
  afterAll(async () => (await ready).dispose());

  test('greedy (a = 1.5, beta = 0.1, t = 500) and sampling (a = 1, beta = 0.2, t = 999, T = 1.3)', async () => {
    const h = await ready;
    const sampling = { greedy: false, temperature: 1.3, topK: 0, topP: 0.95, minP: 0 };
    const [greedy, sampled] = await h.run([
      laneOf('greedy', { method: 'vcd', alpha: 1.5, beta: 0.1, noiseStep: 500 }),
      laneOf('sampled', { method: 'vcd', alpha: 1, beta: 0.2, noiseStep: 999 }, sampling),
    ]);
    const image = h.image!;
    const views = (t: number) =>
      [image, diffusionNoise(image, t, SEED)].map((v) => ({ model: 'main' as const, ids: h.ids(h.prompt, true), image: v })); // prettier-ignore
    checkLane(h, greedy, views(500), ([o, n]) => contrastive([o, n], [2.5, -1.5], 0.1), {
      ...sampling,
      greedy: true,
    });
    checkLane(h, sampled, views(999), ([o, n]) => contrastive([o, n], [2, -1], 0.2, 1.3), sampling);
  });
});
