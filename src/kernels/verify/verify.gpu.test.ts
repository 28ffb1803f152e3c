// Parity of shaders/speculative-verify.wgsl with the reference, in Chromium with WebGPU: every
// trial's decisions identical, except where the reference's margin shows f32 rounding could flip
// them (reported, see ./compare.ts); hover probabilities within f32 tolerance. Hard inputs:
// vocabulary 1, 7 and 50,257, ties, -Infinity, 1e4 magnitudes, peaked rows, p == q, K = 1 and 16,
// deterministic drafts, greedy, SpecTr k = 2..4; then the refusals of bad inputs.
import { afterAll, describe, expect, test } from 'vitest';
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import { uploadStorage } from '../../gpu/readback';
import { describeKernelChecks } from '../../testing/checks';
import { testGpu } from '../../testing/gpu';
import { checks } from './checks';
import { compareVerify, summarize } from './compare';
import type { VerifyInputs, VerifyParams } from './params';
import { verifyReference } from './reference';
import { hardVerifyCase, runOnGpu, SAMPLE_PARAMS, type HardCaseSpec } from './testing';
import { VerifyKernel } from './verify';

describeKernelChecks('verify', checks, ['verify/speculative-sampling', 'verify/spectr', 'verify/exactness']);

const created: { destroy(): void }[] = [];
afterAll(() => created.forEach((c) => c.destroy()));

const GREEDY: Partial<VerifyParams> = { mode: 'greedy' };

describe('speculative verification on the GPU decides like the reference', () => {
  test.each<[string, HardCaseSpec, number, Partial<VerifyParams>?]>([
    ['vocab 1 (every draft accepted)', { draftLength: 3, vocab: 1, kinds: ['normal'], draft: 'model' }, 8],
    ['vocab 7, K = 16, ties and peaked', { draftLength: 16, vocab: 7, kinds: ['normal', 'ties', 'peaked'], draft: 'model' }, 48], // prettier-ignore
    ['vocab 1000, K = 4, ties / -Infinity / 1e4', { draftLength: 4, vocab: 1000, kinds: ['ties', 'neg-inf', 'huge'], draft: 'model', noise: 0.5 }, 24], // prettier-ignore
    ['vocab 50,257, K = 2, every hard kind', { draftLength: 2, vocab: 50_257, kinds: ['normal', 'huge', 'neg-inf', 'ties', 'peaked', 'flat'], draft: 'model', noise: 0.3 }, 6], // prettier-ignore
    ['K = 1, temperatures 0.7 / 1.3', { draftLength: 1, vocab: 300, kinds: ['normal'], draft: 'model' }, 32, { targetTemperature: 0.7, draftTemperature: 1.3 }], // prettier-ignore
    ['deterministic draft, K = 5', { draftLength: 5, vocab: 500, kinds: ['peaked', 'normal', 'neg-inf'], draft: 'lookup' }, 32], // prettier-ignore
    ['deterministic draft, 3 candidates with duplicates', { draftLength: 4, vocab: 50, candidates: 3, kinds: ['normal', 'ties'], draft: 'lookup', duplicate: true }, 32], // prettier-ignore
    ['greedy, ties', { draftLength: 4, vocab: 1000, kinds: ['ties', 'peaked'], draft: 'model' }, 4, GREEDY],
    ['greedy SpecTr k = 3, deterministic', { draftLength: 3, vocab: 20, candidates: 3, kinds: ['ties'], draft: 'lookup', duplicate: true }, 4, GREEDY], // prettier-ignore
    ['SpecTr k = 2', { draftLength: 4, vocab: 64, candidates: 2, kinds: ['normal', 'peaked'], draft: 'model' }, 32], // prettier-ignore
    ['SpecTr k = 3 with duplicate candidates', { draftLength: 3, vocab: 40, candidates: 3, kinds: ['normal', 'ties', 'neg-inf'], draft: 'model', duplicate: true }, 32], // prettier-ignore
    ['SpecTr k = 4, rho floor 2', { draftLength: 2, vocab: 64, candidates: 4, kinds: ['normal', 'flat'], draft: 'model', noise: 2 }, 32, { rho: 2 }], // prettier-ignore
    ['SpecTr k = 2 at vocab 50,257', { draftLength: 1, vocab: 50_257, candidates: 2, kinds: ['normal', 'neg-inf'], draft: 'model' }, 2], // prettier-ignore
  ])('%s', async (_name, spec, trials, change = {}) => {
    const gpu = await testGpu();
    const input = hardVerifyCase(spec.vocab * 31 + spec.draftLength, spec, trials);
    const params = { ...SAMPLE_PARAMS, ...change };
    const kernel = await VerifyKernel.create(gpu, input.shape);
    created.push(kernel);
    const actual = await runOnGpu(gpu, kernel, input.logits, input.draftTokens, params);
    const report = compareVerify(
      actual,
      verifyReference(input.shape, input.logits, input.draftTokens, params),
    );
    console.warn(`${_name}: ${summarize(report)}${report.boundary.length ? `\n  ${report.boundary.join('\n  ')}` : ''}`); // prettier-ignore
    expect(report.failures).toEqual([]);
    expect(report.identical).toBeGreaterThanOrEqual(Math.ceil(0.9 * trials));
    expect(gpu.takeUncapturedErrors()).toEqual([]);
  });

  test('p == q accepts every drafted token; vocab 1 returns token 0 throughout', async () => {
    const gpu = await testGpu();
    const same = hardVerifyCase(7, { draftLength: 4, vocab: 200, kinds: ['normal', 'huge'], draft: 'model', noise: 0 }, 16); // prettier-ignore
    const kernel = await VerifyKernel.create(gpu, same.shape);
    created.push(kernel);
    for (const r of await runOnGpu(gpu, kernel, same.logits, same.draftTokens, SAMPLE_PARAMS)) {
      expect(r).toMatchObject({ accepted: 4, bonus: true, tokens: [...same.draftTokens, r.tokens[4]] });
      expect(r.p).toEqual(r.q);
    }
    const one = hardVerifyCase(1, { draftLength: 2, vocab: 1, kinds: ['huge'], draft: 'lookup' }, 4);
    const tiny = await VerifyKernel.create(gpu, one.shape);
    created.push(tiny);
    for (const r of await runOnGpu(gpu, tiny, one.logits, one.draftTokens, SAMPLE_PARAMS)) {
      expect(r).toEqual({ accepted: 2, tokens: [0, 0, 0], bonus: true, candidate: 0, p: [1, 1], q: [1, 1] });
    }
  });
});

