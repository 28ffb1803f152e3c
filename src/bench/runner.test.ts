// Unit tests for the bench engine's pure parts and its bookkeeping around a case. No timing
// assertions: the fake cases take no measurable time and only the structure is checked.
import { describe, expect, it, vi } from 'vitest';
import type { Gpu } from '../gpu/runtime';
import { formatFailures, formatTable, matchesFilter, median, runCase } from './runner';
import type { BenchCase, BenchRow } from './types';

const row = (overrides: Partial<BenchRow> = {}): BenchRow => ({
  name: 'logits/top-p',
  shape: 'B=1 V=50257',
  median_ms: 0.5,
  baseline: 'js-readback-loop',
  baseline_median_ms: 2,
  ratio: 4,
  ...overrides,
});

/** Just enough of a Gpu for runCase: error bookkeeping, no device. */
function fakeGpu(errors: string[] = []): Gpu {
  return { takeUncapturedErrors: () => errors.splice(0), assertAlive: () => {} } as unknown as Gpu;
}

function fakeCase(log: string[], overrides: Partial<BenchCase> = {}): BenchCase {
  return {
    name: 'fake/kernel',
    shape: 'B=8 V=151936',
    baseline: 'js-readback-loop',
    setup: async () => ({
      run: async () => void log.push('A'),
      runBaseline: async () => void log.push('B'),
      dispose: () => void log.push('dispose'),
    }),
    ...overrides,
  };
}

describe('median', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('refuses an empty sample with a message', () => {
    expect(() => median([])).toThrow(/no samples/);
  });
});

describe('matchesFilter', () => {
  const topP = { name: 'logits/Top-P', shape: 'B=8 V=151936' };

  it('selects everything without filters', () => {
    expect(matchesFilter(topP, [])).toBe(true);
  });

  it('matches the name or "name shape", case-insensitively', () => {
    expect(matchesFilter(topP, ['top-p'])).toBe(true);
    expect(matchesFilter(topP, ['LOGITS/'])).toBe(true);
    expect(matchesFilter(topP, ['top-p b=8'])).toBe(true);
    expect(matchesFilter(topP, ['v=151936'])).toBe(true);
    expect(matchesFilter(topP, ['top-p b=1'])).toBe(false);
    expect(matchesFilter(topP, ['divergence'])).toBe(false);
  });

  it('selects the union of several filters', () => {
    expect(matchesFilter(topP, ['divergence', 'top-p'])).toBe(true);
    expect(matchesFilter(topP, ['divergence', 'random'])).toBe(false);
  });
});

describe('formatTable', () => {
  it('prints the header lines, the column titles and one aligned line per row', () => {
    const table = formatTable(
      [row(), row({ name: 'divergence/kl', shape: 'B=8 V=151936', median_ms: 12.5, ratio: 0.16 })],
      ['adapter: test'],
    );
    const lines = table.split('\n');
    expect(lines[0]).toBe('adapter: test');
    expect(lines[1]).toMatch(/^name\s+shape\s+median ms\s+baseline\s+baseline ms\s+ratio$/);
    expect(lines[2]).toMatch(/^-+( +-+){5}$/);
    expect(lines[3]).toMatch(/^logits\/top-p\s+B=1 V=50257\s+0\.500\s+js-readback-loop\s+2\.000\s+4\.00$/);
    expect(lines[4]).toMatch(/^divergence\/kl\s+B=8 V=151936\s+12\.500\s+js-readback-loop\s+2\.000\s+0\.16$/);
    // Fixed width: text columns start under their titles, numbers end under theirs.
    const baselineAt = lines[1].indexOf('baseline');
    expect(lines[3].indexOf('js-readback-loop')).toBe(baselineAt);
    expect(lines[4].indexOf('js-readback-loop')).toBe(baselineAt);
    expect(lines[3].length).toBe(lines[1].length);
    expect(lines[4].length).toBe(lines[1].length);
  });

  it('rounds the ratio to two decimals', () => {
    expect(formatTable([row({ ratio: 1 / 3 })])).toMatch(/ 0\.33$/);
  });

  it('says so when there are no rows', () => {
    expect(formatTable([], ['h'])).toContain('(no rows)');
  });
});

describe('formatFailures', () => {
  it('names the case and indents every line of its error', () => {
    expect(formatFailures([{ name: 'x/y', shape: 'B=1', error: 'Error: one\ntwo' }])).toBe(
      'FAILED x/y B=1\n    Error: one\n    two',
    );
  });
});

describe('runCase', () => {
  it('interleaves GPU and baseline runs, warm-up first, and disposes', async () => {
    const log: string[] = [];
    const result = await runCase(fakeGpu(), fakeCase(log), { warmup: 2, iterations: 3 });
    expect(log).toEqual(['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B', 'A', 'B', 'dispose']);
    expect(result).toMatchObject({
      name: 'fake/kernel',
      shape: 'B=8 V=151936',
      baseline: 'js-readback-loop',
    });
    expect(Object.keys(result).sort()).toEqual(
      ['baseline', 'baseline_median_ms', 'median_ms', 'name', 'ratio', 'shape'].sort(),
    );
    expect(result.ratio).toBe(result.baseline_median_ms / result.median_ms);
  });

  it('disposes and rethrows when a run throws', async () => {
    const log: string[] = [];
    const broken = fakeCase(log, {
      setup: async () => ({
        run: async () => {
          throw new Error('kernel exploded');
        },
        runBaseline: async () => {},
        dispose: () => void log.push('dispose'),
      }),
    });
    await expect(runCase(fakeGpu(), broken, { warmup: 0, iterations: 1 })).rejects.toThrow('kernel exploded');
    expect(log).toEqual(['dispose']);
  });

  it('fails a case during which WebGPU reported errors', async () => {
    const errors: string[] = [];
    const log: string[] = [];
    const noisy = fakeCase(log);
    const gpu = fakeGpu(errors);
    const setup = noisy.setup;
    noisy.setup = async (g) => {
      const instance = await setup(g);
      return { ...instance, run: async () => void errors.push('Binding size too small') };
    };
    await expect(runCase(gpu, noisy, { warmup: 0, iterations: 1 })).rejects.toThrow(/Binding size too small/);
  });

  it('fails a case that never finishes once its timeout passes', async () => {
    vi.useFakeTimers();
    try {
      const hung = fakeCase([], { setup: () => new Promise(() => {}) });
      const outcome = runCase(fakeGpu(), hung, { warmup: 0, iterations: 1, timeoutMs: 1000 });
      const check = expect(outcome).rejects.toThrow(/did not finish within 1 s/);
      await vi.advanceTimersByTimeAsync(1000);
      await check;
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a run without timed iterations', async () => {
    await expect(runCase(fakeGpu(), fakeCase([]), { warmup: 1, iterations: 0 })).rejects.toThrow(
      /iterations/,
    );
  });
});
