import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WORLD,
  SHAPES,
  shapesIn,
  SHAPES_VOCABULARY,
  WorldRandom,
  questionsFor,
  answerQuestion,
  sampleSceneAt,
  tokenId,
} from '../world';
import { packBatch, vlmPrompt, vlmQuestionExample } from './data';

const word = (id: number) => SHAPES_VOCABULARY[id];

describe('vlmQuestionExample', () => {
  const P = 9;
  const scenes = Array.from({ length: 40 }, (_, i) => sampleSceneAt(DEFAULT_WORLD, 5, i));

  it('predicts exactly the answers and the final <eos>, each answer right for the scene', () => {
    for (const [i, scene] of scenes.entries()) {
      const example = vlmQuestionExample(scene, WorldRandom.fromNumber(6, i), P, 4);
      const { tokens, mask } = example;
      expect(mask).toHaveLength(tokens.length);
      expect(tokens[tokens.length - 1]).toBe(tokenId('<eos>'));
      const predicted = tokens.slice(1).filter((_, t) => mask[t] === 1);
      // Every predicted token follows a "?" (an answer) except the closing <eos>.
      expect(predicted[predicted.length - 1]).toBe(tokenId('<eos>'));
      const answers = predicted.slice(0, -1);
      expect(answers).toHaveLength(4);
      // Read the dialogue back: each question's answer is the world's answer for this scene.
      const text = tokens
        .slice(1 + P, -1)
        .map(word)
        .join(' ');
      const pairs = text.split(' ? ').reduce<string[][]>((acc, part, k, all) => {
        if (k === 0) return [[part]];
        const [answer, ...rest] = part.split(' ');
        acc[acc.length - 1].push(answer);
        if (k < all.length - 1 || rest.length > 0) acc.push([rest.join(' ')]);
        return acc;
      }, []);
      expect(pairs).toHaveLength(4);
      for (const [k, [question, answer]] of pairs.entries()) {
        expect(answer).toBe(word(answers[k]));
        expect(answerQuestion(scene, `${question} ?`)).toBe(answer);
      }
    }
  });

  it('asks about every shape once with objectShapes 8, each answered from the scene', () => {
    for (const [i, scene] of scenes.slice(0, 10).entries()) {
      const example = vlmQuestionExample(scene, WorldRandom.fromNumber(7, i), P, 2, 8);
      const text = example.tokens
        .slice(1 + P, -1)
        .map(word)
        .join(' ');
      const asked = [...text.matchAll(/is there an? (\w+) \? (yes|no)/g)].map((m) => [m[1], m[2]]);
      const shapes = asked.map(([shape]) => shape).filter((s) => (SHAPES as readonly string[]).includes(s));
      expect(new Set(shapes)).toEqual(new Set(SHAPES));
      for (const [shape, answer] of asked) {
        if ((SHAPES as readonly string[]).includes(shape)) {
          expect(answer).toBe(shapesIn(scene).has(shape as (typeof SHAPES)[number]) ? 'yes' : 'no');
        }
      }
      expect(example.mask.filter((m) => m === 1)).toHaveLength(2 + 8 + 1);
    }
  });

  it('with one question and no object sweep is the single-question format <prompt> answer <eos>', () => {
    for (const [i, scene] of scenes.entries()) {
      const example = vlmQuestionExample(scene, WorldRandom.fromNumber(8, i), P, 1);
      const [{ question, answer }] = questionsFor(scene, WorldRandom.fromNumber(8, i), 1);
      const prompt = vlmPrompt(P, question);
      expect(example.tokens).toEqual([...prompt, tokenId(answer), tokenId('<eos>')]);
      expect(example.mask).toEqual(
        example.tokens.map((_, t) => (t >= prompt.length - 1 && t < prompt.length + 1 ? 1 : 0)),
      );
    }
  });

  it('starts with the single-question prompt that evaluation and the UI use', () => {
    const example = vlmQuestionExample(scenes[0], WorldRandom.fromNumber(6, 0), P, 3);
    const firstMark = example.tokens.indexOf(tokenId('?')!);
    const question = example.tokens
      .slice(1 + P, firstMark)
      .map(word)
      .join(' ');
    expect(example.tokens.slice(0, firstMark + 1)).toEqual(vlmPrompt(P, `${question} ?`));
    expect(example.mask.slice(0, firstMark).every((m) => m === 0)).toBe(true);
    expect(example.mask[firstMark]).toBe(1);
  });

  it('packs into targets shifted by one with the mask on the predicting positions', () => {
    const examples = scenes
      .slice(0, 3)
      .map((s, i) => vlmQuestionExample(s, WorldRandom.fromNumber(6, i), P, 2));
    const batch = packBatch(examples);
    examples.forEach((e, b) => {
      for (let t = 0; t < e.tokens.length - 1; t++) {
        expect(batch.tokens[b * batch.length + t]).toBe(e.tokens[t]);
        expect(batch.targets[b * batch.length + t]).toBe(e.tokens[t + 1]);
        expect(batch.mask[b * batch.length + t]).toBe(e.mask[t]);
      }
    });
    expect(batch.images).toHaveLength(3);
  });
});
