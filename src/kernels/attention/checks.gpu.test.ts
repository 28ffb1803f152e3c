// The attention Kernel checks pass on this GPU, and report a subtly wrong kernel as a failure
// (a check that cannot fail is not a check).
import { afterEach, describe, expect, test, vi } from 'vitest';
import { testGpu } from '../../testing/gpu';
import type { KernelCheck } from '../check';
import { checks } from './checks';
import { DecodeAttention } from './decode';
import { PrefillAttention } from './prefill';
import type { AttentionShape } from './shape';

function byId(id: string): KernelCheck {
  const check = checks.find((c) => c.id === id);
  if (!check) throw new Error(`no check with id ${id}`);
  return check;
}

/** The shape with its scale off by 0.1%: what a wrong 1/sqrt(headDim) rounding would look like. */
const skewed = (shape: AttentionShape): AttentionShape => ({
  ...shape,
  scale: (shape.scale ?? 1 / Math.sqrt(shape.headDim)) * 1.001,
});

describe('attention Kernel checks pass on this GPU', () => {
  test('ids', () => {
    expect(checks.map((c) => c.id)).toEqual(['attention/prefill', 'attention/decode']);
    for (const check of checks) expect(check.family).toBe('attention');
  });

  test.each(checks.map((check) => [check.id, check] as const))('%s', async (_id, check) => {
    const result = await check.run(await testGpu());
    console.warn(
      `${check.id}: ${result.pass ? 'pass' : 'FAIL'}, gpu ${result.gpuMs.toFixed(2)} ms (${result.timing}), ` +
        `cpu ${result.cpuMs.toFixed(2)} ms: ${result.detail}`,
    );
    expect(result.pass, result.detail).toBe(true);
    expect(result.detail).toMatch(/worst \|gpu-ref\| .* \(atol /);
    expect(result.gpuMs).toBeGreaterThan(0);
    expect(result.cpuMs).toBeGreaterThan(0);
  });
});

describe('attention Kernel checks report a wrong kernel as a failure', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('prefill with the scale off by 0.1%', async () => {
    const encode = PrefillAttention.prototype.encode;
    vi.spyOn(PrefillAttention.prototype, 'encode').mockImplementation(function (
      this: PrefillAttention,
      ...args
    ) {
      encode.call(this, args[0], args[1], skewed(args[2]));
    });
    const result = await byId('attention/prefill').run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED Tq=L=96 H=8\/2 D=64: \d+ of \d+ mismatch/);
  });

  test('decode with the scale off by 0.1%', async () => {
    const encode = DecodeAttention.prototype.encode;
    vi.spyOn(DecodeAttention.prototype, 'encode').mockImplementation(function (
      this: DecodeAttention,
      ...args
    ) {
      encode.call(this, args[0], args[1], skewed(args[2]), args[3]);
    });
    const result = await byId('attention/decode').run(await testGpu());
    expect(result.pass).toBe(false);
    expect(result.detail).toMatch(/^FAILED Tq=1 L=1000 H=8\/2 D=128: \d+ of \d+ mismatch/);
  });
});
