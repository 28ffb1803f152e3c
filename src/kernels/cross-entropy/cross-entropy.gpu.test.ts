// Parity of the fused cross-entropy kernel with the f64 reference: vocabularies 1 to 151,936 (not
// multiples of the workgroup) on every workgroup size the kernel picks, every hard logit kind
// (huge, ties, -Infinity, peaked, flat), -Infinity targets, masked (w = 0) tokens, negative and
// positive weights.
// Criterion: the derived bounds of ./testing.ts; exact zeros for masked rows and -Inf logits.
// Also: logits untouched without the gradient, bad targets flagged, row blocks via firstToken,
// determinism, CPU-side target checks and refused arguments.
import { afterAll, describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readFloat32, readUint32, uploadStorage } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { HARD_KINDS } from '../logits/checks-support';
import { makeBatch, seededRandom } from '../../testing/logits';
import { storage } from '../../testing/run';
import {
  checkTargets,
  CrossEntropyKernel,
  crossEntropyStatusError,
  crossEntropyWorkgroupSize,
  parseCrossEntropyStatus,
} from './cross-entropy';
import { ROW_WORKGROUP_SIZES } from '../norm/row-workgroup';
import { crossEntropyReference } from './reference';
import { compareCrossEntropy, runCrossEntropy } from './testing';

const kernel = testGpu().then((gpu) => CrossEntropyKernel.create(gpu, 'cross-entropy-test'));
const worst = { ratio: 0, logp: 0, gradient: 0 };
afterAll(() => {
  console.warn(
    `cross-entropy parity: worst |gpu - ref| / bound ${worst.ratio.toFixed(3)}; worst |dlogp| ` +
      `${worst.logp.toExponential(2)}, worst |dgrad| ${worst.gradient.toExponential(2)}`,
  );
});

/** Targets: the row's argmax, a random id, and (when the row has one) a -Inf entry, in turn. */
function makeTargets(seed: number, logits: Float32Array, tokens: number, vocab: number): Uint32Array {
  const random = seededRandom(seed);
  return Uint32Array.from({ length: tokens }, (_, t) => {
    const row = logits.subarray(t * vocab, (t + 1) * vocab);
    if (t % 3 === 0) return row.indexOf(row.reduce((a, b) => Math.max(a, b)));
    const negInf = row.indexOf(-Infinity);
    if (t % 3 === 2 && negInf >= 0) return negInf;
    return Math.floor(random() * vocab);
  });
}

/** -1/T (mean cross-entropy), 0 (masked), 2.5 (a positive advantage), in turn. */
function makeWeights(tokens: number): Float32Array {
  return Float32Array.from({ length: tokens }, (_, t) => [-1 / tokens, 0, 2.5][t % 3]);
}

// Threads per row (crossEntropyWorkgroupSize): 32 up to V = 1000, then 64, 128, 256, 256.
const CASES = [
  { tokens: 3, vocab: 1 },
  { tokens: 7, vocab: 7 },
  { tokens: 12, vocab: 50 },
  { tokens: 12, vocab: 257 },
  { tokens: 9, vocab: 1000 },
  { tokens: 6, vocab: 2000 },
  { tokens: 6, vocab: 3000 },
  { tokens: 6, vocab: 50_257 },
  { tokens: 6, vocab: 151_936 },
];

