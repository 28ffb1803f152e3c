// Critic as policy: GRPO under another name on the critic task's rewards, and self-critique's
// best-of-N choice over verdict scores.
import { describe, expect, test } from 'vitest';
import { criticObjective, selfCritiqueBestOfN } from './critic';
import { grpoObjective, type Rollout } from './grpo';
import { rolloutBatch, wordIds } from './sequences';
import { sampleTask, taskReward } from './tasks';
import { countNonZero, randomLogProbs } from './testing';

describe('critic as policy', () => {
  test('GRPO on verdicts for the critic task: the same weights as GRPO, rewards from the task', () => {
    const task = sampleTask('critic', 31, 0);
    const verdicts = ['one', 'two', 'two', 'one', 'yes', 'two'];
    const batch = rolloutBatch(
      task,
      4,
      verdicts.map((v) => [...wordIds(v), 3]),
    );
    const rollouts: Rollout[] = verdicts.map((v, row) => ({
      sequence: { batch: 0, row },
      group: 0,
      reward: taskReward(task, v),
    }));
    expect(rollouts.map((r) => r.reward)).toEqual(verdicts.map((v) => (v === task.answer ? 1 : 0)));
    const logProbs = randomLogProbs([batch], 4);
    const options = { rollouts, klBeta: 0 };
    const critic = criticObjective(options);
    expect(critic.name).toBe('critic-as-policy (grpo)');
    const weights = critic.tokenWeights64([batch], logProbs);
    expect(weights).toEqual(grpoObjective(options).tokenWeights64([batch], logProbs));
    // Six verdicts of one word and <eos>: twelve weighted tokens.
    expect(countNonZero(weights)).toBe(12);
  });
});

describe('self-critique best-of-N', () => {
  test('picks the highest verdict score, ties to the lowest index, -Infinity last', () => {
    const candidates = ['a', 'b', 'c', 'd', 'e'];
    const best = selfCritiqueBestOfN(candidates, [-1.2, -0.3, -Infinity, -0.3, -2]);
    expect(best).toEqual({ index: 1, candidate: 'b', score: -0.3, ranking: [1, 3, 0, 4, 2] });
    expect(selfCritiqueBestOfN(['only'], [-Infinity]).index).toBe(0);
  });

  test('refuses no candidates, a score count that does not match, NaN or +Infinity', () => {
    expect(() => selfCritiqueBestOfN([], [])).toThrow(/no candidates/);
    expect(() => selfCritiqueBestOfN(['a', 'b'], [1])).toThrow(/1 verdict scores for 2 candidates/);
    expect(() => selfCritiqueBestOfN(['a', 'b'], [1, Number.NaN])).toThrow(
      /candidate 1 has verdict score NaN/,
    );
    expect(() => selfCritiqueBestOfN(['a'], [Infinity])).toThrow(/below \+Infinity/);
  });
});
