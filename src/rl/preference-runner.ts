// Headless preference runs on the GPU: DPO (./dpo.ts), robust DPO (./robust-dpo.ts) or D2O
// (./d2o.ts) steps over a fixed preference set (./preferences.ts), one micro-batch per step.
// The reference is the policy at its initial weights: the set is fixed, so its sequence log-probs
// are computed once, before the first update, from the policy itself (no second trainer).
// D2O sees only the rejected responses as negatives, with K samples per prompt drawn once from the
// initial policy (the paper's self-generated "preferred distribution"); its margins and accuracy
// are still measured on the (chosen, rejected) pairs, so every objective is charted on one scale.
// Each report's margins are those before the step's update; `margins()` gives the current ones.
import { packBatch, type Example } from '../defaults/data';
import type { TokenBatch } from '../training/types';
import { tokenId } from '../world';
import { d2oObjective, type DispreferenceItem } from './d2o';
import { dpoObjective, preferenceMargins, type PreferencePairIndex } from './dpo';
import { ObjectiveInputError } from './errors';
import { sequenceLogProbs, type RlObjective } from './objective';
import type { Policy } from './policy';
import { robustDpoObjective } from './robust-dpo';
import { marginSummary, type PreferenceSettings, type PreferenceStep } from './run-settings';
import { RolloutSampler, samplePrompt } from './sampler';
import { preferenceBatch, responseExample, textExample, withReferenceLogProbs } from './sequences';

const EOS = tokenId('<eos>') as number;

export class PreferenceRun {
  private steps = 0;

  private constructor(
    readonly policy: Policy,
    readonly settings: PreferenceSettings,
    private readonly pairBatch: TokenBatch,
    private readonly pairs: PreferencePairIndex[],
    private readonly trainBatch: TokenBatch,
    private readonly objective: RlObjective,
  ) {}

  static async create(policy: Policy, settings: PreferenceSettings): Promise<PreferenceRun> {
    if (policy.trainer.stepsDone !== 0) {
      throw new ObjectiveInputError(
        `${settings.objective}: the policy has taken ${policy.trainer.stepsDone} steps; the reference must be its initial weights, so start from a fresh policy`,
      );
    }
    const numPatches = policy.numPatches;
    const { batch, pairs: indices } = preferenceBatch(settings.examples, numPatches);
    const pairs = withReferenceLogProbs(indices, [batch], await policy.logProbs([batch]));
    if (settings.objective !== 'd2o') {
      const objective =
        settings.objective === 'dpo'
          ? dpoObjective({ pairs, beta: settings.beta })
          : robustDpoObjective({ pairs, beta: settings.beta, flipRate: settings.flipRate });
      return new PreferenceRun(policy, settings, batch, pairs, batch, objective);
    }
    const { trainBatch, items } = await d2oItems(policy, settings);
    const objective = d2oObjective({ items, beta: settings.beta, alpha: settings.alpha });
    return new PreferenceRun(policy, settings, batch, pairs, trainBatch, objective);
  }

  get stepsDone(): number {
    return this.steps;
  }

  /** The current margin of every pair. */
  async margins(): Promise<Float64Array> {
    const [logProbs] = await this.policy.logProbs([this.pairBatch]);
    return preferenceMargins([this.pairBatch], [logProbs], this.pairs);
  }

  async step(): Promise<PreferenceStep> {
    const started = performance.now();
    const before = marginSummary(await this.margins());
    const report = await this.policy.trainer.trainStep([this.trainBatch], this.objective);
    return {
      step: this.steps++,
      loss: report.loss,
      ...before,
      milliseconds: performance.now() - started,
      tokens: report.tokens,
    };
  }
}

/** K samples per prompt from the initial policy plus the rejected response, with reference log-probs. */
async function d2oItems(
  policy: Policy,
  settings: PreferenceSettings,
): Promise<{ trainBatch: TokenBatch; items: DispreferenceItem[] }> {
  const K = settings.samplesPerPrompt ?? 4;
  if (!Number.isInteger(K) || K < 1) {
    throw new ObjectiveInputError(`d2o: samplesPerPrompt must be a whole number >= 1, got ${K}`);
  }
  const numPatches = policy.numPatches;
  const sampler = new RolloutSampler(policy.gpu);
  let samples: number[][];
  try {
    const { model } = await policy.inferenceModel();
    const prompts = settings.examples.flatMap((e) =>
      Array.from({ length: K }, () => samplePrompt(e.task, numPatches)),
    );
    samples = await sampler.sample(model, prompts, {
      temperature: settings.temperature ?? 1,
      maxTokens: settings.maxTokens ?? 8,
      stopId: EOS,
      seed: settings.seed ?? 0,
      counterBase: 0,
    });
  } finally {
    sampler.destroy();
  }
  const rows: Example[] = settings.examples.flatMap((e, k) => [
    ...samples.slice(k * K, (k + 1) * K).map((ids) => responseExample(e.task, numPatches, ids)),
    textExample(e.task, numPatches, e.rejected),
  ]);
  const trainBatch = packBatch(rows);
  const [logProbs] = await policy.logProbs([trainBatch]);
  const reference = sequenceLogProbs(trainBatch, logProbs);
  const scored = (row: number) => ({ sequence: { batch: 0, row }, reference: reference[row] });
  const items = settings.examples.map((_, k) => ({
    samples: Array.from({ length: K }, (_, i) => scored(k * (K + 1) + i)),
    negative: scored(k * (K + 1) + K),
  }));
  return { trainBatch, items };
}

/** `steps` steps of a preference run; the last report is followed by the margins after training. */
export async function runPreference(
  policy: Policy,
  settings: PreferenceSettings,
  steps: number,
  onStep?: (report: PreferenceStep) => void,
): Promise<{ steps: PreferenceStep[]; final: { meanMargin: number; accuracy: number } }> {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new ObjectiveInputError(`${settings.objective}: steps must be a whole number >= 0, got ${steps}`);
  }
  const run = await PreferenceRun.create(policy, settings);
  const reports: PreferenceStep[] = [];
  for (let i = 0; i < steps; i++) {
    const report = await run.step();
    reports.push(report);
    onStep?.(report);
  }
  return { steps: reports, final: marginSummary(await run.margins()) };
}

export { marginSummary, type PreferenceSettings, type PreferenceStep } from './run-settings';
