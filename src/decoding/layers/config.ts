// DoLa's and LOL's parameters (MethodConfig 'dola' and 'lol' without the method name), their
// defaults and validation, and LOL's weights: plain data, no GPU, so the CPU references and the UI
// can use them. Formulas and the reasons for each default: ./dola.ts and ./lol.ts.
import { KernelInputError } from '../../gpu/errors';
import { checkLowerLayer, type DolaBucket } from './buckets';

export interface DolaConfig {
  /** Weight of the premature term; 1 = the paper's F. */
  alpha: number;
  /** Plausibility threshold on q_N; 0 turns the mask off. The paper uses 0.1. */
  beta: number;
  layers: DolaBucket;
}

export const DOLA_DEFAULTS: DolaConfig = { alpha: 1, beta: 0.1, layers: 'high' };

export function checkDolaConfig(config: DolaConfig): void {
  if (!Number.isFinite(config.alpha) || config.alpha < 0) {
    throw new KernelInputError(
      `DoLa alpha must be a finite number >= 0 (1 = the paper), got ${config.alpha}`,
    );
  }
  if (!(config.beta >= 0 && config.beta <= 1)) {
    throw new KernelInputError(`DoLa beta (plausibility threshold) must be in [0, 1], got ${config.beta}`);
  }
}

export interface LolConfig {
  alpha: number;
  beta: number;
  /** M: 1-based logit-lens layer of the original model, below its final layer. */
  lowerLayer: number;
  /** omega: weight of the lower-layer contrast. */
  lowerWeight: number;
}

export function lolDefaults(numLayers: number): LolConfig {
  return { alpha: 1, beta: 0.1, lowerLayer: Math.max(1, Math.floor(numLayers / 2)), lowerWeight: 0.5 };
}

/** Weights of [p_N, p'_N, q_M, q'_M'] in the fused combination. */
export function lolWeights(config: LolConfig): number[] {
  const { alpha, lowerWeight: omega } = config;
  return [1 + alpha, -alpha, omega * (1 + alpha), -omega * alpha];
}

export function checkLolConfig(config: LolConfig, numLayers: number): void {
  if (!Number.isFinite(config.alpha) || config.alpha < 0) {
    throw new KernelInputError(`LOL alpha must be a finite number >= 0, got ${config.alpha}`);
  }
  if (!(config.beta >= 0 && config.beta <= 1)) {
    throw new KernelInputError(`LOL beta (plausibility threshold) must be in [0, 1], got ${config.beta}`);
  }
  if (!Number.isFinite(config.lowerWeight) || config.lowerWeight < 0) {
    throw new KernelInputError(
      `LOL lower-layer weight must be a finite number >= 0, got ${config.lowerWeight}`,
    );
  }
  checkLowerLayer(config.lowerLayer, numLayers, 'original');
}
