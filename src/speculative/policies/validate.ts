// Argument checks shared by the speculative policies. Each throws a RangeError that names the
// function, the parameter, the value it got and what it expected, so a bad setting from the UI or
// the runner fails at the call that introduced it instead of as a NaN three modules later.

/** `value` must be a finite number in [0, 1] (a probability or a probability threshold). */
export function checkUnitInterval(where: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`${where}: ${name} must be a number in [0, 1], got ${String(value)}`);
  }
}

/** `value` must be a finite number (any sign). */
export function checkFinite(where: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${where}: ${name} must be a finite number, got ${String(value)}`);
  }
}

/** `value` must be a finite number ≥ 0. */
export function checkNonNegative(where: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${where}: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
}

/** `value` must be a finite number > 0. */
export function checkPositive(where: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${where}: ${name} must be a finite number > 0, got ${String(value)}`);
  }
}

/** `value` must be an integer ≥ `min` (a count, a length, a position). */
export function checkInteger(where: string, name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${where}: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** The logistic function 1 / (1 + e^-z), written so neither branch overflows. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** -log(sigmoid(z)) = log(1 + e^-z), stable for large |z|. */
export function softplusNeg(z: number): number {
  return z >= 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
}
