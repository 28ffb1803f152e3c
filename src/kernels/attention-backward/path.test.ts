import { describe, expect, test } from 'vitest';
import { attentionBackwardPath, MAX_INVOCATION_PATH_TOKENS } from './path';

describe('attentionBackwardPath', () => {
  test.each([
    [{ tokens: 32, numHeads: 4, numKvHeads: 2, headDim: 24, batch: 16 }, 'invocation-per-row'],
    [{ tokens: 1, numHeads: 1, numKvHeads: 1, headDim: 4 }, 'invocation-per-row'],
    [{ tokens: MAX_INVOCATION_PATH_TOKENS, numHeads: 4, numKvHeads: 2, headDim: 128 }, 'invocation-per-row'],
    [
      { tokens: MAX_INVOCATION_PATH_TOKENS + 1, numHeads: 4, numKvHeads: 2, headDim: 64 },
      'workgroup-per-row',
    ],
    [{ tokens: 32, numHeads: 4, numKvHeads: 2, headDim: 6 }, 'workgroup-per-row'],
  ])('%o -> %s', (shape, path) => {
    expect(attentionBackwardPath(shape)).toBe(path);
  });
});
