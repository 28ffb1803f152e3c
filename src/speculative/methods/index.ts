// The method registry: the round strategy each speculative method runs (defaults: ../defaults.ts).
import type { LaneResources, RoundStrategy } from '../rounds/context';
import { TokenSampler } from '../sampler';
import type { SpeculativeMethod } from '../types';
import { JudgeRounds } from './judge';
import { ModelFreeRounds, promptLookupSource, trigramSource } from './model-free';
import { SpecDecPlusPlusRounds } from './specdecpp';
import { SpecTrRounds } from './spectr';
import { SpeculativeSamplingRounds } from './speculative-sampling';
import { EntropySwitchRounds, ForealRounds } from './switched';

/** The most rows of drafted logits a round of `method` writes (0: no draft model logits). */
export function draftLogitRows(method: SpeculativeMethod): number {
  switch (method.name) {
    case 'speculative':
    case 'judge':
      return method.draftLength;
    case 'spectr':
      return method.draftLength * method.candidates;
    case 'specdecpp':
      return method.maxDraftLength;
    default:
      return 0;
  }
}

export interface StrategySetup {
  resources: LaneResources;
  method: SpeculativeMethod;
  seed: number;
  /** FoReaL's sentence ends. */
  sentenceEnd: ReadonlySet<number>;
}

export async function createStrategy({
  resources,
  method,
  seed,
  sentenceEnd,
}: StrategySetup): Promise<RoundStrategy> {
  switch (method.name) {
    case 'speculative':
      return new SpeculativeSamplingRounds(resources, method);
    case 'spectr':
      return new SpecTrRounds(resources, method, await TokenSampler.create(resources.gpu, method.candidates, resources.vocab, resources.readback)); // prettier-ignore
    case 'specdecpp':
      return new SpecDecPlusPlusRounds(resources, method, seed);
    case 'prompt-lookup':
      return new ModelFreeRounds(resources, method.draftLength, promptLookupSource(method));
    case 'aded':
      return new ModelFreeRounds(resources, method.draftLength, trigramSource(resources.vocab));
    case 'entropy-switch':
      return new EntropySwitchRounds(resources, method);
    case 'foreal':
      return new ForealRounds(resources, method, sentenceEnd, seed);
    case 'judge':
      return new JudgeRounds(resources, method, seed);
  }
}
