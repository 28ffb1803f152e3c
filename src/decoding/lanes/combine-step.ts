// The default lane step (every method without a custom step): the fused logit pipeline over the
// lane's component rows (combination, plausibility mask, temperature, top-k/top-p/min-p, seeded
// sampling; src/kernels/logits/fused.ts), then the lane inspection (ranks, divergences).
// Readback per token: the pipeline's summaries, decision and token, (C + 1) x 128 + 40 bytes for
// C components, plus the inspection's (C + 1) x 8 + (C - 1) x 48 (greedy skips the combined rank:
// 8 bytes less). Nothing scales with the vocabulary.
// Sampling: Philox4x32-10 at (experiment seed, the lane's stream, counter = the lane's step).
import { LogitPipeline, type StepParams } from '../../kernels/logits/fused';
import type { LaneStepper, StepperSetup } from '../methods/types';
import { LaneInspector } from './inspect';
import { combinationDecision } from './record';

/** The pipeline's step parameters for a lane (the counter is set per step). */
export function stepParams(setup: StepperSetup): StepParams {
  const { sampling, combination, vocab } = setup;
  return {
    weights: combination.weights,
    baseInput: 0,
    beta: combination.beta,
    // Greedy takes the argmax of the combined score; temperature is not applied (as generate()).
    temperature: sampling.greedy ? 1 : sampling.temperature,
    // k >= vocab keeps everything: the same as off (the catalog's top-k range exceeds any vocabulary).
    topK: sampling.topK >= vocab ? 0 : sampling.topK,
    topP: sampling.topP,
    minP: sampling.minP,
    greedy: sampling.greedy,
    seed: setup.seed,
    streamBase: setup.stream,
    counter: 0,
    draws: 1,
  };
}

export async function combinationStepper(setup: StepperSetup): Promise<LaneStepper> {
  const { gpu, vocab, components } = setup;
  const labels = components.map((c) => c.label);
  const params = stepParams(setup);
  const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab }, components.length);
  let inspector: LaneInspector;
  try {
    inspector = await LaneInspector.create(gpu, vocab, components.length + 1, `decode:${setup.laneId}`);
  } catch (cause) {
    pipeline.destroy();
    throw cause;
  }
  return {
    async observe({ step, components: outputs, countReadback }) {
      const result = await pipeline.step(
        outputs.map((output) => ({ buffer: output.logits, rowOffset: output.row })),
        { ...params, counter: step },
      );
      countReadback(pipeline.readbackBytes);
      const row = result.rows[0];
      const inspection = await inspector.inspect({
        rows: outputs.map(({ logits, row: r, rows }) => ({ logits, row: r, rows })),
        extraRows: params.greedy ? [] : [{ logits: pipeline.combinedScores, row: 0, rows: 1 }],
        token: row.tokens[0],
      });
      countReadback(inspection.bytes);
      const combinedRank = params.greedy ? 1 : inspection.extraRanks[0].rank;
      return combinationDecision(labels, row, inspection.ranks, combinedRank, inspection.divergences);
    },
    dispose() {
      pipeline.destroy();
      inspector.dispose();
    },
  };
}