describe('cross-entropy matches the f64 reference', () => {
  test('the cases cover every workgroup size', () => {
    const sizes = new Set(CASES.map(({ vocab }) => crossEntropyWorkgroupSize(vocab)));
    expect([...sizes]).toEqual([...ROW_WORKGROUP_SIZES]);
  });

  test.each(CASES)('T $tokens V $vocab', async ({ tokens, vocab }) => {
    const gpu = await testGpu();
    const logits = makeBatch(tokens + vocab, tokens, vocab, HARD_KINDS);
    const targets = makeTargets(vocab, logits, tokens, vocab);
    const weights = makeWeights(tokens);
    const got = await runCrossEntropy(gpu, await kernel, logits, targets, weights, vocab, true);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    expect(Array.from(got.status)).toEqual([0, 0, 0, 0]);
    const want = crossEntropyReference(logits, targets, weights, tokens, vocab);
    const report = compareCrossEntropy(logits, targets, weights, vocab, want, got.logProbs, got.rows);
    worst.ratio = Math.max(worst.ratio, report.worstRatio);
    worst.logp = Math.max(worst.logp, report.worstLogProbError);
    worst.gradient = Math.max(worst.gradient, report.worstGradientError);
    expect(report.failures, report.first).toBe(0);
  });

  test('without the gradient the logits are untouched; two runs are bit-equal', async () => {
    const gpu = await testGpu();
    const [tokens, vocab] = [5, 1000];
    const logits = makeBatch(3, tokens, vocab, HARD_KINDS);
    const targets = makeTargets(4, logits, tokens, vocab);
    const weights = makeWeights(tokens);
    const first = await runCrossEntropy(gpu, await kernel, logits, targets, weights, vocab, false);
    expect(first.rows).toEqual(logits);
    const want = crossEntropyReference(logits, targets, weights, tokens, vocab);
    const report = compareCrossEntropy(logits, targets, weights, vocab, want, first.logProbs, null);
    expect(report.failures, report.first).toBe(0);
    const second = await runCrossEntropy(gpu, await kernel, logits, targets, weights, vocab, false);
    expect(second.logProbs).toEqual(first.logProbs);
    const withGradient = await runCrossEntropy(gpu, await kernel, logits, targets, weights, vocab, true);
    const again = await runCrossEntropy(gpu, await kernel, logits, targets, weights, vocab, true);
    expect(again.rows).toEqual(withGradient.rows);
  });

  test('out-of-range targets: NaN logp, zero gradient row, counted in the status', async () => {
    const gpu = await testGpu();
    const vocab = 300;
    const logits = makeBatch(9, 4, vocab, ['normal']);
    const targets = Uint32Array.from([5, 300, 7, 1000]);
    const weights = Float32Array.from([1, 1, 1, 1]);
    const got = await runCrossEntropy(gpu, await kernel, logits, targets, weights, vocab, true);
    expect(Number.isNaN(got.logProbs[1]) && Number.isNaN(got.logProbs[3])).toBe(true);
    expect(got.rows.subarray(vocab, 2 * vocab).every((g) => g === 0)).toBe(true);
    const status = parseCrossEntropyStatus(got.status);
    expect(status).toEqual({ badTargets: 2, largestBadTarget: 1000 });
    expect(crossEntropyStatusError(status, vocab)?.message).toMatch(
      /cross-entropy: 2 target id\(s\) out of range \(largest 1000, vocab 300\)/,
    );
    const want = crossEntropyReference(logits, targets, weights, 4, vocab);
    const report = compareCrossEntropy(logits, targets, weights, vocab, want, got.logProbs, got.rows);
    expect(report.failures, report.first).toBe(0);
  });

  test('row blocks: firstToken indexes targets, weights and logProbs', async () => {
    const gpu = await testGpu();
    const vocab = 77;
    const logits = makeBatch(21, 6, vocab, HARD_KINDS);
    const targets = makeTargets(22, logits, 6, vocab);
    const weights = makeWeights(6);
    const want = crossEntropyReference(logits, targets, weights, 6, vocab);
    const blocks = [logits.slice(0, 4 * vocab), logits.slice(4 * vocab)].map((d, i) =>
      uploadStorage(gpu, d, `cross-entropy-test:block${i}`),
    );
    const [tg, w] = [uploadStorage(gpu, targets, 'ce:t'), uploadStorage(gpu, weights, 'ce:w')];
    const [lp, st] = [storage(gpu, 24, 'ce:logp'), storage(gpu, 16, 'ce:status')];
    const first = await kernel;
    const second = await CrossEntropyKernel.create(gpu, 'cross-entropy-test-2');
    await submitPass(gpu, 'cross-entropy-blocks', (pass) => {
      first.encode(pass, blocks[0], tg, w, lp, st, { tokens: 4, vocab }, true);
      second.encode(pass, blocks[1], tg, w, lp, st, { tokens: 2, vocab, firstToken: 4 }, true);
    });
    const logProbs = await readFloat32(gpu, lp, 6);
    const gradient = new Float32Array(6 * vocab);
    gradient.set(await readFloat32(gpu, blocks[0], 4 * vocab));
    gradient.set(await readFloat32(gpu, blocks[1], 2 * vocab), 4 * vocab);
    expect(Array.from(await readUint32(gpu, st, 4))).toEqual([0, 0, 0, 0]);
    const report = compareCrossEntropy(logits, targets, weights, vocab, want, logProbs, gradient);
    expect(report.failures, report.first).toBe(0);
    for (const b of [...blocks, tg, w, lp, st]) b.destroy();
    second.destroy();
  });
});

describe('bad arguments are refused with the value named', () => {
  test('CPU-side target check names the token', () => {
    expect(() => checkTargets([1, 2, 50_257], 50_257)).toThrow(
      /cross-entropy: token 2 has target 50257, outside 0\.\.50256 \(vocab 50257\)/,
    );
    expect(() => checkTargets([0, 1.5], 10)).toThrow(/token 1 has target 1\.5/);
    expect(() => checkTargets([0, 9], 10)).not.toThrow();
  });

  test('shapes, sizes, aliasing', async () => {
    const gpu = await testGpu();
    const k = await kernel;
    const [l, t, w, lp, st] = ['l', 't', 'w', 'lp', 'st'].map((name) => storage(gpu, 64, `bad:${name}`));
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    expect(() => k.encode(pass, l, t, w, lp, st, { tokens: 0, vocab: 4 }, true)).toThrow(
      /cross-entropy: tokens \(rows of logits\) must be an integer in 1\.\.65535, got 0/,
    );
    expect(() => k.encode(pass, l, t, w, lp, st, { tokens: 2, vocab: 9 }, true)).toThrow(
      /logits buffer "bad:l" has 64 bytes but the shape needs 72/,
    );
    expect(() => k.encode(pass, l, t, w, lp, st, { tokens: 1, vocab: 4, firstToken: 16 }, true)).toThrow(
      /targets buffer "bad:t" has 64 bytes but the shape needs 68/,
    );
    expect(() => k.encode(pass, l, t, w, l, st, { tokens: 1, vocab: 4 }, true)).toThrow(
      /logProbs and logits are the same buffer "bad:l"/,
    );
    pass.end();
  });
});
