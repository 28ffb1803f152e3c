// Progress and ETA of a run. An example here is one job: a distinct (image, prompt) answered by
// every lane. POPE answers take a few tokens and captions dozens, so each benchmark keeps its own
// measured rate: ETA = Σ_benchmark remaining jobs × measured ms per job. A benchmark not measured
// yet is estimated from the other's rate scaled by the ratio of their token budgets (an upper-bound
// guess, replaced by a measurement after its first job); with nothing measured the ETA is null.
import type { EvaluationJob } from './plan';

export interface EvaluationProgress {
  /** The benchmark of the job that just ended. */
  benchmark: 'pope' | 'chair';
  /** Jobs (distinct image and prompt, answered by every lane) done and in all. */
  done: number;
  total: number;
  elapsedMs: number;
  /** Estimated milliseconds left, from the measured rates; null before anything was measured. */
  etaMs: number | null;
  /** Jobs per second so far. */
  examplesPerSecond: number;
}

type Benchmark = EvaluationJob['benchmark'];

interface Tally {
  total: number;
  done: number;
  ms: number;
  /** Token budget of one job (for estimating an unmeasured benchmark's rate). */
  budget: number;
}

export class ProgressMeter {
  private readonly tallies = new Map<Benchmark, Tally>();
  private readonly started: number;
  private finished = 0;

  constructor(
    private readonly jobs: readonly EvaluationJob[],
    private readonly clock: () => number,
  ) {
    this.started = clock();
    for (const job of jobs) {
      const tally = this.tallies.get(job.benchmark) ?? {
        total: 0,
        done: 0,
        ms: 0,
        budget: job.input.maxTokens,
      };
      tally.total++;
      this.tallies.set(job.benchmark, tally);
    }
  }

  /** Records a finished job that took `ms`, and returns the progress to report. */
  done(job: EvaluationJob, ms: number): EvaluationProgress {
    const tally = this.tallies.get(job.benchmark)!;
    tally.done++;
    tally.ms += ms;
    this.finished++;
    const elapsedMs = this.clock() - this.started;
    return {
      benchmark: job.benchmark,
      done: this.finished,
      total: this.jobs.length,
      elapsedMs,
      etaMs: this.eta(),
      examplesPerSecond: elapsedMs > 0 ? (this.finished * 1000) / elapsedMs : 0,
    };
  }

  private eta(): number | null {
    const measured = [...this.tallies.values()].filter((t) => t.done > 0);
    if (measured.length === 0) return null;
    // ms per budgeted token, over everything measured: the fallback for unmeasured benchmarks.
    const perToken =
      measured.reduce((s, t) => s + t.ms, 0) / measured.reduce((s, t) => s + t.done * t.budget, 0);
    let eta = 0;
    for (const t of this.tallies.values()) {
      const perJob = t.done > 0 ? t.ms / t.done : perToken * t.budget;
      eta += (t.total - t.done) * perJob;
    }
    return eta;
  }
}
