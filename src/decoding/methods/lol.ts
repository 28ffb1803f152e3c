// LOL (Chen et al., "Lower Layer Matters: Alleviating Hallucination via Multi-Layer Fusion
// Contrastive Decoding with Truthfulness Refocused", 2024) as a lane: fuse the final-layer contrast
// of the original model against the amateur with the same contrast at a lower layer's logit lens:
//
//   F(y) = (1 + a) log p_N(y) - a log p'_N(y) + w [(1 + a) log q_M(y) - a log q'_M'(y)]  on V_head(beta)
//
// The step itself is LolStep (src/decoding/layers/lol.ts, formula and interpretations in its
// header); this module wires it into the lane runner with TWO components: the experiment's input
// on the main model (capturing the lens of layer M) and the same prompt on the amateur model (the
// catalog's `needs.amateur`; it keeps the image only if it reads images, as CD), capturing the lens
// of M' = M at the same relative depth. The stepper hands LolStep both rows in the observe phase.
// Record: four distributions [p_N, p'_N, q_M, q'_M'] (the lane's trace inputs, LaneStepper.inputs),
// the combined softmax(F / T) on V_head, divergences of each from p_N; extra = the two layers.
// Readback per token: the pipeline's 4-input summaries + the inspection (4 rows + combined, 3 pairs).
import { KernelInputError } from '../../gpu/errors';
import type { ComponentInput } from '../../share/trace';
import type { RowRef } from '../lanes/inspect';
import { checkLolConfig, lensRow, lolAmateurLayer, LolStep } from '../layers';
import { layerDecision, layerInspector, tokenChoice } from './dola';
import type { ComponentOutput, DecodingMethod } from './types';

function lensRef(output: ComponentOutput, layer: number): RowRef {
  if (!output.logitLens)
    throw new KernelInputError(`LOL: the ${output.model} forward returned no logit lens`);
  return { logits: output.logitLens.buffer, row: lensRow(output, layer), rows: output.logitLens.layers.length * output.rows }; // prettier-ignore
}

export const lol: DecodingMethod<'lol'> = {
  name: 'lol',
  components: (config, context) => {
    checkLolConfig(config, context.numLayers);
    if (context.amateurNumLayers === null)
      throw new Error('LOL contrasts against an amateur model, but none is loaded: load one or pick another method'); // prettier-ignore
    const amateurLayer = lolAmateurLayer(config.lowerLayer, context.numLayers, context.amateurNumLayers);
    return [
      {
        label: 'original',
        model: 'main',
        prompt: context.prompt,
        image: context.image,
        distortion: null,
        capture: { logitLensLayers: [config.lowerLayer] },
      },
      {
        label: 'amateur',
        model: 'amateur',
        prompt: context.prompt,
        image: context.amateurReadsImages ? context.image : null,
        distortion: null,
        capture: { logitLensLayers: [amateurLayer] },
      },
    ];
  },
  // Over the two components: the final-layer contrast. The lower-layer term is added inside LolStep.
  combination: ({ alpha, beta }) => ({ weights: [1 + alpha, -alpha], beta }),
  async createStepper({ alpha, beta, lowerLayer, lowerWeight }, setup) {
    const model = {
      vocab: setup.vocab,
      numLayers: setup.numLayers,
      ...(setup.amateurNumLayers === null ? {} : { amateurLayers: setup.amateurNumLayers }),
    };
    const step = await LolStep.create(setup.gpu, model, { alpha, beta, lowerLayer, lowerWeight });
    const inspector = await layerInspector(setup, 4, step);
    const labels = [
      'final layer',
      'amateur final layer',
      `layer ${lowerLayer}`,
      `amateur layer ${step.amateurLayer}`,
    ];
    const inputs: ComponentInput[] = [
      { label: labels[0], model: 'main', distortion: null },
      { label: labels[1], model: 'amateur', distortion: null },
      { label: labels[2], model: 'main', distortion: { kind: 'layer', layer: lowerLayer } },
      { label: labels[3], model: 'amateur', distortion: { kind: 'layer', layer: step.amateurLayer } },
    ];
    return {
      inputs,
      async observe(observed) {
        const [original, amateur] = observed.components;
        if (!original || !amateur)
          throw new Error('LOL: this step has no rows of the original or the amateur');
        const result = await step.step(original, amateur, tokenChoice(setup, observed.step));
        observed.countReadback(result.readbackBytes);
        const rows: RowRef[] = [
          { logits: original.logits, row: original.row, rows: original.rows },
          { logits: amateur.logits, row: amateur.row, rows: amateur.rows },
          lensRef(original, lowerLayer),
          lensRef(amateur, step.amateurLayer),
        ];
        return layerDecision(inspector, observed, step, setup.sampling.greedy, labels, rows, result.row, result.extra); // prettier-ignore
      },
      dispose() {
        step.destroy();
        inspector.dispose();
      },
    };
  },
};
