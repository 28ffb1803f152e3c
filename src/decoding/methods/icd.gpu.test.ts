// ICD / LQCD on the GPU vs the formula on the CPU reference:
//   softmax[(1 + a) log p(y | v, x) - a log p(y | v, x')] on V_head(beta), x' = disturbance + " " + x.
import { afterAll, describe, test } from 'vitest';
import { checkLane, contrastive, harness, laneOf } from './formula-testing';

describe("ICD matches (1+a) log p(y|v,x) - a log p(y|v,x') on V_head", () => {
  const ready = harness('vlm');
  afterAll(async () => (await ready).dispose());

  test('greedy, a = 2, beta = 0.05, a disturbance of known and unknown words', async () => {
    const h = await ready;
    const [lane] = await h.run([
      laneOf('icd', { method: 'icd', alpha: 2, beta: 0.05, disturbance: 'a b zebra' }),
    ]);
    const inputs = [h.prompt, `a b zebra ${h.prompt}`].map((text) => ({
      model: 'main' as const,
      ids: h.ids(text, true),
      image: h.image,
    }));
    checkLane(h, lane, inputs, ([x, disturbed]) => contrastive([x, disturbed], [3, -2], 0.05), {
      greedy: true,
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
    });
  });
});