describe('bad inputs are refused with a clear KernelInputError', () => {
  test('shapes', async () => {
    const gpu = await testGpu();
    await expect(VerifyKernel.create(gpu, { draftLength: 0, vocab: 10 })).rejects.toThrow(/draftLength \(K\) must be an integer in 1\.\.16, got 0/); // prettier-ignore
    await expect(VerifyKernel.create(gpu, { draftLength: 17, vocab: 10 })).rejects.toThrow(/1\.\.16, got 17/);
    await expect(VerifyKernel.create(gpu, { draftLength: 2, vocab: 300_000 })).rejects.toThrow(/vocab must be an integer in 1\.\.262144/); // prettier-ignore
    await expect(VerifyKernel.create(gpu, { draftLength: 2, vocab: 10, candidates: 9 })).rejects.toThrow(KernelInputError); // prettier-ignore
  });

  test('parameters, buffers, tokens and invalid logits', async () => {
    const gpu = await testGpu();
    const kernel = await VerifyKernel.create(gpu, { draftLength: 2, vocab: 10 });
    created.push(kernel);
    const target = uploadStorage(gpu, new Float32Array(30), 'verify-test:target');
    const draft = uploadStorage(gpu, new Float32Array(20), 'verify-test:draft');
    const small = uploadStorage(gpu, new Float32Array(8), 'verify-test:small');
    created.push(target, draft, small);
    const inputs: VerifyInputs = { target, draft, draftTokens: [1, 2] };
    const run = (change: Partial<VerifyParams>, other = inputs) =>
      kernel.run(other, { ...SAMPLE_PARAMS, ...change });
    await expect(run({ targetTemperature: 0 })).rejects.toThrow(/targetTemperature must be a finite number > 0, got 0/); // prettier-ignore
    await expect(run({ draftTemperature: NaN })).rejects.toThrow(/draftTemperature must be a finite number > 0, got NaN/); // prettier-ignore
    await expect(run({}, { ...inputs, target: small })).rejects.toThrow(/target buffer "verify-test:small" has 32 bytes; rows up to 2 of vocab 10 need 120/); // prettier-ignore
    await expect(run({}, { ...inputs, draft: small })).rejects.toThrow(/draft buffer .* need 80/);
    await expect(run({}, { ...inputs, targetRowOffset: 1 })).rejects.toThrow(/rows up to 3/);
    await expect(run({}, { ...inputs, draftTokens: [1, 10] })).rejects.toThrow(/draft token 1 is 10; the vocabulary has ids 0\.\.9/); // prettier-ignore
    await expect(run({}, { ...inputs, draftTokens: [1] })).rejects.toThrow(/got 1 draft tokens/);
    await expect(run({ rho: 1.5 })).rejects.toThrow(/rho must be a number in \[1, candidates = 1\]/);
    const nan = uploadStorage(gpu, Float32Array.from({ length: 30 }, (_, i) => (i === 13 ? NaN : 0)), 'verify-test:nan'); // prettier-ignore
    const empty = uploadStorage(gpu, Float32Array.from({ length: 30 }, (_, i) => (i < 10 ? -Infinity : 0)), 'verify-test:empty'); // prettier-ignore
    created.push(nan, empty);
    await expect(run({}, { ...inputs, target: nan })).rejects.toThrow(/target logits row 1 holds NaN or \+Infinity/); // prettier-ignore
    await expect(run({}, { ...inputs, target: empty })).rejects.toThrow(EmptyDistributionError);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
  });
});
