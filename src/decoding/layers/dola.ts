// DoLa: Chuang et al., "DoLa: Decoding by Contrasting Layers Improves Factuality in Large Language
// Models" (ICLR 2024).
//
//   q_j(x)  = softmax(lm_head(norm(h_j)))(x)          the logit lens of layer j; q_N = the model's output
//   M       = argmax_{j in bucket} JS(q_N || q_j)      the premature layer, chosen anew every token
//   F(x)    = log q_N(x) - alpha * log q_M(x)          for x in V_head
//   V_head  = { x : q_N(x) >= beta * max_w q_N(w) }    adaptive plausibility constraint; F = -inf elsewhere
//   token   = argmax F (greedy), or a sample of softmax(F / T) after top-k / top-p / min-p
//
// Paper defaults: the plausibility threshold (the paper's alpha) 0.1, greedy decoding, buckets of
// even layers chosen per task on a validation set, and a repetition penalty of 1.2 for open-ended
// generation (Hugging Face warns below 1.2).
// Interpretations:
// - MethodConfig's `beta` is the paper's plausibility threshold (named beta across our contrastive
//   family); MethodConfig's `alpha` scales the premature term: alpha = 1 (our default) is the
//   paper's F exactly, alpha = 0 is plain decoding under the mask. Log-probabilities, not logits,
//   are combined (softmax is shift-invariant, so for alpha = 1 this is the paper's score up to a
//   constant per row; Hugging Face's _relative_top_filter also combines log-softmaxes).
// - The logit lens applies the final norm before the head, as the reference code's early exits do
//   (Hugging Face's built-in DoLa applies lm_head to the raw hidden state).
// - Buckets for any depth, layer 0 excluded: ./buckets.ts.
// - No repetition penalty: it is a logits processor that the paper adds on top of DoLa, not part of
//   F, and the fused pipeline has none; lanes compare the methods without it.
// - JS ties go to the lowest layer (torch.argmax takes the first maximum).
//
// Per token: the runner runs the forward with `capture` (logit lens of the candidate layers), then
// step(): one divergence submission mapping back 16 bytes per candidate layer, then one fused
// pipeline step mapping back its summaries (see readbackBytes). The forward's buffers must stay
// valid until step() resolves: run no other forward of this model in between.
import type { Gpu } from '../../gpu/runtime';
import { LogitPipeline, type StepRow } from '../../kernels/logits/fused';
import type { ForwardCapture } from '../../model/interface';
import { dolaCandidateLayers } from './buckets';
import { checkDolaConfig, DOLA_DEFAULTS, type DolaConfig } from './config';
import { pipelineReadbackBytes, stepParams, type TokenChoice } from './choice';
import { PREMATURE_BYTES_PER_LAYER, PrematureLayerSelector } from './premature';
import { lensRow, type LayerSource } from './source';

export interface DolaStepResult {
  token: number;
  /** The token's probability under the distribution it was chosen from. */
  probability: number;
  /** Pipeline summaries: inputs[0] = q_N, inputs[1] = q_M, combined = softmax(F / T) on V_head. */
  row: StepRow;
  prematureLayer: number;
  jsByLayer: { layer: number; js: number }[];
  /** Bytes mapped back from the GPU for this token. */
  readbackBytes: number;
  /** For TokenRecord.extra: the premature layer and JS(q_N || q_j) per candidate. */
  extra: Record<string, number>;
}

export class DolaStep {
  readonly candidateLayers: readonly number[];
  /** What the runner must capture in the lane's forward. */
  readonly capture: ForwardCapture;

  private constructor(
    readonly config: DolaConfig,
    candidateLayers: number[],
    private readonly selector: PrematureLayerSelector,
    private readonly pipeline: LogitPipeline,
  ) {
    this.candidateLayers = candidateLayers;
    this.capture = { logitLensLayers: candidateLayers };
  }

  static async create(
    gpu: Gpu,
    model: { vocab: number; numLayers: number },
    config: DolaConfig = DOLA_DEFAULTS,
  ): Promise<DolaStep> {
    checkDolaConfig(config);
    const layers = dolaCandidateLayers(model.numLayers, config.layers);
    const selector = await PrematureLayerSelector.create(gpu, model.vocab, layers.length);
    try {
      const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: model.vocab }, 2);
      return new DolaStep(config, layers, selector, pipeline);
    } catch (cause) {
      selector.destroy();
      throw cause;
    }
  }

  /** Bytes mapped back per token. */
  get readbackBytes(): number {
    return this.candidateLayers.length * PREMATURE_BYTES_PER_LAYER + pipelineReadbackBytes(2);
  }

  async step(source: LayerSource, choice: TokenChoice): Promise<DolaStepResult> {
    const candidateRows = this.candidateLayers.map((layer) => lensRow(source, layer));
    const lens = source.logitLens!; // lensRow() checked it
    const { index, js } = await this.selector.select({
      final: source.logits,
      finalRows: source.rows,
      finalRow: source.row,
      lens: lens.buffer,
      lensRows: lens.layers.length * source.rows,
      candidateRows,
    });
    const result = await this.pipeline.step(
      [
        { buffer: source.logits, rowOffset: source.row },
        { buffer: lens.buffer, rowOffset: candidateRows[index] },
      ],
      stepParams([1, -this.config.alpha], this.config.beta, choice),
    );
    const row = result.rows[0];
    const prematureLayer = this.candidateLayers[index];
    const jsByLayer = this.candidateLayers.map((layer, k) => ({ layer, js: js[k] }));
    const extra: Record<string, number> = { prematureLayer };
    for (const { layer, js: value } of jsByLayer) extra[`js@${layer}`] = value;
    return {
      token: row.tokens[0],
      probability: row.tokenProbs[0],
      row,
      prematureLayer,
      jsByLayer,
      readbackBytes: this.readbackBytes,
      extra,
    };
  }

  destroy(): void {
    this.selector.destroy();
    this.pipeline.destroy();
  }
}
