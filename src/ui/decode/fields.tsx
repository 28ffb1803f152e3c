// The Decode workbench's input fields, built from the catalog's parameter specs: a number field that
// stores what was typed (NaN for text that is no number) and shows the store's problem under it, a
// choice and a text field. The tooltip states what the value does, its range and default, and the
// paper it comes from. Problems are never fixed for the user: no clamping, no snapping.
import { useId, useState } from 'react';
import type { ChoiceParameter, NumberParameter, TextParameter } from '../../share/parameters';
import { describeRange, formatNumber } from '../../share/parameters';

/** The tooltip of a parameter: help, range, default, and the paper. */
export function parameterTitle(
  spec: NumberParameter | ChoiceParameter | TextParameter,
  paper?: string,
): string {
  const range =
    spec.kind === 'number'
      ? ` Allowed: ${describeRange(spec)}. Default ${formatNumber(spec.default)}.`
      : spec.kind === 'choice'
        ? ` One of ${spec.choices.join(', ')}. Default ${spec.default}.`
        : ` At most ${spec.maxLength} characters.`;
  return `${spec.help}${range}${paper ? `\n${paper}` : ''}`;
}

/** Text as typed → the number stored: '' and non-numbers become NaN (shown as a problem, never fixed). */
export function parseNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

interface FieldFrame {
  label: string;
  problem?: string | undefined;
  title: string;
  testId?: string;
  disabled?: boolean;
  className?: string;
}

function Problem({ id, problem }: { id: string; problem?: string | undefined }) {
  if (!problem) return null;
  return (
    <span id={id} className="field-problem" role="alert">
      {problem}
    </span>
  );
}

export function NumberField(
  props: FieldFrame & { spec: NumberParameter; value: number; onChange: (value: number) => void },
) {
  const { spec, value, problem } = props;
  const problemId = useId();
  // The text being typed ("0.", "-") stays in the field; the store gets its parsed value at once.
  const [draft, setDraft] = useState<string | null>(null);
  const shown = draft ?? (Number.isNaN(value) ? '' : String(value));
  return (
    <label className={`dfield${props.className ? ` ${props.className}` : ''}`} title={props.title}>
      <span className="dfield-label">{props.label}</span>
      <input
        type="number"
        className="text-input num-input"
        inputMode={spec.integer ? 'numeric' : 'decimal'}
        min={spec.min}
        max={spec.max}
        step={spec.integer ? 1 : spec.step}
        value={shown}
        disabled={props.disabled}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? problemId : undefined}
        data-testid={props.testId}
        onChange={(e) => {
          const text = e.currentTarget.value;
          setDraft(text);
          props.onChange(parseNumber(text));
        }}
        onBlur={() => setDraft(null)}
      />
      <Problem id={problemId} problem={problem} />
    </label>
  );
}

export function ChoiceField(
  props: FieldFrame & {
    spec: ChoiceParameter;
    value: string;
    onChange: (value: string) => void;
    /** What to show for each value (default: the value itself). */
    labels?: Record<string, string> | undefined;
  },
) {
  const problemId = useId();
  return (
    <label className="dfield" title={props.title}>
      <span className="dfield-label">{props.label}</span>
      <select
        className="text-input"
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.problem ? true : undefined}
        aria-describedby={props.problem ? problemId : undefined}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.spec.choices.map((choice) => (
          <option key={choice} value={choice}>
            {props.labels?.[choice] ?? choice}
          </option>
        ))}
      </select>
      <Problem id={problemId} problem={props.problem} />
    </label>
  );
}

export function TextField(
  props: FieldFrame & { spec: TextParameter; value: string; onChange: (value: string) => void },
) {
  const problemId = useId();
  return (
    <label className="dfield dfield-wide" title={props.title}>
      <span className="dfield-label">{props.label}</span>
      <input
        type="text"
        className="text-input"
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.problem ? true : undefined}
        aria-describedby={props.problem ? problemId : undefined}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      />
      <Problem id={problemId} problem={props.problem} />
    </label>
  );
}
