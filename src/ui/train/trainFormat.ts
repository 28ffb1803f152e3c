// Number formatting and series helpers for the Train workbench (pure, unit-tested).

/** 4.1734 → "4.173"; tiny or huge values in exponent form. */
export function formatLoss(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3)
    ? value.toExponential(2)
    : value.toFixed(3);
}

/** Learning rates and gradient norms: 0.003 → "3.00e-3", 1.25 → "1.25". */
export function formatSci(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  if (Math.abs(value) >= 0.1 && Math.abs(value) < 1e4) return value.toPrecision(3);
  const [mantissa, exponent] = value.toExponential(2).split('e');
  return `${mantissa}e${Number(exponent)}`;
}

/** 12345 → "12.3k", 950 → "950". */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** 3723000 ms → "1:02:03", 65000 → "1:05", 4200 → "0:04". */
export function formatClock(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const total = Math.floor(ms / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/**
 * Exponential moving average with bias correction (TensorBoard's smoothing): s_t = a s_{t-1} +
 * (1 - a) x_t, shown as s_t / (1 - a^(t+1)) so the first values are not pulled towards 0.
 */
export function smoothed(values: readonly number[], alpha = 0.9): number[] {
  const out: number[] = [];
  let state = 0;
  let weight = 0;
  for (const x of values) {
    state = alpha * state + (1 - alpha) * x;
    weight = alpha * weight + (1 - alpha);
    out.push(state / weight);
  }
  return out;
}

/** Mean of the last `count` values (throughput over recent steps); null when empty. */
export function recentMean(values: readonly number[], count: number): number | null {
  const tail = values.slice(-count);
  return tail.length === 0 ? null : tail.reduce((a, b) => a + b, 0) / tail.length;
}
