// Debias sampling on the GPU vs the formula on the CPU reference:
//   softmax[(1 + a) log p(y | v, x) - a log p(y | x)] on V_head(beta), "no image" = the text-only prompt.
import { afterAll, describe, test } from 'vitest';
import { checkLane, contrastive, harness, laneOf } from './formula-testing';

describe('Debias matches (1+a) log p(y|v,x) - a log p(y|x) on V_head', () => {
  const ready = harness('vlm');
  afterAll(async () => (await ready).dispose());

  test('greedy (a = 1, beta = 0.1) and sampling (a = 0.5, beta = 0, T = 0.7, min-p 0.1)', async () => {
    const h = await ready;
    const sampling = { greedy: false, temperature: 0.7, topK: 0, topP: 1, minP: 0.1 };
    const [greedy, sampled] = await h.run([
      laneOf('greedy', { method: 'debias', alpha: 1, beta: 0.1 }),
      laneOf('sampled', { method: 'debias', alpha: 0.5, beta: 0 }, sampling),
    ]);
    const inputs = [
      { model: 'main' as const, ids: h.ids(h.prompt, true), image: h.image },
      { model: 'main' as const, ids: h.ids(h.prompt, false), image: null },
    ];
    checkLane(h, greedy, inputs, ([v, none]) => contrastive([v, none], [2, -1], 0.1), {
      ...sampling,
      greedy: true,
    });
    checkLane(h, sampled, inputs, ([v, none]) => contrastive([v, none], [1.5, -0.5], 0, 0.7), sampling);
  });
});
