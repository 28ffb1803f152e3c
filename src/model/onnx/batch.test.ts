// The integer inputs of a padded batch and the run groups, on small hand-checked cases.
import { describe, expect, test } from 'vitest';
import { parseModelConfig } from '../config';
import { tinyLlamaConfigJson } from '../reference/tiny';
import { batchInputs, checkRequest, runGroups } from './batch';

const rows = (values: BigInt64Array, width: number) =>
  Array.from({ length: values.length / width }, (_, r) =>
    Array.from(values.subarray(r * width, (r + 1) * width), Number),
  );

describe('batchInputs', () => {
  test('one sequence: no padding', () => {
    const inputs = batchInputs([{ cached: 3, tokens: [7, 8] }]);
    expect(inputs).toMatchObject({ batch: 1, past: 3, seqLength: 2 });
    expect(rows(inputs.ids, 2)).toEqual([[7, 8]]);
    expect(rows(inputs.positions, 2)).toEqual([[3, 4]]);
    expect(rows(inputs.mask, 5)).toEqual([[1, 1, 1, 1, 1]]);
  });

  test('unequal cached and new lengths: past left-padded, new tokens right-padded', () => {
    const inputs = batchInputs([
      { cached: 0, tokens: [1, 2] },
      { cached: 3, tokens: [4] },
      { cached: 5, tokens: [5, 6, 9] },
    ]);
    expect(inputs).toMatchObject({ batch: 3, past: 5, seqLength: 3 });
    // Padding rows repeat the last real token at its position.
    expect(rows(inputs.ids, 3)).toEqual([
      [1, 2, 2],
      [4, 4, 4],
      [5, 6, 9],
    ]);
    expect(rows(inputs.positions, 3)).toEqual([
      [0, 1, 1],
      [3, 3, 3],
      [5, 6, 7],
    ]);
    expect(rows(inputs.mask, 8)).toEqual([
      [0, 0, 0, 0, 0, 1, 1, 0],
      [0, 0, 1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ]);
  });
});

describe('runGroups', () => {
  const members = [
    { cached: 4, tokens: [1] },
    { cached: 2, tokens: [1] },
    { cached: 4, tokens: [3] },
    { cached: 4, tokens: [1, 2] },
  ];
  test('graphs with position_ids run everything at once', () => {
    expect(runGroups(members, true)).toEqual([[0, 1, 2, 3]]);
  });
  test('graphs without position_ids group equal (cached, new) lengths', () => {
    expect(runGroups(members, false)).toEqual([[0, 2], [1], [3]]);
  });
});

describe('checkRequest', () => {
  const config = parseModelConfig(tinyLlamaConfigJson()); // vocab 67, 128 positions
  const lengths = new Map([
    [1, 0],
    [2, 126],
  ]);
  const cachedLength = (s: number) => {
    const length = lengths.get(s);
    if (length === undefined) throw new Error(`unknown sequence ${s}`);
    return length;
  };
  const check = (request: Parameters<typeof checkRequest>[0]) => () =>
    checkRequest(request, config, cachedLength, 'tiny');
  test('names the offending value', () => {
    expect(check({ sequences: [] })).toThrow('forward needs at least one sequence');
    expect(check({ sequences: [{ sequence: 1, tokens: [67] }] })).toThrow(
      'token id 67 is outside the vocabulary [0, 67)',
    );
    expect(check({ sequences: [{ sequence: 1, tokens: [1.5] }] })).toThrow('token id 1.5');
    expect(check({ sequences: [{ sequence: 1, tokens: [] }] })).toThrow('sequence 1 has no new tokens');
    expect(
      check({
        sequences: [
          { sequence: 1, tokens: [1] },
          { sequence: 1, tokens: [2] },
        ],
      }),
    ).toThrow('appears twice');
    expect(check({ sequences: [{ sequence: 3, tokens: [1] }] })).toThrow('unknown sequence 3');
    expect(check({ sequences: [{ sequence: 2, tokens: [1, 2, 3] }] })).toThrow(
      "would reach 129 positions, beyond the model's 128",
    );
    expect(check({ sequences: [{ sequence: 1, tokens: [1], image: new Float32Array(3) }] })).toThrow(
      'takes no images',
    );
    expect(check({ sequences: [{ sequence: 1, tokens: [1] }], capture: { logitLensLayers: [1] } })).toThrow(
      /no hidden states, logit lens/,
    );
    expect(
      check({
        sequences: [
          { sequence: 2, tokens: [1, 2] },
          { sequence: 1, tokens: [66] },
        ],
      }),
    ).not.toThrow();
  });
});
