// The committed Shapes default models (public/models/shapes-*): they load through the real loader
// from the dev server (as `npm run dev` loads them), and their model cards' evaluation numbers are
// recomputed on a small sample (seed EVAL_SEED, the first scenes/captions of the card's own
// sample). Quality bar of issue 5 asserted here: the expert's perplexity is clearly below the
// amateur's, and the draft agrees with the expert well enough for speculative decoding to pay off.
// The VLM's numbers are checked against its card only: the committed VLM does not yet beat chance
// on POPE (its card says so), so "better than chance" is not asserted until a VLM that does is
// trained.
import { afterAll, describe, expect, test } from 'vitest';
import { WgslModel } from '../model/engine/model';
import { loadModelFolder, urlSource } from '../model/loading';
import { testGpu } from '../testing/gpu';
import { draftAgreement, evaluateChair, evaluatePope, heldOutPerplexity } from './evaluate';
import { EVAL_SEED, RECIPES, type DefaultModelId } from './recipes';

const models = new Map<DefaultModelId, WgslModel>();
const cards = new Map<DefaultModelId, string>();

async function model(id: DefaultModelId): Promise<WgslModel> {
  const cached = models.get(id);
  if (cached) return cached;
  const recipe = RECIPES.find((r) => r.id === id)!;
  const base = `${location.origin}/models/${recipe.folder}/`;
  const folder = await loadModelFolder(urlSource(base));
  const gpu = await testGpu();
  const loaded = await WgslModel.create(
    gpu,
    folder.config,
    { get: (n) => folder.tensors.get(n)!.toFloat32() },
    {
      name: recipe.folder,
      weightDtype: 'f32',
    },
  );
  models.set(id, loaded);
  cards.set(id, await (await fetch(`${base}README.md`)).text());
  return loaded;
}

/** A number from the card: the first capture of `pattern`, as a fraction when it is a percentage. */
function cardNumber(id: DefaultModelId, pattern: RegExp): number {
  const match = pattern.exec(cards.get(id) ?? '');
  if (!match) throw new Error(`the ${id} card has no match for ${pattern}`);
  return match[1].endsWith('%') ? Number(match[1].slice(0, -1)) / 100 : Number(match[1]);
}

afterAll(() => {
  for (const m of models.values()) m.dispose();
});

describe('the Shapes default models', () => {
  test("the VLM's POPE numbers match its card on a small sample", async () => {
    const gpu = await testGpu();
    const vlm = await model('vlm');
    expect(vlm.capabilities.images).toBe(true);
    const pope = await evaluatePope(gpu, vlm, { scenes: 40, seed: EVAL_SEED });
    console.warn(
      `POPE (40 scenes): ${(['random', 'popular', 'adversarial'] as const)
        .map(
          (s) =>
            `${s} acc ${pope[s].accuracy.toFixed(3)} f1 ${pope[s].f1.toFixed(3)} yes ${pope[s].yesRatio.toFixed(3)}`,
        )
        .join('; ')}`,
    );
    for (const split of ['random', 'popular', 'adversarial'] as const) {
      const card = cardNumber('vlm', new RegExp(`\\| ${split} \\| \\d+ \\| ([\\d.]+%)`));
      expect(Math.abs(pope[split].accuracy - card), split).toBeLessThan(0.15);
    }
  });

  test("the VLM's captions name objects of the scene as often as its card says", async () => {
    const gpu = await testGpu();
    const chair = await evaluateChair(gpu, await model('vlm'), { scenes: 12, seed: EVAL_SEED });
    console.warn(
      `CHAIR (12 captions): CHAIR_i ${chair.chairI.toFixed(3)} CHAIR_s ${chair.chairS.toFixed(3)} recall ${chair.recall.toFixed(3)}`,
    );
    expect(chair.meanLength).toBeGreaterThan(3);
    const card = cardNumber('vlm', /recall of true objects ([\d.]+%)/);
    expect(Math.abs(chair.recall - card)).toBeLessThan(0.2);
  });

  test("the expert's held-out perplexity is clearly below the amateur's", async () => {
    const gpu = await testGpu();
    const expert = await heldOutPerplexity(gpu, await model('expert'), { captions: 64, seed: EVAL_SEED });
    const amateur = await heldOutPerplexity(gpu, await model('amateur'), { captions: 64, seed: EVAL_SEED });
    console.warn(`perplexity (64 captions): expert ${expert.toFixed(3)}, amateur ${amateur.toFixed(3)}`);
    expect(expert).toBeLessThan(0.85 * amateur);
    expect(Math.abs(expert / cardNumber('expert', /expert ([\d.]+) \(expert/) - 1)).toBeLessThan(0.15);
  });

  test('the draft agrees with the expert enough for speculative decoding', async () => {
    const gpu = await testGpu();
    const result = await draftAgreement(gpu, await model('draft'), await model('expert'), {
      captions: 64,
      seed: EVAL_SEED,
    });
    console.warn(
      `draft vs expert (64 captions): agreement ${result.greedyAgreement.toFixed(3)}, acceptance ${result.acceptanceRate.toFixed(3)}`,
    );
    expect(result.acceptanceRate).toBeGreaterThan(0.7);
    const card = cardNumber('draft', /expected speculative acceptance \(sum of min\(p, q\)\) ([\d.]+%)/);
    expect(Math.abs(result.acceptanceRate - card)).toBeLessThan(0.08);
  });
});
