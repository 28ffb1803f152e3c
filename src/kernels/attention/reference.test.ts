// The CPU spec (reference.ts) on cases with known answers, plus the pure parts of the family:
// shape validation, the uniform block layout, decode split tuning and prefill tiling.
import { describe, expect, test } from 'vitest';
import { KernelInputError } from '../../gpu/errors';
import { makeFixture } from './fixtures';
import { prefillSharedBytes, prefillTiling } from './prefill';
import { attentionProbabilitiesReference, attentionReference, probabilityRow } from './reference';
import { packParams, PARAM_BYTES, resolveShape, type AttentionShape } from './shape';
import { chooseDecodeSplits, DECODE_SPLIT_TUNING, decodeSplitTuningFor, planDecodeSplits } from './splits';

const base: AttentionShape = { queries: 6, keys: 9, numHeads: 4, numKvHeads: 2, headDim: 8, capacity: 11 };

describe('attentionReference', () => {
  test('one key: the output is that key value, whatever the scores', () => {
    const shape = { ...base, queries: 1, keys: 1, capacity: 1 };
    const { host } = makeFixture(1, shape, 30);
    const out = attentionReference(host, shape);
    for (let h = 0; h < 4; h++) {
      const kvHead = Math.floor(h / 2);
      for (let d = 0; d < 8; d++) expect(out[h * 8 + d]).toBe(host.value[kvHead * 8 + d]);
    }
  });

  test('identical keys give the mean of the visible values (causal counts)', () => {
    const shape = { ...base, numKvHeads: 4 };
    const { host } = makeFixture(2, shape);
    host.key.fill(0.5, 0, 9 * 4 * 8);
    const out = attentionReference(host, shape);
    for (let t = 0; t < 6; t++) {
      const visible = 9 - 6 + t + 1;
      for (let h = 0; h < 4; h++) {
        for (let d = 0; d < 8; d++) {
          let mean = 0;
          for (let j = 0; j < visible; j++) mean += host.value[(j * 4 + h) * 8 + d] / visible;
          expect(out[(t * 4 + h) * 8 + d]).toBeCloseTo(mean, 12);
        }
      }
    }
  });

  test('query t of a prefill equals a single query over the first keys - queries + t + 1 keys', () => {
    const shape = { ...base, queries: 9 };
    const { host } = makeFixture(3, shape);
    const full = attentionReference(host, shape);
    for (const t of [0, 4, 8]) {
      const single = { ...shape, queries: 1, keys: t + 1, queryOffset: t * 4 * 8 };
      const out = attentionReference(host, single);
      for (let i = 0; i < 4 * 8; i++) expect(out[i]).toBeCloseTo(full[t * 32 + i], 12);
    }
  });

  test('GQA: heads of one group read the same kv head, so equal queries give equal outputs', () => {
    const { host } = makeFixture(4, base);
    for (let t = 0; t < 6; t++) host.query.copyWithin((t * 4 + 1) * 8, t * 4 * 8, (t * 4 + 1) * 8);
    const out = attentionReference(host, base);
    for (let t = 0; t < 6; t++) {
      for (let d = 0; d < 8; d++) expect(out[(t * 4 + 1) * 8 + d]).toBe(out[t * 4 * 8 + d]);
    }
    // Heads 1 and 2 are in different groups: same query, different keys, different output.
    for (let t = 0; t < 6; t++) host.query.copyWithin((t * 4 + 2) * 8, t * 4 * 8, (t * 4 + 1) * 8);
    const cross = attentionReference(host, base);
    expect(cross[2 * 8]).not.toBe(cross[0]);
  });

  test('scores of 1e4 stay finite and pick the best key', () => {
    const shape = { ...base, queries: 1, keys: 3, capacity: 3, numKvHeads: 4, scale: 1 };
    const { host } = makeFixture(5, shape);
    host.query.fill(0, 0, 32);
    host.key.fill(0, 0, 3 * 32);
    host.query[0] = 100;
    host.key[(1 * 4 + 0) * 8] = 100; // key 1 of head 0 scores 1e4, the others 0
    const out = attentionReference(host, shape);
    for (let d = 0; d < 8; d++) expect(out[d]).toBe(host.value[(1 * 4 + 0) * 8 + d]);
  });
});

