// Headless GRPO / TEMPO runs on the GPU (no UI). Each step samples a group of G rollouts per task
// prompt with the current policy (./sampler.ts: seeded, temperature T), scores them with the task's
// verifiable reward (./tasks.ts), packs all groups of the step as rows of one micro-batch
// (./sequences.ts), takes the frozen reference's log-probs (./policy.ts), then `updatesPerBatch`
// trainer steps of the clipped objective (./grpo.ts, ./tempo.ts) on the same rollouts. With 1, the
// default and the paper's setting, pi_old is the policy the trainer's own forward-only pass sees
// (every ratio is 1, the clip fraction 0); with more, pi_old is fixed by one pass before the first.
// Step s draws tasks firstIndex + s * P .. + P - 1 of the task seed (or cycles a fixed pool) and
// samples with counters from s * maxTokens: a run is a pure function of its settings and seeds.
// Preference objectives run in ./preference-runner.ts.
import { packBatch } from '../defaults/data';
import type { Objective } from '../training/types';
import { tokenId } from '../world';
import { ObjectiveInputError } from './errors';
import {
  GRPO_KL_BETA,
  grpoObjective,
  grpoTokenAdvantages,
  rolloutStatistics,
  type Rollout,
  type RolloutStatistics,
} from './grpo';
import type { Policy } from './policy';
import { validateGrpoSettings, type GrpoSettings, type GrpoStep } from './run-settings';
import { RolloutSampler, samplePrompt } from './sampler';
import { responseExample, responseText } from './sequences';
import { sampleTasks, taskReward, type ShapesTask } from './tasks';
import { TEMPO_TD_WEIGHT, tempoObjective, tempoTokenAdvantages } from './tempo';

const EOS = tokenId('<eos>') as number;

export class GrpoRun {
  private steps = 0;
  readonly sampler: RolloutSampler;

  constructor(
    readonly policy: Policy,
    readonly settings: GrpoSettings,
  ) {
    validateGrpoSettings(settings);
    this.sampler = new RolloutSampler(policy.gpu);
  }

  get stepsDone(): number {
    return this.steps;
  }

  /** The P tasks of step `step`: the next ones of the task seed, or of the pool when one is given. */
  tasksOf(step: number): ShapesTask[] {
    const { task, taskSeed, promptsPerStep, pool } = this.settings;
    const first = this.settings.firstIndex ?? 0;
    if (pool === undefined) return sampleTasks(task, taskSeed, promptsPerStep, first + step * promptsPerStep);
    return Array.from(
      { length: promptsPerStep },
      (_, j) => pool[(first + step * promptsPerStep + j) % pool.length],
    );
  }

  /** G sampled responses per task (ids) with the current policy, and the time spent rebuilding it. */
  async sampleGroups(
    tasks: readonly ShapesTask[],
    groupSize: number,
    seed: number,
    counterBase: number,
  ): Promise<{ responses: number[][][]; syncMs: number }> {
    const started = performance.now();
    const { model } = await this.policy.inferenceModel();
    const syncMs = performance.now() - started;
    const prompts = tasks.flatMap((task) =>
      Array.from({ length: groupSize }, () => samplePrompt(task, this.policy.numPatches)),
    );
    const flat = await this.sampler.sample(model, prompts, {
      temperature: this.settings.temperature,
      maxTokens: this.settings.maxTokens,
      stopId: EOS,
      seed,
      counterBase,
    });
    const responses = tasks.map((_, g) => flat.slice(g * groupSize, (g + 1) * groupSize));
    return { responses, syncMs };
  }

