// LOL: Chen et al., "Lower Layer Matters: Alleviating Hallucination via Multi-Layer Fusion
// Contrastive Decoding with Truthfulness Refocused" (arXiv 2408.08769).
//
// LOL builds on contrastive decoding between the original model and an amateur with induced
// hallucinations (ICD, Zhang et al., "Alleviating Hallucinations of Large Language Models through
// Induced Hallucinations") and fuses the contrast of the final layer with the contrast of a lower
// layer's early exit (the logit lens q_j = softmax(lm_head(norm(h_j)))):
//
//   F_final(x) = (1 + alpha) log p_N(x)  - alpha log p'_N(x)       original vs amateur, final layer
//   F_lower(x) = (1 + alpha) log q_M(x)  - alpha log q'_M'(x)      the same at the lower layer M
//   F(x)       = F_final(x) + omega * F_lower(x)                   for x in V_head, -inf elsewhere
//   V_head     = { x : p_N(x) >= beta * max_w p_N(w) }             the original's final distribution
//   token      = argmax F (greedy), or a sample of softmax(F / T) after top-k / top-p / min-p
//
// i.e. the fused pipeline with inputs [p_N, p'_N, q_M, q'_M'] and weights
// [1 + alpha, -alpha, omega (1 + alpha), -omega alpha], mask base p_N.
// MethodConfig lol: alpha, beta, lowerLayer = M (1-based logit-lens layer, 1..L-1), lowerWeight = omega.
// Interpretations (the paper's method section and code were not available to us; the abstract,
// METHODS.md and ICD fix the structure, the weights below are ours):
// - Each layer's term has ICD's (1 + alpha) / -alpha form; omega weighs the lower-layer term.
// - The amateur is whatever the runner contrasts against: the experiment's amateur model when it has
//   one (the Shapes amateur stands in for ICD's hallucination-induced model, which we do not train),
//   otherwise the same model on a distorted input (ICD-style disturbed prompt) in the same forward.
//   A different-depth amateur uses its layer at the same relative depth (lolAmateurLayer).
// - The truthfulness-refocused module (instruction guidance) is not implemented.
// - Defaults (ours, not the paper's): alpha 1, beta 0.1 (the contrastive family's), omega 0.5,
//   lowerLayer floor(L / 2).
// Per token: no readback beyond the fused pipeline's (4 input summaries + combined, see
// readbackBytes). The forwards' buffers are read in step()'s first submission, before it awaits.
import type { Gpu } from '../../gpu/runtime';
import { LogitPipeline, type StepRow } from '../../kernels/logits/fused';
import type { ForwardCapture } from '../../model/interface';
import { lolAmateurLayer } from './buckets';
import { checkLolConfig, lolDefaults, lolWeights, type LolConfig } from './config';
import { pipelineReadbackBytes, stepParams, type TokenChoice } from './choice';
import { lensRow, type LayerSource } from './source';

export interface LolStepResult {
  token: number;
  probability: number;
  /** Summaries: inputs = [p_N, p'_N, q_M, q'_M'], combined = softmax(F / T) on V_head. */
  row: StepRow;
  readbackBytes: number;
  extra: Record<string, number>;
}

export class LolStep {
  /** Capture of the original model's forward. */
  readonly capture: ForwardCapture;
  /** Capture of the amateur's forward (the same as `capture` when the amateur is the same model). */
  readonly amateurCapture: ForwardCapture;
  readonly amateurLayer: number;
  readonly weights: readonly number[];

  private constructor(
    readonly config: LolConfig,
    amateurLayer: number,
    private readonly pipeline: LogitPipeline,
  ) {
    this.amateurLayer = amateurLayer;
    this.capture = { logitLensLayers: [config.lowerLayer] };
    this.amateurCapture = { logitLensLayers: [amateurLayer] };
    this.weights = lolWeights(config);
  }

  /** `amateurLayers`: depth of the amateur (the original's when it is a distorted input). */
  static async create(
    gpu: Gpu,
    model: { vocab: number; numLayers: number; amateurLayers?: number },
    config: LolConfig = lolDefaults(model.numLayers),
  ): Promise<LolStep> {
    checkLolConfig(config, model.numLayers);
    const amateurLayer = lolAmateurLayer(
      config.lowerLayer,
      model.numLayers,
      model.amateurLayers ?? model.numLayers,
    );
    const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: model.vocab }, 4);
    return new LolStep(config, amateurLayer, pipeline);
  }

  get readbackBytes(): number {
    return pipelineReadbackBytes(4);
  }

  /** `original` and `amateur` may be the same forward (a distorted input in the same batch). */
  async step(original: LayerSource, amateur: LayerSource, choice: TokenChoice): Promise<LolStepResult> {
    const originalLens = lensRow(original, this.config.lowerLayer);
    const amateurLens = lensRow(amateur, this.amateurLayer);
    const result = await this.pipeline.step(
      [
        { buffer: original.logits, rowOffset: original.row },
        { buffer: amateur.logits, rowOffset: amateur.row },
        { buffer: original.logitLens!.buffer, rowOffset: originalLens },
        { buffer: amateur.logitLens!.buffer, rowOffset: amateurLens },
      ],
      stepParams(this.weights, this.config.beta, choice),
    );
    const row = result.rows[0];
    return {
      token: row.tokens[0],
      probability: row.tokenProbs[0],
      row,
      readbackBytes: this.readbackBytes,
      extra: { lowerLayer: this.config.lowerLayer, amateurLayer: this.amateurLayer },
    };
  }

  destroy(): void {
    this.pipeline.destroy();
  }
}
