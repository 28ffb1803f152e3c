// The bench page (scripts/bench/index.html): acquires the GPU, collects every family's
// `benchCases` from src/kernels/*/bench.ts, src/model/*/bench.ts, src/training/*/bench.ts and src/decoding/*/bench.ts (plus
// the harness's own case with --selftest), filters
// them and runs each with the runner. Driven by scripts/bench.mjs through `window.logitlabBench`
// and the exposed `window.benchEvent`; opened by hand (`npm run dev`, then
// /scripts/bench/index.html?selftest&filter=selftest&iterations=15) it runs from the URL and
// prints the table into the page.
import type { AdapterSummary } from '../gpu/device';
import { Gpu } from '../gpu/runtime';
import { formatFailures, formatTable, matchesFilter, runCase, type BenchFailure } from './runner';
import { selftestCases } from './selftest';
import type { BenchCase, BenchRow } from './types';

export interface BenchPageOptions {
  filters: string[];
  warmup: number;
  iterations: number;
  selftest: boolean;
}

/** Streamed to the driver as it happens, so a crash mid-run still leaves the finished rows. */
export type BenchEvent =
  | { type: 'header'; lines: string[] }
  | { type: 'progress'; line: string }
  | { type: 'warning'; line: string }
  | { type: 'row'; row: BenchRow }
  | { type: 'failure'; failure: BenchFailure };

export interface BenchReport {
  header: string[];
  rows: BenchRow[];
  failures: BenchFailure[];
  warnings: string[];
}

declare global {
  interface Window {
    logitlabBench?: { run(options: BenchPageOptions): Promise<BenchReport> };
    /** Installed by scripts/bench.mjs with page.exposeFunction before the page loads. */
    benchEvent?: (event: BenchEvent) => Promise<void>;
    /** Set by scripts/bench/index.html when this module fails to load. */
    benchLoadError?: string;
  }
}

// Loaded one by one (not eagerly) so a family whose bench.ts fails to load fails alone.
const families = import.meta.glob<{ benchCases?: unknown }>([
  '../kernels/*/bench.ts',
  '../model/*/bench.ts',
  '../training/*/bench.ts',
  '../decoding/*/bench.ts',
  '../speculative/bench.ts',
]);

interface LoadFailure {
  family: string;
  error: string;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function isBenchCase(value: unknown): value is BenchCase {
  const c = value as Partial<BenchCase> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.name === 'string' &&
    typeof c.shape === 'string' &&
    typeof c.baseline === 'string' &&
    typeof c.setup === 'function'
  );
}

async function collectCases(selftest: boolean): Promise<{ cases: BenchCase[]; loadFailures: LoadFailure[] }> {
  const cases: BenchCase[] = selftest ? [...selftestCases] : [];
  const loadFailures: LoadFailure[] = [];
  for (const path of Object.keys(families).sort()) {
    const family = path.split('/').at(-2) ?? path;
    const file = path.replace(/^\.\.\//, 'src/');
    try {
      const { benchCases } = await families[path]();
      if (!Array.isArray(benchCases) || !benchCases.every(isBenchCase)) {
        throw new Error('it must export `benchCases: BenchCase[]` (see src/bench/types.ts).');
      }
      cases.push(...benchCases);
    } catch (error) {
      loadFailures.push({ family, error: `${file}: ${describe(error)}` });
    }
  }
  return { cases, loadFailures };
}

function headerLines(summary: AdapterSummary, options: BenchPageOptions): string[] {
  // Chromium reports no description for some adapters (SwiftShader); vendor + architecture remain.
  const adapter = summary.description || summary.device || `${summary.vendor} ${summary.architecture}`;
  const timer = crossOriginIsolated
    ? 'cross-origin isolated, fine-grained timer'
    : 'NOT cross-origin isolated, timer coarsened to ~0.1 ms';
  return [
    `adapter: ${adapter} (vendor ${summary.vendor}, architecture ${summary.architecture}` +
      `${summary.isFallbackAdapter ? ', fallback adapter' : ''})`,
    `timing: wall-clock, performance.now() around each awaited run (submit + GPU work + readback); ` +
      `median of ${options.iterations} runs per side after ${options.warmup} warm-up, GPU and baseline ` +
      `interleaved; ${timer}`,
    'ratio = baseline ms / median ms (above 1: the kernel beats the baseline)',
  ];
}

async function run(options: BenchPageOptions): Promise<BenchReport> {
  const emit = (event: BenchEvent) => window.benchEvent?.(event) ?? Promise.resolve();
  const report: BenchReport = { header: [], rows: [], failures: [], warnings: [] };
  const fail = async (failure: BenchFailure) => {
    report.failures.push(failure);
    await emit({ type: 'failure', failure });
  };

  let gpu = await Gpu.create();
  report.header = headerLines(gpu.summary, options);
  await emit({ type: 'header', lines: report.header });

  const { cases, loadFailures } = await collectCases(options.selftest);
  for (const { family, error } of loadFailures) {
    // A family that cannot load might hold rows the filter wants; only a filter that clearly
    // points elsewhere turns its failure into a warning.
    const relevant =
      options.filters.length === 0 ||
      options.filters.some((f) => family.includes(f.toLowerCase()) || f.toLowerCase().includes(family));
    if (relevant) await fail({ name: `${family}/*`, shape: '', error });
    else {
      const line = `could not load ${error} (its cases were not matched against the filter)`;
      report.warnings.push(line);
      await emit({ type: 'warning', line });
    }
  }

  const selected = cases.filter((c) => matchesFilter(c, options.filters));
  if (selected.length === 0) {
    const known = cases.map((c) => `${c.name} ${c.shape}`).join(', ') || 'none';
    await fail({
      name: 'bench',
      shape: '',
      error:
        options.filters.length > 0
          ? `no case matches --filter ${options.filters.map((f) => JSON.stringify(f)).join(' --filter ')}; cases: ${known}`
          : 'no bench cases found: add src/kernels/<family>/bench.ts exporting benchCases, or pass --selftest',
    });
  }

  try {
    for (const [index, benchCase] of selected.entries()) {
      const title = `${benchCase.name} ${benchCase.shape}`;
      await emit({ type: 'progress', line: `[${index + 1}/${selected.length}] ${title}` });
      try {
        const row = await runCase(gpu, benchCase, options);
        report.rows.push(row);
        await emit({ type: 'row', row });
      } catch (error) {
        await fail({ name: benchCase.name, shape: benchCase.shape, error: describe(error) });
        // A failed case may leave work in flight or the device lost: the next case gets a fresh one.
        gpu = await gpu.reacquire();
      }
    }
  } finally {
    gpu.destroy();
  }
  return report;
}

window.logitlabBench = { run };

/** Manual mode: options from the URL, table into the page. */
async function runFromUrl(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const output = document.getElementById('output') as HTMLPreElement;
  const options: BenchPageOptions = {
    filters: params.getAll('filter'),
    warmup: Number(params.get('warmup') ?? 3),
    iterations: Number(params.get('iterations') ?? 15),
    selftest: params.has('selftest'),
  };
  window.benchEvent = async (event) => {
    if (event.type === 'progress' || event.type === 'warning') output.textContent += `${event.line}\n`;
  };
  try {
    const report = await run(options);
    output.textContent = [
      formatTable(report.rows, report.header),
      formatFailures(report.failures),
      ...report.warnings.map((w) => `warning: ${w}`),
    ]
      .filter(Boolean)
      .join('\n\n');
  } catch (error) {
    output.textContent += `\n${describe(error)}`;
  }
}

if (typeof window.benchEvent !== 'function') void runFromUrl();
