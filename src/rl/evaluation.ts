// Before/after measurements of a policy on a fixed, held-out set of tasks:
//   sampledReward       the mean verifiable reward of N seeded samples per task (the same seed gives
//                       the same draws, but a changed policy changes them, so it is an estimate)
//   expectedFirstWord   the exact expected reward of tasks whose reward reads only the first word
//                       (object: yes/no, critic: one/two): sum over tasks of pi(answer's first
//                       word | prompt) at temperature 1, from one forward-only pass; no sampling noise
import { packBatch } from '../defaults/data';
import type { LanguageModel } from '../model/interface';
import { tokenId } from '../world';
import { ObjectiveInputError } from './errors';
import type { Policy } from './policy';
import { samplePrompt, type RolloutSampler } from './sampler';
import { responseText, taskPromptIds, textExample } from './sequences';
import { taskReward, type RewardOptions, type ShapesTask } from './tasks';

const EOS = tokenId('<eos>') as number;

export interface SampledRewardSettings {
  samplesPerTask: number;
  temperature: number;
  maxTokens: number;
  seed: number;
  reward?: RewardOptions;
}

export async function sampledReward(
  model: LanguageModel,
  numPatches: number,
  sampler: RolloutSampler,
  tasks: readonly ShapesTask[],
  settings: SampledRewardSettings,
): Promise<number> {
  if (tasks.length === 0) throw new ObjectiveInputError('evaluation: no tasks to evaluate on');
  const n = settings.samplesPerTask;
  const prompts = tasks.flatMap((task) => Array.from({ length: n }, () => samplePrompt(task, numPatches)));
  const responses = await sampler.sample(model, prompts, {
    temperature: settings.temperature,
    maxTokens: settings.maxTokens,
    stopId: EOS,
    seed: settings.seed,
    counterBase: 0,
  });
  let sum = 0;
  responses.forEach(
    (ids, i) => (sum += taskReward(tasks[Math.floor(i / n)], responseText(ids), settings.reward)),
  );
  return sum / responses.length;
}

/** The exact mean reward of first-word tasks (object, critic) under the policy at temperature 1. */
export async function expectedFirstWordReward(policy: Policy, tasks: readonly ShapesTask[]): Promise<number> {
  if (tasks.length === 0) throw new ObjectiveInputError('evaluation: no tasks to evaluate on');
  for (const task of tasks) {
    if (task.kind !== 'object' && task.kind !== 'critic') {
      throw new ObjectiveInputError(
        `evaluation: the expected first-word reward is exact only for object and critic tasks, got ${task.kind}; use sampledReward`,
      );
    }
  }
  const numPatches = policy.numPatches;
  const batch = packBatch(tasks.map((task) => textExample(task, numPatches, task.answer)));
  const [logProbs] = await policy.logProbs([batch]);
  let sum = 0;
  tasks.forEach((task, row) => {
    // Position |prompt| - 1 predicts the response's first token.
    const position = taskPromptIds(task, numPatches).length - 1;
    sum += Math.exp(logProbs[row * batch.length + position]);
  });
  return sum / tasks.length;
}
