// llm.c-style checker: |gpu - ref| <= atol + rtol*|ref|, with the first mismatches in the message.

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Returns null when every element matches (infinities must match exactly), else a report. */
export function compareArrays(
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol }: Tolerance,
): string | null {
  if (actual.length !== expected.length)
    return `${name}: length ${actual.length} != expected ${expected.length}`;
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : !Number.isFinite(e)
        ? a === e
        : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) {
      count++;
      if (bad.length < 8) bad.push(`  [${i}] got ${a}, expected ${e}`);
    }
  }
  return count === 0
    ? null
    : `${name}: ${count} of ${expected.length} mismatch (atol ${atol}, rtol ${rtol})\n${bad.join('\n')}`;
}