  /** One step: rollouts, rewards, log-probs, `updatesPerBatch` trainer steps. */
  async step(): Promise<GrpoStep> {
    const s = this.settings;
    const step = this.steps;
    const tasks = this.tasksOf(step);
    const rolloutStarted = performance.now();
    const { responses, syncMs } = await this.sampleGroups(tasks, s.groupSize, s.seed, step * s.maxTokens);
    const rolloutMs = performance.now() - rolloutStarted;

    const updateStarted = performance.now();
    const numPatches = this.policy.numPatches;
    // One micro-batch for the whole step (rows g * G + i): fewer, fuller passes than one per group.
    const batches = [
      packBatch(
        tasks.flatMap((task, g) => responses[g].map((ids) => responseExample(task, numPatches, ids))),
      ),
    ];
    const rollouts: Rollout[] = tasks.flatMap((task, g) =>
      responses[g].map((ids, i) => ({
        sequence: { batch: 0, row: g * s.groupSize + i },
        group: g,
        reward: taskReward(task, responseText(ids), s.reward),
      })),
    );
    const klBeta = s.klBeta ?? GRPO_KL_BETA;
    const updates = s.updatesPerBatch ?? 1;
    const referenceLogProbs = klBeta > 0 ? await this.policy.referenceLogProbs(batches) : null;
    // One update per batch: pi_old is the policy the trainer's own forward-only pass sees (null,
    // rho = 1), so no extra pass; several updates need pi_old fixed before the first.
    const oldLogProbs = updates > 1 ? await this.policy.logProbs(batches) : null;
    const options = { rollouts, oldLogProbs, referenceLogProbs, klBeta, clipEpsilon: s.clipEpsilon };
    const inner =
      s.objective === 'tempo'
        ? tempoObjective({ ...options, tdWeight: s.tdWeight ?? TEMPO_TD_WEIGHT })
        : grpoObjective(options);
    // The statistics come from the log-probs the trainer hands the objective, before its update.
    let seen: readonly Float32Array[] | null = null;
    const objective: Objective = {
      name: inner.name,
      needsLogProbs: true,
      tokenWeights: (b, logProbs) => {
        seen = logProbs;
        return inner.tokenWeights(b, logProbs);
      },
      loss: (b, logProbs) => inner.loss(b, logProbs),
    };
    const advantages =
      s.objective === 'tempo'
        ? tempoTokenAdvantages(batches, rollouts, undefined, s.tdWeight ?? TEMPO_TD_WEIGHT)
        : grpoTokenAdvantages(batches, rollouts);
    let loss = NaN;
    let statistics: RolloutStatistics | null = null;
    for (let k = 0; k < updates; k++) {
      loss = (await this.policy.trainer.trainStep(batches, objective)).loss;
      if (seen === null)
        throw new Error(`${inner.name}: the trainer did not pass the log-probs to the objective`);
      statistics = rolloutStatistics(batches, seen, options, advantages);
    }
    if (statistics === null) throw new Error(`${inner.name}: no update was taken`);
    const updateMs = performance.now() - updateStarted;
    this.steps++;

    const first = rollouts.filter((r) => r.group === 0);
    return {
      step,
      meanReward: statistics.meanReward,
      loss,
      kl: statistics.meanKl,
      clipFraction: statistics.clipFraction,
      meanResponseLength: statistics.meanResponseLength,
      rolloutMs,
      syncMs,
      updateMs,
      rolloutTokens: responses.flat().reduce((a, r) => a + r.length, 0),
      updateTokens: batches.reduce((a, b) => a + b.batchSize * b.length, 0) * updates,
      group: {
        prompt: tasks[0].prompt,
        responses: responses[0].map((ids) => responseText(ids)),
        rewards: first.map((r) => r.reward),
        tokenAdvantages: first.map((_, i) => [...advantages[i]]),
      },
    };
  }

  destroy(): void {
    this.sampler.destroy();
  }
}

/** `steps` steps of a GRPO / TEMPO run; `onStep` sees each report as it comes (for live charts). */
export async function runGrpo(
  policy: Policy,
  settings: GrpoSettings,
  steps: number,
  onStep?: (report: GrpoStep) => void,
): Promise<GrpoStep[]> {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new ObjectiveInputError(`${settings.objective}: steps must be a whole number >= 0, got ${steps}`);
  }
  const run = new GrpoRun(policy, settings);
  try {
    const reports: GrpoStep[] = [];
    for (let i = 0; i < steps; i++) {
      const report = await run.step();
      reports.push(report);
      onStep?.(report);
    }
    return reports;
  } finally {
    run.destroy();
  }
}

export { validateGrpoSettings, type GrpoSettings, type GrpoStep, type GroupSample } from './run-settings';
