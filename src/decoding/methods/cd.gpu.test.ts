// Contrastive Decoding on the GPU vs the formula on the CPU reference, expert and amateur being two
// tiny Llamas with different weights: softmax[(1 + a) log p_E(y) - a log p_A(y)] on V_head(beta).
import { afterAll, describe, test } from 'vitest';
import { checkLane, contrastive, harness, laneOf } from './formula-testing';

describe('CD matches (1+a) log p_E - a log p_A on V_head', () => {
  const ready = harness('text');
  afterAll(async () => (await ready).dispose());

  test('greedy (a = 1, beta = 0.1) and sampling (a = 0.5, beta = 0.1, T = 1, top-k 4)', async () => {
    const h = await ready;
    const sampling = { greedy: false, temperature: 1, topK: 4, topP: 1, minP: 0 };
    const [greedy, sampled] = await h.run([
      laneOf('greedy', { method: 'cd', alpha: 1, beta: 0.1 }),
      laneOf('sampled', { method: 'cd', alpha: 0.5, beta: 0.1 }, sampling),
    ]);
    const ids = h.ids(h.prompt, false);
    const inputs = [
      { model: 'main' as const, ids, image: null },
      { model: 'amateur' as const, ids, image: null },
    ];
    checkLane(h, greedy, inputs, ([e, a]) => contrastive([e, a], [2, -1], 0.1), {
      ...sampling,
      greedy: true,
    });
    checkLane(h, sampled, inputs, ([e, a]) => contrastive([e, a], [1.5, -0.5], 0.1), sampling);
  });
});
