import { describe, expect, it } from 'vitest';
import { unknownWords } from '../../world/vocabulary';
import {
  ICD_DISTURBANCE,
  LEADING_CUES,
  disturbedPrompt,
  icdPrompt,
  leadingQuery,
  leadingShapesPrompt,
  shapesLeadingDisturbance,
} from './prompts';

describe('disturbed prompts for real models', () => {
  it("puts ICD's instruction before the prompt and LQCD's cue after the question", () => {
    expect(icdPrompt('Is there a dog in the image?')).toBe(
      'You are a confused object detector. Is there a dog in the image?',
    );
    expect(ICD_DISTURBANCE).toBe('You are a confused object detector.');
    expect(leadingQuery('Is there a dog in the image?')).toBe(
      "Is there a dog in the image? It seems like there isn't.",
    );
    expect(leadingQuery('Is there a dog?', LEADING_CUES.yes)).toBe('Is there a dog? It seems like there is.');
    expect(disturbedPrompt('  Describe the image.\n', '  Be vague. ', 'prefix')).toBe(
      'Be vague. Describe the image.',
    );
    expect(disturbedPrompt('Describe the image.', 'Be vague.', 'suffix')).toBe(
      'Describe the image. Be vague.',
    );
  });

  it('refuses empty prompts and disturbances, and unknown placements', () => {
    expect(() => icdPrompt('')).toThrow('disturbedPrompt: the prompt is empty; a contrast prompt needs both');
    expect(() => icdPrompt(' \n ')).toThrow('disturbedPrompt: the prompt is empty (only whitespace)');
    expect(() => disturbedPrompt('Describe.', '')).toThrow('disturbedPrompt: the disturbance is empty');
    expect(() => disturbedPrompt(undefined as unknown as string, 'x')).toThrow(
      'the prompt must be a string, got undefined',
    );
    expect(() => disturbedPrompt('a', 'b', 'middle' as 'prefix')).toThrow(
      `placement must be 'prefix' or 'suffix', got "middle"`,
    );
  });
});

describe('leading queries in the Shapes vocabulary', () => {
  it('asserts the object with an earlier answered turn, in words the Shapes models can read', () => {
    const prompt = leadingShapesPrompt('is there a star ?');
    expect(prompt).toBe('is there a star ? yes is there a star ?');
    expect(unknownWords(prompt)).toEqual([]);
    expect(shapesLeadingDisturbance('Is there a RED Star?')).toBe('is there a red star ? yes');
    expect(leadingShapesPrompt('is there an orange heart ?', 'no')).toBe(
      'is there an orange heart ? no is there an orange heart ?',
    );
    // The same text the generic prefix placement gives, so an 'icd' lane can store the disturbance.
    const question = 'how many circles are there ?';
    expect(leadingShapesPrompt(question, 'three')).toBe(
      disturbedPrompt(question, shapesLeadingDisturbance(question, 'three'), 'prefix'),
    );
    expect(unknownWords(leadingShapesPrompt('what colour is the square ?', 'Blue'))).toEqual([]);
  });

  it('refuses questions and answers outside the vocabulary or the templates, saying why', () => {
    expect(() => leadingShapesPrompt('')).toThrow('leadingShapesPrompt: the question is empty');
    expect(() => leadingShapesPrompt('is there a dog ?')).toThrow(
      'the question "is there a dog ?" has a word the Shapes models cannot read: "dog"',
    );
    expect(() => leadingShapesPrompt('<image> is there a star ?')).toThrow(
      'contains the special token <image>; give the words only (the prompt template adds <bos> and the image placeholders itself)',
    );
    expect(() => leadingShapesPrompt('is there a star ? <eos>')).toThrow(/special token <eos>/);
    expect(() => leadingShapesPrompt('there is a star .')).toThrow(
      /is not a question: Shapes questions end with "\?"/,
    );
    expect(() => leadingShapesPrompt('how many stars are there ?')).toThrow(
      /is not a yes\/no "is there" question, so there is no default answer to assert/,
    );
    expect(() => leadingShapesPrompt('is there a star ?', 'maybe')).toThrow(
      'the asserted answer "maybe" is not a Shapes answer word; use one of yes, no, zero',
    );
    expect(() => leadingShapesPrompt('is there a star ?', ' ')).toThrow('the asserted answer is empty');
  });
});
