// Plain decoding on the GPU vs its formula on the CPU reference: greedy is argmax softmax(l); sampling
// draws from softmax(l / T) truncated by top-k, top-p and min-p in Hugging Face's order.
import { afterAll, describe, test } from 'vitest';
import { checkLane, contrastive, harness, laneOf } from './formula-testing';

describe('plain lanes match p(y | v, x) and the sampling filters', () => {
  const ready = harness('vlm');
  afterAll(async () => (await ready).dispose());

  test('greedy and filtered sampling, step by step', async () => {
    const h = await ready;
    const sampling = { greedy: false, temperature: 0.8, topK: 6, topP: 0.9, minP: 0.05 };
    const [greedy, sampled] = await h.run([
      laneOf('greedy', { method: 'plain' }),
      laneOf('sampled', { method: 'plain' }, sampling),
    ]);
    const inputs = [{ model: 'main' as const, ids: h.ids(h.prompt, true), image: h.image }];
    checkLane(h, greedy, inputs, ([logp]) => contrastive([logp], [1], 0), { ...sampling, greedy: true });
    checkLane(h, sampled, inputs, ([logp]) => contrastive([logp], [1], 0, 0.8), sampling);
  });
});
