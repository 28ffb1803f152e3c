// Number formatting for the UI: compact, unit-bearing, and honest about missing values.

const UNITS: [number, string][] = [
  [2 ** 30, 'GiB'],
  [2 ** 20, 'MiB'],
  [2 ** 10, 'KiB'],
];

/** 2147483644 → "2 GiB", 32768 → "32 KiB", 500 → "500 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  for (const [size, unit] of UNITS) {
    if (bytes >= size * 0.995) {
      const value = bytes / size;
      return `${value >= 100 ? value.toFixed(0) : Number(value.toFixed(1))} ${unit}`;
    }
  }
  return `${bytes} B`;
}

/** Milliseconds with precision that suits the size; NaN (no timing) → "—". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1) return ms.toFixed(3);
  if (ms < 100) return ms.toFixed(2);
  return ms.toFixed(0);
}

/** Seconds for totals: 3421 → "3.4 s", 640 → "640 ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : '—';
}