describe('probabilities', () => {
  test('rows sum to 1 with zeros past the causal limit, matching probabilityRow', () => {
    const { host } = makeFixture(6, base);
    const p = attentionProbabilitiesReference(host, base, 3);
    for (let t = 0; t < 6; t++) {
      const row = p.subarray(t * 9, (t + 1) * 9);
      const limit = 9 - 6 + t;
      expect(row.slice(0, limit + 1).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      for (let j = limit + 1; j < 9; j++) expect(row[j]).toBe(0);
      expect(Array.from(row.slice(0, limit + 1))).toEqual(Array.from(probabilityRow(host, base, t, 3)));
    }
  });
});

describe('resolveShape', () => {
  test('fills defaults: offsets 0, scale 1/sqrt(headDim), groupSize', () => {
    expect(resolveShape('k', base)).toMatchObject({
      cacheOffset: 0,
      queryOffset: 0,
      outputOffset: 0,
      groupSize: 2,
    });
    expect(resolveShape('k', base).scale).toBe(1 / Math.sqrt(8));
  });
  test.each<[Partial<AttentionShape>, RegExp]>([
    [{ queries: 10 }, /^k: queries \(Tq\) = 10 exceeds keys \(L\) = 9/],
    [{ headDim: 7 }, /^k: headDim = 7 must be an even integer in 2\.\.128/],
    [{ headDim: 136 }, /headDim = 136/],
    [{ capacity: 8 }, /capacity = 8 must be an integer in 9\.\./],
    [{ numKvHeads: 3 }, /numKvHeads = 3 does not divide numHeads = 4/],
    [{ queryOffset: 0.5 }, /queryOffset = 0.5/],
    [{ scale: Infinity }, /scale = Infinity must be finite/],
  ])('%o is rejected', (overrides, message) => {
    expect(() => resolveShape('k', { ...base, ...overrides })).toThrow(KernelInputError);
    expect(() => resolveShape('k', { ...base, ...overrides })).toThrow(message);
  });
});

test('packParams lays out the 16-word AttentionParams block', () => {
  const shape = resolveShape('k', { ...base, cacheOffset: 5, queryOffset: 6, outputOffset: 7, scale: 0.25 });
  const words = packParams(shape, { splits: 3, splitSize: 4, captureHead: 2 });
  expect(words.byteLength).toBe(PARAM_BYTES);
  const u32 = new Uint32Array(words);
  expect(Array.from(u32.slice(0, 8))).toEqual([6, 9, 4, 2, 8, 5, 6, 7]);
  expect(new Float32Array(words)[8]).toBe(0.25);
  expect(Array.from(u32.slice(9, 13))).toEqual([3, 4, 2, 2]);
});

describe('decode split tuning', () => {
  test.each([
    [1, 1, 12, 1],
    [128, 1, 12, 2],
    [1024, 1, 12, 16],
    [4096, 1, 12, 22],
    [100_000, 1, 1, 64],
    [1500, 5, 8, 7],
    [4096, 16, 32, 1],
  ])('keys %i, queries %i, heads %i -> %i splits (GPU tuning)', (keys, queries, heads, splits) => {
    expect(chooseDecodeSplits(keys, queries, heads, DECODE_SPLIT_TUNING)).toBe(splits);
  });
  test('a software adapter targets 4 workgroups per CPU thread', () => {
    expect(decodeSplitTuningFor(false, 2)).toBe(DECODE_SPLIT_TUNING);
    const software = decodeSplitTuningFor(true, 2);
    expect(software.targetWorkgroups).toBe(8);
    expect(chooseDecodeSplits(1024, 1, 12, software)).toBe(1);
    expect(chooseDecodeSplits(1024, 1, 2, software)).toBe(4);
  });
  test('plans never leave a split without keys and cover every key once', () => {
    for (const keys of [1, 2, 5, 17, 300, 1500, 4097]) {
      for (const requested of [1, 2, 3, 7, 16, 64].filter((s) => s <= keys)) {
        const { splits, splitSize } = planDecodeSplits(keys, requested);
        expect(splits).toBeLessThanOrEqual(requested);
        expect((splits - 1) * splitSize).toBeLessThan(keys);
        expect(splits * splitSize).toBeGreaterThanOrEqual(keys);
      }
    }
  });
});

describe('prefill tiling', () => {
  const limits = (storageBytes: number, invocations = 256) =>
    ({
      maxComputeWorkgroupStorageSize: storageBytes,
      maxComputeInvocationsPerWorkgroup: invocations,
    }) as GPUSupportedLimits;
  test('defaults fit 32 KiB: 16 x 32 for heads up to 64, 16 x 16 up to 128', () => {
    expect(prefillTiling(64, limits(32_768))).toEqual({ headDimCapacity: 64, queryTile: 16, keyTile: 32 });
    expect(prefillTiling(128, limits(32_768))).toEqual({ headDimCapacity: 128, queryTile: 16, keyTile: 16 });
    expect(prefillSharedBytes(prefillTiling(128, limits(32_768)))).toBeLessThanOrEqual(32_768);
  });
  test('shrinks to the WebGPU minimum of 16 KiB and refuses what cannot fit', () => {
    for (const capacity of [64, 128] as const) {
      const tiling = prefillTiling(capacity, limits(16_384));
      expect(prefillSharedBytes(tiling)).toBeLessThanOrEqual(16_384);
    }
    expect(() => prefillTiling(128, limits(2048))).toThrow(/no tiling for headDim up to 128 fits/);
  });
});
