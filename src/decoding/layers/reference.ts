// The spec of DoLa and LOL (formulas in ./dola.ts and ./lol.ts): plain f64 loops on rows of logits,
// built from the kernels' references (divergence, combination, thresholds, sampling), so that a GPU
// step can be checked token for token against a CPU evaluation of the paper's formula.
import { jsDivergence } from '../../kernels/divergence/reference';
import {
  combineReference,
  rowStatsReference,
  sampleReference,
  thresholdsReference,
} from '../../kernels/logits/reference';
import type { RowSummary } from '../../kernels/logits/layout';
import type { TokenChoice } from './choice';
import { stepParams } from './choice';
import { lolWeights, type DolaConfig, type LolConfig } from './config';

export interface ReferenceStep {
  /** Combined score per token after mask and temperature (-Infinity outside V_head). */
  combined: Float32Array;
  /** Its summary (top-10 probabilities, entropy, |V_head| = finiteCount). */
  summary: RowSummary;
  /** The token the GPU must choose (null when sampling finds no token). */
  token: number | null;
}

/** Token from a combined row: argmax (greedy) or the pipeline's seeded inverse-CDF sample. */
export function chooseReference(combined: Float32Array, choice: TokenChoice): ReferenceStep {
  const summary = rowStatsReference(combined);
  if (choice.sampling.greedy) return { combined, summary, token: summary.argmax };
  const params = stepParams([1], 0, choice);
  const { thresholdKey } = thresholdsReference(combined, summary.lse, params);
  const { token } = sampleReference(
    combined,
    summary.lse,
    thresholdKey,
    choice.seed,
    choice.stream,
    choice.counter,
  );
  return { combined, summary, token };
}

export interface DolaReference extends ReferenceStep {
  prematureLayer: number;
  jsByLayer: { layer: number; js: number }[];
}

/**
 * DoLa on one position: `final` = the model's logits (q_N), `lens.get(j)` = the logit lens of layer
 * j for every candidate layer in `layers` (ascending).
 */
export function dolaReference(
  final: ArrayLike<number>,
  lens: ReadonlyMap<number, ArrayLike<number>>,
  layers: readonly number[],
  config: DolaConfig,
  choice: TokenChoice,
): DolaReference {
  const jsByLayer = layers.map((layer) => {
    const row = lens.get(layer);
    if (!row) throw new Error(`DoLa reference: no logit lens for layer ${layer}`);
    return { layer, js: jsDivergence(final, row) };
  });
  let best = 0;
  jsByLayer.forEach(({ js }, k) => {
    if (js > jsByLayer[best].js) best = k;
  });
  const prematureLayer = layers[best];
  const params = stepParams([1, -config.alpha], config.beta, choice);
  const combined = combineReference([final, lens.get(prematureLayer)!], params);
  return { ...chooseReference(combined, choice), prematureLayer, jsByLayer };
}

export interface LolRows {
  /** p_N: the original model's logits. */
  final: ArrayLike<number>;
  /** p'_N: the amateur's logits. */
  amateurFinal: ArrayLike<number>;
  /** q_M: the original's logit lens at the lower layer. */
  lower: ArrayLike<number>;
  /** q'_M': the amateur's logit lens at its lower layer. */
  amateurLower: ArrayLike<number>;
}

/** LOL on one position: F = F_final + omega F_lower on V_head (see ./lol.ts). */
export function lolReference(rows: LolRows, config: LolConfig, choice: TokenChoice): ReferenceStep {
  const params = stepParams(lolWeights(config), config.beta, choice);
  const combined = combineReference([rows.final, rows.amateurFinal, rows.lower, rows.amateurLower], params);
  return chooseReference(combined, choice);
}
