// The Shapes tasks: determinism, rewards of the reference answer (1) and of a wrong response of the
// same form (0) for every kind, the edge cases of each reward, and that every prompt and answer is
// in the Shapes vocabulary.
import { describe, expect, test } from 'vitest';
import { SHAPES, isCaptionTrue, shapesIn } from '../world';
import { rejectedResponse } from './preferences';
import { wordIds } from './sequences';
import { TASK_KINDS, sampleTask, sampleTasks, taskRandom, taskReward, type ShapesTask } from './tasks';

const SEED = 2024;
const COUNT = 40;

describe('tasks', () => {
  test.each(TASK_KINDS)(
    '%s: the same seed and index give the same task; prompts and answers are Shapes words',
    (kind) => {
      const tasks = sampleTasks(kind, SEED, COUNT);
      expect(sampleTasks(kind, SEED, COUNT)).toEqual(tasks);
      expect(sampleTask(kind, SEED, 17)).toEqual(tasks[17]);
      expect(sampleTasks(kind, SEED + 1, COUNT)).not.toEqual(tasks);
      for (const t of tasks) {
        expect(() => wordIds(t.prompt)).not.toThrow();
        expect(() => wordIds(t.answer)).not.toThrow();
      }
    },
  );

  test.each(TASK_KINDS)('%s: reward 1 for the answer, 0 for a wrong response of the same form', (kind) => {
    sampleTasks(kind, SEED, COUNT).forEach((t, i) => {
      expect(taskReward(t, t.answer), `${kind} ${i}: ${t.answer}`).toBe(1);
      const wrong = rejectedResponse(t, taskRandom(SEED, 1000 + i));
      expect(taskReward(t, wrong), `${kind} ${i}: ${wrong}`).toBe(0);
      expect(taskReward(t, '')).toBe(kind === 'caption' ? 1 : 0);
    });
  });

  test('object questions are POPE-style balanced and answered from the scene', () => {
    const tasks = sampleTasks('object', SEED, 400) as Extract<ShapesTask, { kind: 'object' }>[];
    const yes = tasks.filter((t) => t.answer === 'yes').length;
    expect(yes / tasks.length).toBeGreaterThan(0.4);
    expect(yes / tasks.length).toBeLessThan(0.6);
    for (const t of tasks.slice(0, 20)) {
      const shape = t.prompt.split(' ')[3];
      expect(t.answer).toBe([...shapesIn(t.scene)].some((s) => s === shape) ? 'yes' : 'no');
      expect(taskReward(t, `${t.answer.toUpperCase()} , there is`)).toBe(1);
      expect(taskReward(t, `${t.answer === 'yes' ? 'no' : 'yes'} ${t.answer}`)).toBe(0);
    }
  });

  test('count: the count word or its digits, first word only', () => {
    const t = sampleTasks('count', SEED, COUNT).find((x) => x.kind === 'count' && x.count === 2)!;
    expect(t.answer).toBe('two');
    expect(taskReward(t, 'two')).toBe(1);
    expect(taskReward(t, '2')).toBe(1);
    expect(taskReward(t, 'three two')).toBe(0);
  });

  test('caption: an absent object costs the reward; omissions do not unless asked; allClaims checks counts', () => {
    const t = sampleTask('caption', SEED, 3);
    const present = [...shapesIn(t.scene)];
    const absent = SHAPES.find((s) => !present.includes(s))!;
    expect(taskReward(t, `a red ${absent} .`)).toBe(0);
    expect(taskReward(t, `a red ${present[0]} and a blue ${absent} .`)).toBe(0);
    expect(taskReward(t, 'an empty picture .')).toBe(1);
    expect(taskReward(t, 'an empty picture .', { requireMention: true })).toBe(0);
    // Six of a present shape: the object is there, the count is wrong.
    const wrongCount = `six ${present[0] === 'cross' ? 'crosses' : `${present[0]}s`} .`;
    expect(isCaptionTrue(t.scene, wrongCount)).toBe(false);
    expect(taskReward(t, wrongCount)).toBe(1);
    expect(taskReward(t, wrongCount, { allClaims: true })).toBe(0);
    expect(taskReward(t, t.answer, { allClaims: true, requireMention: true })).toBe(1);
  });

  test('vicrit: the answer is the injected span, matched word for word', () => {
    for (const t of sampleTasks('vicrit', SEED, COUNT)) {
      if (t.kind !== 'vicrit') throw new Error('kind');
      const { text, span } = t.corrupted;
      expect(text.slice(span.charStart, span.charEnd)).toBe(t.answer);
      expect(isCaptionTrue(t.scene, text)).toBe(false);
      expect(taskReward(t, `${t.answer} .`)).toBe(0);
      expect(taskReward(t, t.answer.toUpperCase())).toBe(1);
    }
  });

  test('critic: one caption is true, the other false, and the label names the true one', () => {
    const tasks = sampleTasks('critic', SEED, COUNT);
    const firsts = tasks.filter((t) => t.answer === 'one').length;
    expect(firsts).toBeGreaterThan(8);
    expect(firsts).toBeLessThan(32);
    for (const t of tasks) {
      if (t.kind !== 'critic') throw new Error('kind');
      const right = t.answer === 'one' ? 0 : 1;
      expect(isCaptionTrue(t.scene, t.captions[right])).toBe(true);
      expect(isCaptionTrue(t.scene, t.captions[1 - right])).toBe(false);
      expect(t.prompt).toBe(`one , ${t.captions[0]} two , ${t.captions[1]} what is right ?`);
    }
  });
});
