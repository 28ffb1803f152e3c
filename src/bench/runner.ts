// The benchmark engine (no DOM): runs one BenchCase with its baseline interleaved, takes medians,
// and formats rows as a fixed-width table. Used by the bench page; the table formatter is also
// loaded by scripts/bench.mjs in Node.
import type { Gpu } from '../gpu/runtime';
import type { BenchCase, BenchRow } from './types';

export interface RunOptions {
  /** Untimed runs per side before timing (compilation, pool warm-up, JIT). */
  warmup: number;
  /** Timed runs per side. */
  iterations: number;
  /** A case that takes longer than this in total fails instead of hanging the whole run. */
  timeoutMs?: number;
}

/** A case that threw: reported with its error, after the other cases ran. */
export interface BenchFailure {
  name: string;
  shape: string;
  error: string;
}

export const DEFAULT_CASE_TIMEOUT_MS = 300_000;

/** Median of `samples` (mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples: run at least one iteration.');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * True when no filter is given or any filter occurs (case-insensitively) in the case's name or in
 * "name shape", so `--filter "top-p B=8"` selects one shape of one kernel.
 */
export function matchesFilter(
  benchCase: Pick<BenchCase, 'name' | 'shape'>,
  filters: readonly string[],
): boolean {
  if (filters.length === 0) return true;
  const haystack = `${benchCase.name} ${benchCase.shape}`.toLowerCase();
  return filters.some((filter) => haystack.includes(filter.trim().toLowerCase()));
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`${what} did not finish within ${ms / 1000} s (hung GPU work or a very slow case).`),
        ),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function timed(body: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

async function measure(
  gpu: Gpu,
  benchCase: BenchCase,
  { warmup, iterations }: RunOptions,
): Promise<BenchRow> {
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`iterations must be a whole number >= 1, got ${iterations}.`);
  }
  gpu.takeUncapturedErrors(); // errors from earlier cases are not this case's
  const instance = await benchCase.setup(gpu);
  try {
    const gpuMs: number[] = [];
    const baselineMs: number[] = [];
    // Interleaved (ABAB…) so clock changes and background load hit both sides alike.
    for (let i = 0; i < warmup + iterations; i++) {
      const a = await timed(() => instance.run());
      const b = await timed(() => instance.runBaseline());
      if (i >= warmup) {
        gpuMs.push(a);
        baselineMs.push(b);
      }
    }
    const errors = gpu.takeUncapturedErrors();
    if (errors.length > 0) {
      throw new Error(`WebGPU reported ${errors.length} error(s) during the case: ${errors.join(' | ')}`);
    }
    gpu.assertAlive();
    const median_ms = median(gpuMs);
    const baseline_median_ms = median(baselineMs);
    return {
      name: benchCase.name,
      shape: benchCase.shape,
      median_ms,
      baseline: benchCase.baseline,
      baseline_median_ms,
      ratio: baseline_median_ms / median_ms,
    };
  } finally {
    instance.dispose();
  }
}

/**
 * Sets the case up, runs `warmup` then `iterations` pairs of (GPU run, baseline run), each timed
 * with performance.now() around the awaited run, and returns the medians. Throws if the case
 * throws, WebGPU reports an error, the device is lost, or the case exceeds its timeout.
 */
export function runCase(gpu: Gpu, benchCase: BenchCase, options: RunOptions): Promise<BenchRow> {
  const ms = options.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  return withTimeout(measure(gpu, benchCase, options), ms, `${benchCase.name} ${benchCase.shape}`);
}

const COLUMNS = ['name', 'shape', 'median ms', 'baseline', 'baseline ms', 'ratio'] as const;
const NUMERIC = new Set<string>(['median ms', 'baseline ms', 'ratio']);

// Same decimals on every row so the decimal points line up.
const formatMs = (ms: number): string => ms.toFixed(3);

/**
 * Header lines, then one row per case: name, shape, median ms, baseline, baseline median ms,
 * ratio (2 decimals). Text columns are left-aligned, numbers right-aligned.
 */
export function formatTable(rows: readonly BenchRow[], header: readonly string[] = []): string {
  const cells = rows.map((row) => [
    row.name,
    row.shape,
    formatMs(row.median_ms),
    row.baseline,
    formatMs(row.baseline_median_ms),
    Number.isFinite(row.ratio) ? row.ratio.toFixed(2) : String(row.ratio),
  ]);
  const widths = COLUMNS.map((title, c) => Math.max(title.length, ...cells.map((line) => line[c].length)));
  const render = (line: readonly string[]) =>
    line
      .map((cell, c) => (NUMERIC.has(COLUMNS[c]) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const ruler = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = cells.length > 0 ? cells.map(render) : ['(no rows)'];
  return [...header, render(COLUMNS), ruler, ...body].join('\n');
}

/** One block per failed case: "FAILED name shape" and the error, indented. */
export function formatFailures(failures: readonly BenchFailure[]): string {
  return failures
    .map((f) => `FAILED ${f.name}${f.shape ? ` ${f.shape}` : ''}\n${f.error.replace(/^/gm, '    ')}`)
    .join('\n');
}
