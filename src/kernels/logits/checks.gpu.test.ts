import { afterEach, describe, expect, test, vi } from 'vitest';
import { testGpu } from '../../testing/gpu';
import type { KernelCheck } from '../check';
import { checks } from './checks';
import { CombineKernel, type CombineParams } from './combine';
import { FilterKernel, type FilterParams } from './filter';
import { SampleKernel, type SampleParams } from './sample';

function byId(id: string): KernelCheck {
  const check = checks.find((c) => c.id === id);
  if (!check) throw new Error(`no check with id ${id}`);
  return check;
}

describe('logit Kernel checks pass on this GPU', () => {
  test('ids are unique and cover every logit kernel', () => {
    const ids = checks.map((check) => check.id);
    expect(new Set(ids).size, ids.join(', ')).toBe(ids.length);
    expect(ids).toEqual([
      'logits/row-stats',
      'logits/log-softmax',
      'logits/combine',
      'logits/top-k',
      'logits/top-p',
      'logits/min-p',
      'logits/sample',
      'logits/fused',
    ]);
    for (const check of checks) expect(check.family).toBe('logits');
  });

  test.each(checks.map((check) => [check.id, check] as const))('%s', async (_id, check) => {
    const gpu = await testGpu();
    const result = await check.run(gpu);
    console.warn(
      `${check.id}: ${result.pass ? 'pass' : 'FAIL'}, gpu ${result.gpuMs.toFixed(2)} ms (${result.timing}), ` +
        `cpu ${result.cpuMs.toFixed(2)} ms: ${result.detail}`,
    );
    expect(result.pass, result.detail).toBe(true);
    expect(result.gpuMs).toBeGreaterThan(0);
    expect(result.cpuMs).toBeGreaterThan(0);
  });
});

// A check that cannot fail is not a check: a slightly wrong kernel must give pass: false with a
// readable detail, never an exception.
describe('logit Kernel checks report a wrong kernel as a failure', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('combine with a temperature off by 0.1%', async () => {
    const encode = CombineKernel.prototype.encode;
    vi.spyOn(CombineKernel.prototype, 'encode').mockImplementation(function (this: CombineKernel, ...args) {
      const params: CombineParams = { ...args[5], temperature: args[5].temperature * 1.001 };
      encode.call(this, args[0], args[1], args[2], args[3], args[4], params);
    });
    const result = await byId('logits/combine').run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(
      /^FAILED VCD-like \[2, -1\] row \d: \d+ of 50257 differ, first \[\d+\] GPU/,
    );
  });

  test('top-p applied as 0.89 instead of 0.9', async () => {
    const encode = FilterKernel.prototype.encode;
    vi.spyOn(FilterKernel.prototype, 'encode').mockImplementation(function (this: FilterKernel, ...args) {
      const params: FilterParams = { ...args[5], topP: args[5].topP === 0.9 ? 0.89 : args[5].topP };
      encode.call(this, args[0], args[1], args[2], args[3], args[4], params);
    });
    const result = await byId('logits/top-p').run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED top-p 0\.9 row \d \(\w+\): top-p/);
  });

  test('sampling with the Philox counter off by one', async () => {
    const encode = SampleKernel.prototype.encode;
    vi.spyOn(SampleKernel.prototype, 'encode').mockImplementation(function (this: SampleKernel, ...args) {
      const params: SampleParams = { ...args[6], counter: args[6].counter + 1 };
      encode.call(this, args[0], args[1], args[2], args[3], args[4], args[5], params);
    });
    const result = await byId('logits/sample').run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/FAILED \d+ of 512 draws differ, first row \d/);
  });
});
