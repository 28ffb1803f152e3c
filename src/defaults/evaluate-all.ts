// Evaluates the four Shapes default models together (./evaluate.ts) and writes each model card's
// evaluation section: the VLM's POPE and CHAIR, the expert's and amateur's held-out perplexity, the
// draft's agreement with the expert. Seeds: EVAL_SEED (./recipes.ts), never used in training.
import type { Gpu } from '../gpu/runtime';
import type { WgslModel } from '../model/engine/model';
import { draftAgreement, evaluateChair, evaluatePope, heldOutPerplexity } from './evaluate';
import { EVAL_SEED, TRAIN_SEED, type DefaultModelId } from './recipes';

export type DefaultModels = Partial<Record<DefaultModelId, WgslModel>>;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function evaluateModels(
  gpu: Gpu,
  models: DefaultModels,
  options: { scenes: number; log: (line: string) => void },
): Promise<Map<DefaultModelId, string[]>> {
  const { scenes, log } = options;
  const cards = new Map<DefaultModelId, string[]>();
  if (models.vlm) cards.set('vlm', await vlmSection(gpu, models.vlm, scenes, log));
  if (models.expert && models.amateur && models.draft) {
    for (const [id, lines] of await languageModelSections(
      gpu,
      models.expert,
      models.amateur,
      models.draft,
      scenes * 2,
      log,
    ))
      cards.set(id, lines);
  }
  return cards;
}

async function vlmSection(
  gpu: Gpu,
  model: WgslModel,
  scenes: number,
  log: (line: string) => void,
): Promise<string[]> {
  log(`evaluating POPE on ${scenes} scenes per split`);
  const pope = await evaluatePope(gpu, model, { scenes, seed: EVAL_SEED });
  log(`evaluating CHAIR on ${scenes} captions`);
  const chair = await evaluateChair(gpu, model, { scenes, seed: EVAL_SEED });
  const popeTable = [
    '| POPE split | questions | accuracy | precision | recall | F1 | yes-ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...(['random', 'popular', 'adversarial'] as const).map((split) => {
      const r = pope[split];
      return `| ${split} | ${r.questions} | ${pct(r.accuracy)} | ${pct(r.precision)} | ${pct(r.recall)} | ${pct(r.f1)} | ${pct(r.yesRatio)} |`;
    }),
  ];
  return [
    `Measured on scenes from seed ${EVAL_SEED} (the training distribution; POPE's popular and adversarial`,
    `negatives come from the statistics of training scenes, seed ${TRAIN_SEED}).`,
    '',
    ...popeTable,
    '',
    `CHAIR on ${chair.captions} greedy captions: CHAIR_i ${pct(chair.chairI)}, CHAIR_s ${pct(chair.chairS)}, ` +
      `recall of true objects ${pct(chair.recall)}, mean length ${chair.meanLength.toFixed(1)} words.`,
    '',
    'Examples (greedy):',
    '',
    ...chair.examples.slice(0, 3).map((e) => `- ${e.caption}`),
  ];
}

async function languageModelSections(
  gpu: Gpu,
  expert: WgslModel,
  amateur: WgslModel,
  draftModel: WgslModel,
  captions: number,
  log: (line: string) => void,
): Promise<Map<DefaultModelId, string[]>> {
  log(`evaluating perplexity on ${captions} held-out captions`);
  const perplexity = {
    expert: await heldOutPerplexity(gpu, expert, { captions, seed: EVAL_SEED }),
    amateur: await heldOutPerplexity(gpu, amateur, { captions, seed: EVAL_SEED }),
    draft: await heldOutPerplexity(gpu, draftModel, { captions, seed: EVAL_SEED }),
  };
  log('evaluating draft agreement');
  const agreement = await draftAgreement(gpu, draftModel, expert, { captions, seed: EVAL_SEED });
  const perplexityLine = (id: 'expert' | 'amateur' | 'draft') =>
    `Held-out perplexity per token (${captions} captions, seed ${EVAL_SEED}): ${id} ${perplexity[id].toFixed(3)}` +
    (id === 'draft'
      ? ''
      : ` (expert ${perplexity.expert.toFixed(3)}, amateur ${perplexity.amateur.toFixed(3)})`) +
    '.';
  const draft = [
    perplexityLine('draft'),
    '',
    `Against the expert, teacher-forced on ${agreement.positions} held-out caption positions: greedy agreement ` +
      `${pct(agreement.greedyAgreement)}, expected speculative acceptance (sum of min(p, q)) ${pct(agreement.acceptanceRate)}.`,
  ];
  return new Map([
    ['expert', [perplexityLine('expert')]],
    ['amateur', [perplexityLine('amateur')]],
    ['draft', draft],
  ]);
}
