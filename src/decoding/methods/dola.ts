// DoLa (Chuang et al., "DoLa: Decoding by Contrasting Layers Improves Factuality in Large Language
// Models", ICLR 2024) as a lane: contrast the final layer with the premature layer that diverges
// most from it, chosen anew every token from a bucket of logit-lens layers:
//
//   M    = argmax_{j in bucket} JS(q_N || q_j)
//   F(y) = log q_N(y) - alpha log q_M(y)        on V_head = { y : q_N(y) >= beta max_w q_N(w) }
//
// The step itself (premature-layer selection, fused combination, sampling) is DolaStep
// (src/decoding/layers/dola.ts, formula and interpretations in its header); this module wires it
// into the lane runner: ONE component (the undistorted input on the main model) whose forward
// captures the logit lens of the bucket's layers, and a custom stepper that hands DolaStep that
// component's rows in the observe phase (no forwards of its own).
// Record: two distributions (final layer q_N, and the chosen premature layer's lens q_M labelled
// "layer M (premature)"), so the lane's trace inputs are those two (LaneStepper.inputs); the
// combined distribution softmax(F / T) on V_head; extra = the premature layer and JS(q_N || q_j)
// per candidate layer ("js@j"). Readback per token: DolaStep's (16 bytes per candidate layer +
// the pipeline's 2-input summaries) + the inspection (ranks under 2 rows + combined, 1 divergence).
import { KernelInputError } from '../../gpu/errors';
import { LogitPipeline, type StepRow } from '../../kernels/logits/fused';
import type { ComponentInput } from '../../share/trace';
import { LaneInspector, type RowRef } from '../lanes/inspect';
import { combinationDecision } from '../lanes/record';
import {
  checkDolaConfig,
  dolaCandidateLayers,
  DolaStep,
  lensRow,
  type LolStep,
  type TokenChoice,
} from '../layers';
import type { DecodingMethod, ObservedStep, StepDecision, StepperSetup } from './types';

/**
 * The combined scores of a DoLa or LOL step's fused pipeline (its private member): ranked by the
 * inspector for a sampled token's rank in the combined distribution. Never read back.
 */
function combinedScores(step: DolaStep | LolStep): GPUBuffer {
  const pipeline = (step as unknown as { pipeline?: unknown }).pipeline;
  if (!(pipeline instanceof LogitPipeline))
    throw new Error('the layer step no longer exposes its pipeline: cannot rank the combined scores');
  return pipeline.combinedScores;
}

/** The lane's draw at `counter` (the lane's Philox stream, as the fused combination step). */
export function tokenChoice(setup: StepperSetup, counter: number): TokenChoice {
  return { sampling: setup.sampling, seed: setup.seed, stream: setup.stream, counter };
}

/**
 * A DoLa or LOL step's record: the pipeline's summaries, the token's rank under every row (and
 * under the combined scores when sampled), the divergences of every row from rows[0].
 */
export async function layerDecision(
  inspector: LaneInspector,
  observed: ObservedStep,
  step: DolaStep | LolStep,
  greedy: boolean,
  labels: readonly string[],
  rows: readonly RowRef[],
  row: StepRow,
  extra: Record<string, number>,
): Promise<StepDecision> {
  const token = row.tokens[0];
  const inspection = await inspector.inspect({
    rows,
    extraRows: greedy ? [] : [{ logits: combinedScores(step), row: 0, rows: 1 }],
    token,
  });
  observed.countReadback(inspection.bytes);
  const combinedRank = greedy ? 1 : inspection.extraRanks[0].rank;
  const decision = combinationDecision(labels, row, inspection.ranks, combinedRank, inspection.divergences);
  decision.record.extra = { ...extra, ...decision.record.extra };
  return decision;
}

/** A layer method's inspector (rows + the combined scores), destroying `step` if it fails. */
export async function layerInspector(setup: StepperSetup, rows: number, step: DolaStep | LolStep) {
  try {
    return await LaneInspector.create(setup.gpu, setup.vocab, rows + 1, `decode:${setup.laneId}`);
  } catch (cause) {
    step.destroy();
    throw cause;
  }
}

export const dola: DecodingMethod<'dola'> = {
  name: 'dola',
  components: (config, context) => {
    checkDolaConfig(config);
    return [
      {
        label: 'final layer',
        model: 'main',
        prompt: context.prompt,
        image: context.image,
        distortion: null,
        capture: { logitLensLayers: dolaCandidateLayers(context.numLayers, config.layers) },
      },
    ];
  },
  // One component: its weight only says the base enters as is. The step contrasts it with the
  // premature layer's lens (weights [1, -alpha]) inside DolaStep.
  combination: ({ beta }) => ({ weights: [1], beta }),
  async createStepper({ alpha, beta, layers }, setup) {
    const step = await DolaStep.create(setup.gpu, { vocab: setup.vocab, numLayers: setup.numLayers }, { alpha, beta, layers }); // prettier-ignore
    const inspector = await layerInspector(setup, 2, step);
    const chosen = new Map<number, number>();
    const candidates = step.candidateLayers.join(', ');
    return {
      get inputs(): ComponentInput[] {
        // The premature layer changes per token (each record's label names it); the lane's input
        // names the one most tokens used so far (the first candidate before any token).
        let layer = step.candidateLayers[0];
        for (const [l, n] of chosen) if (n > (chosen.get(layer) ?? 0)) layer = l;
        return [
          { label: 'final layer', model: 'main', distortion: null },
          {
            label: `premature layer (chosen per token among ${candidates})`,
            model: 'main',
            distortion: { kind: 'layer', layer },
          },
        ];
      },
      async observe(observed) {
        const [final] = observed.components;
        if (!final?.logitLens)
          throw new KernelInputError('DoLa: the forward returned no logit lens for this lane');
        const result = await step.step(final, tokenChoice(setup, observed.step));
        observed.countReadback(result.readbackBytes);
        const layer = result.prematureLayer;
        chosen.set(layer, (chosen.get(layer) ?? 0) + 1);
        const lensRows = final.logitLens.layers.length * final.rows;
        const rows: RowRef[] = [
          { logits: final.logits, row: final.row, rows: final.rows },
          { logits: final.logitLens.buffer, row: lensRow(final, layer), rows: lensRows },
        ];
        const labels = ['final layer', `layer ${layer} (premature)`];
        return layerDecision(inspector, observed, step, setup.sampling.greedy, labels, rows, result.row, result.extra); // prettier-ignore
      },
      dispose() {
        step.destroy();
        inspector.dispose();
      },
    };
  },
};
