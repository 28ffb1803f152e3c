// How the Evaluate tab writes numbers (pure, unit-tested): an estimate with its interval
// "0.62 [0.55, 0.69]", a difference with its sign "+0.04 [−0.01, 0.09]", an ETA "1 min 20 s".
import type { Estimate } from '../../evaluate';

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** "0.62 [0.55, 0.69]"; digits 1 for counts like caption length. */
export function formatEstimate(e: Estimate, digits = 2): string {
  return `${fixed(e.value, digits)} [${fixed(e.low, digits)}, ${fixed(e.high, digits)}]`;
}

const signed = (x: number, digits: number) =>
  !Number.isFinite(x) ? '–' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(digits)}`;

/** "+0.04 [−0.01, +0.09]": the paired difference to the baseline lane. */
export function formatDifference(d: Estimate, digits = 2): string {
  return `${signed(d.value, digits)} [${signed(d.low, digits)}, ${signed(d.high, digits)}]`;
}

/** Whether an interval excludes zero (the difference is then shown as significant). */
export const excludesZero = (d: Estimate) => d.low > 0 || d.high < 0;

/** "45 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
