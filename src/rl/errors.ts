// Refusals of the RL and preference objectives: a bad hyper-parameter or an input that cannot be
// trained on (an empty preference set, a group of one rollout) throws ObjectiveInputError naming
// the objective, the parameter, the allowed range and the value it got, so the UI can show it as is.

export class ObjectiveInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObjectiveInputError';
  }
}

interface Range {
  /** Lower bound (-Infinity for none) and whether it is allowed. */
  min: number;
  minIncluded: boolean;
  /** Upper bound (Infinity for none) and whether it is allowed. */
  max: number;
  maxIncluded: boolean;
}

function describeRange(r: Range): string {
  const low = r.min === -Infinity ? '(-∞' : `${r.minIncluded ? '[' : '('}${r.min}`;
  const high = r.max === Infinity ? '∞)' : `${r.max}${r.maxIncluded ? ']' : ')'}`;
  return `${low}, ${high}`;
}

/**
 * Throws unless `value` is a finite number in the range; `hint` says what to use instead
 * ("the paper uses 0.1").
 */
export function requireInRange(
  objective: string,
  parameter: string,
  value: number,
  range: Range,
  hint = '',
): void {
  const inside =
    Number.isFinite(value) &&
    (range.minIncluded ? value >= range.min : value > range.min) &&
    (range.maxIncluded ? value <= range.max : value < range.max);
  if (!inside) {
    throw new ObjectiveInputError(
      `${objective}: ${parameter} must be in ${describeRange(range)}, got ${String(value)}` +
        (hint ? `; ${hint}` : ''),
    );
  }
}

/** value > 0 (a temperature such as DPO's beta). */
export function requirePositive(objective: string, parameter: string, value: number, hint = ''): void {
  requireInRange(
    objective,
    parameter,
    value,
    { min: 0, minIncluded: false, max: Infinity, maxIncluded: false },
    hint,
  );
}

/** value >= 0 (a penalty weight that may be switched off, such as GRPO's KL beta). */
export function requireNonNegative(objective: string, parameter: string, value: number, hint = ''): void {
  requireInRange(
    objective,
    parameter,
    value,
    { min: 0, minIncluded: true, max: Infinity, maxIncluded: false },
    hint,
  );
}
