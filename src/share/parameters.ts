// Parameter specifications: the data a slider, a number field and the link validator all read, so a
// range lives in exactly one place (methods.ts) and every layer words a bad value the same way.
// Pure: no imports.

/** A numeric parameter. The bounds are inclusive unless the `...Exclusive` flag says otherwise. */
export interface NumberParameter {
  kind: 'number';
  /** The field name in the config object ("alpha", "noiseStep"). */
  name: string;
  /** What the UI shows ("contrast weight α"). */
  label: string;
  /** One sentence for a tooltip: what the value does. */
  help: string;
  default: number;
  min: number;
  max: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Slider step; integers always step by whole numbers. */
  step: number;
  integer: boolean;
}

/** One of a fixed set of strings (DoLa's layer bucket). */
export interface ChoiceParameter<T extends string = string> {
  kind: 'choice';
  name: string;
  label: string;
  help: string;
  default: T;
  choices: readonly T[];
}

/** Free text (ICD's disturbance prompt). */
export interface TextParameter {
  kind: 'text';
  name: string;
  label: string;
  help: string;
  default: string;
  maxLength: number;
}

export type ParameterSpec = NumberParameter | ChoiceParameter | TextParameter;

/** Builds a NumberParameter; `integer` defaults to false. */
export function number(
  name: string,
  label: string,
  help: string,
  range: Pick<NumberParameter, 'default' | 'min' | 'max' | 'step'> & Partial<NumberParameter>,
): NumberParameter {
  return { kind: 'number', name, label, help, integer: false, ...range };
}

/** Formats a number for messages exactly as JavaScript reads it back (so 5.0000001 never shows as 5). */
export function formatNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The allowed range in words: "0 to 5", "integers 0 to 999", "above 0 and at most 5". */
export function describeRange(spec: NumberParameter): string {
  const low = formatNumber(spec.min);
  const high = formatNumber(spec.max);
  const kind = spec.integer ? 'integers ' : '';
  if (spec.minExclusive && spec.maxExclusive) return `${kind}above ${low} and below ${high}`;
  if (spec.minExclusive) return `${kind}above ${low} and at most ${high}`;
  if (spec.maxExclusive) return `${kind}at least ${low} and below ${high}`;
  return `${kind}${low} to ${high}`;
}

/**
 * What is wrong with `value` for this parameter, or null when it is allowed. `owner` names whose
 * parameter it is in the message ("VCD"). Example: "7 is above the maximum 5 (VCD alpha allows 0 to 5)".
 */
export function numberProblem(spec: NumberParameter, value: number, owner?: string): string | null {
  const allowed = `(${owner ? `${owner} ` : ''}${spec.name} allows ${describeRange(spec)})`;
  const shown = formatNumber(value);
  if (!Number.isFinite(value)) return `${shown} is not a finite number ${allowed}`;
  if (spec.integer && !Number.isInteger(value)) return `${shown} is not a whole number ${allowed}`;
  if (spec.minExclusive ? value <= spec.min : value < spec.min) {
    return spec.minExclusive
      ? `${shown} must be above ${formatNumber(spec.min)} ${allowed}`
      : `${shown} is below the minimum ${formatNumber(spec.min)} ${allowed}`;
  }
  if (spec.maxExclusive ? value >= spec.max : value > spec.max) {
    return spec.maxExclusive
      ? `${shown} must be below ${formatNumber(spec.max)} ${allowed}`
      : `${shown} is above the maximum ${formatNumber(spec.max)} ${allowed}`;
  }
  return null;
}

/** Clamps (and rounds, for integers) a value into the parameter's range: what a slider would snap to. */
export function clampToRange(spec: NumberParameter, value: number): number {
  if (!Number.isFinite(value)) return spec.default;
  let clamped = spec.integer ? Math.round(value) : value;
  // Exclusive bounds snap one step inside, so the result always passes numberProblem.
  const low = spec.minExclusive ? spec.min + spec.step : spec.min;
  const high = spec.maxExclusive ? spec.max - spec.step : spec.max;
  clamped = Math.min(high, Math.max(low, clamped));
  return clamped;
}
