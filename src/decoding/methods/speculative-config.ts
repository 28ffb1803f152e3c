// From a Decode lane of method 'speculative' to the speculative engine's inputs (pure, no GPU):
// the variant's SpeculativeMethod, the engine's sampling settings and the lane's seed, with the
// engine's own checks (src/speculative/validate.ts) so a lane is refused in the Speculative tab's
// words. The Decode method (./speculative.ts) has the papers and the interpretations.
import type { Seed } from '../../kernels/random/philox';
import type { Experiment, LaneConfig, SamplingConfig, SpeculativeLaneMethod } from '../../share/experiment';
import { METHODS, SAMPLING_PARAMETERS, variantNeedsDraftModel } from '../../share/methods';
import type { SpeculativeMethod, SpeculativeSampling } from '../../speculative/types';
import { methodProblems } from '../../speculative/validate';

/** The engine's method for the lane's variant; only that variant's parameters are read. */
export function speculativeMethodOf(config: SpeculativeLaneMethod): SpeculativeMethod {
  const K = config.draftLength;
  switch (config.variant) {
    case 'speculative':
      return { name: 'speculative', draftLength: K };
    case 'spectr':
      // rho = 1 is the kernel's default floor: every rho* is at least 1, so it means "rho*".
      return {
        name: 'spectr',
        draftLength: K,
        candidates: config.candidates,
        ...(config.rho !== 1 ? { rho: config.rho } : {}),
      };
    case 'specdecpp':
      return {
        name: 'specdecpp',
        maxDraftLength: K,
        threshold: config.stopThreshold,
        stopRule: config.stopRule,
        learningRate: config.learningRate,
      };
    case 'prompt-lookup':
      return { name: 'prompt-lookup', draftLength: K, maxNgram: config.maxNgram, minNgram: config.minNgram };
    case 'aded':
      return { name: 'aded', draftLength: K };
    case 'entropy-switch':
      return { name: 'entropy-switch', window: config.window, threshold: config.entropyThreshold };
    case 'foreal':
      return { name: 'foreal', leaderTokens: config.leaderTokens, gate: config.gate };
    case 'judge':
      return {
        name: 'judge',
        draftLength: K,
        threshold: config.judgeThreshold,
        learningRate: config.learningRate,
      };
    default: {
      const unknown: never = config.variant;
      throw new Error(`unknown speculative variant ${JSON.stringify(unknown)}`);
    }
  }
}

/** The engine's problems with the lane's variant, in the Speculative tab's words (empty: fine). */
export function speculativeConfigProblems(config: SpeculativeLaneMethod): string[] {
  return methodProblems(speculativeMethodOf(config));
}

const FILTERS = ['topK', 'topP', 'minP'] as const;

/** The sampling filters a sampled speculative lane cannot apply (empty when greedy or all off). */
export function samplingFilterProblems(sampling: SamplingConfig): string[] {
  if (sampling.greedy) return [];
  return FILTERS.filter((name) => sampling[name] !== SAMPLING_PARAMETERS[name].default).map(
    (name) =>
      `${SAMPLING_PARAMETERS[name].label} is ${sampling[name]}, but speculative verification draws from the target's ` +
      `whole distribution at temperature T (the filters would change p and q): set it to ` +
      `${SAMPLING_PARAMETERS[name].default} (off) for this lane, or decode greedily`,
  );
}

/**
 * The engine's sampling: greedy as the lane's; when sampling, the lane's temperature for the
 * target AND the draft (the usual choice: q at the temperature p is drawn at). Throws the filter
 * problems (top-k, top-p, min-p) the verifier cannot apply.
 */
export function speculativeSamplingOf(sampling: SamplingConfig): SpeculativeSampling {
  const problems = samplingFilterProblems(sampling);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    greedy: sampling.greedy,
    temperature: sampling.temperature,
    draftTemperature: sampling.temperature,
  };
}

const TWO_POW_32 = 0x1_0000_0000;
/** 2^53 - 2^32: the seed's high word keeps 21 bits, so the engine's seed is a safe integer. */
const HIGH_BITS = 0x1f_ffff;

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The engine lane's seed (an integer in 0..2^53-1): a hash of the experiment seed and the lane's
 * Philox stream (FNV-1a of its id), so lanes with different ids draw differently and the same link
 * draws the same. The engine's own streams (draft, verification, target) run under this seed.
 */
export function laneSeed(seed: Seed, stream: number): number {
  const low = mix32(seed.lo ^ mix32(stream ^ 0x9e3779b9));
  const high = mix32(seed.hi ^ mix32(low ^ stream ^ 0x7f4a7c15)) & HIGH_BITS;
  return high * TWO_POW_32 + low;
}

/** Whether `lane` drafts with the amateur slot's model. */
export function draftsWithAmateur(lane: LaneConfig): boolean {
  return lane.method.method === 'speculative' && variantNeedsDraftModel(lane.method.variant);
}

/** Whether any lane reads the amateur slot: as a contrast (CD, LOL) or as a draft (Speculative). */
export function amateurInUse(experiment: Experiment): { contrast: boolean; draft: boolean } {
  return {
    contrast: experiment.lanes.some((lane) => METHODS[lane.method.method].needs.amateur),
    draft: experiment.lanes.some(draftsWithAmateur),
  };
}

/**
 * What the speculative engine refuses in a lane that the catalog's ranges allow (SpecTr's rho above
 * k, prompt lookup's n-grams the wrong way round, sampling filters) and a missing draft model.
 * Empty for other methods, and while a field still has a range problem (that one shows first).
 */
export function speculativeLaneProblems(
  lane: LaneConfig,
  experiment: Experiment,
  hasFieldProblems: boolean,
): string[] {
  if (lane.method.method !== 'speculative') return [];
  const problems: string[] = [];
  if (draftsWithAmateur(lane) && !experiment.models.amateur)
    problems.push(`the ${lane.method.variant} variant drafts with the amateur slot's model: choose a draft under Models (shapes-draft for shapes-expert)`); // prettier-ignore
  if (!hasFieldProblems) problems.push(...speculativeConfigProblems(lane.method), ...samplingFilterProblems(lane.sampling)); // prettier-ignore
  return problems;
}
