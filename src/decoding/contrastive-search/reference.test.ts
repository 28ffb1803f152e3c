// The contrastive-search spec: the score on hand-made hidden states, and on the CPU reference model
// the degenerate settings (alpha = 0, k = 1) reduce to greedy decoding.
import { describe, expect, it } from 'vitest';
import { rowStatsReference } from '../../kernels/logits/reference';
import { ReferenceModel } from '../../model/reference/forward';
import { tinyLlamaConfigJson, tinyModel } from '../../model/reference/tiny';
import { bestCandidate, checkContrastiveSearchConfig, contrastiveScore } from './config';
import { contrastiveSearchReference, scoreCandidates } from './reference';

describe('the contrastive score', () => {
  it('trades probability against the largest cosine with the context', () => {
    const context = [
      [1, 0],
      [0, 1],
    ];
    // Candidate 0 is likelier but repeats context row 0; candidate 1 points between the rows.
    const result = scoreCandidates(
      [7, 9],
      [0.5, 0.3],
      [
        [2, 0],
        [1, -1],
      ],
      context,
      0.6,
    );
    expect(result.candidates[0].maxCosine).toBeCloseTo(1, 15);
    expect(result.candidates[0].position).toBe(0);
    expect(result.candidates[1].maxCosine).toBeCloseTo(Math.SQRT1_2, 15);
    expect(result.candidates[0].score).toBeCloseTo(0.4 * 0.5 - 0.6, 15);
    expect(result.token).toBe(9);
    expect(
      scoreCandidates(
        [7, 9],
        [0.5, 0.3],
        [
          [2, 0],
          [1, -1],
        ],
        context,
        0,
      ).token,
    ).toBe(7);
  });

  it('breaks ties towards the more probable candidate and validates its parameters', () => {
    expect(bestCandidate([0.1, 0.1, 0.05])).toBe(0);
    expect(contrastiveScore(0.5, 0.5, 0.5)).toBe(0);
    expect(() => checkContrastiveSearchConfig({ k: 11, alpha: 0.6 })).toThrow(/1\.\.10/);
    expect(() => checkContrastiveSearchConfig({ k: 5, alpha: 1.5 })).toThrow(/\[0, 1\]/);
  });
});

describe('contrastiveSearchReference on the CPU model', () => {
  const { config, weights } = tinyModel(tinyLlamaConfigJson({ num_hidden_layers: 2 }), 3);
  const prompt = [5, 9, 2, 33];

  function greedy(steps: number): number[] {
    const model = new ReferenceModel(config, weights);
    const sequence = model.createSequence();
    const tokens: number[] = [];
    let input = prompt;
    for (let i = 0; i < steps; i++) {
      const { logits } = model.forward({ sequences: [{ sequence, tokens: input }] });
      tokens.push(rowStatsReference(logits[0]).argmax!);
      input = [tokens[i]];
    }
    return tokens;
  }

  it('is greedy decoding with alpha = 0 or k = 1', () => {
    const want = greedy(5);
    const model = new ReferenceModel(config, weights);
    expect(contrastiveSearchReference(model, prompt, 5, { k: 4, alpha: 0 }).map((t) => t.token)).toEqual(
      want,
    );
    expect(contrastiveSearchReference(model, prompt, 5, { k: 1, alpha: 0.6 }).map((t) => t.token)).toEqual(
      want,
    );
  });

  it('scores k candidates per step and penalises against every previous token', () => {
    const model = new ReferenceModel(config, weights);
    const run = contrastiveSearchReference(model, prompt, 4, { k: 5, alpha: 0.6 });
    run.forEach((step, t) => {
      expect(step.candidates).toHaveLength(5);
      for (const c of step.candidates) {
        // Positions index the prompt and the tokens generated before this step.
        expect(c.position).not.toBeNull();
        expect(c.position!).toBeLessThan(prompt.length + t);
      }
    });
  });
});
