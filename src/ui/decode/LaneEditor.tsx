// A lane's header: the method picker (label, one-line description and the paper's formula), the
// method's parameters from the catalog, and the sampling settings. Every field shows its problem
// from the store's validation; while a run holds the worker the lane cannot be edited.
import type { LaneConfig, MethodName, SamplingConfig } from '../../share/experiment';
import { MAX_LANES } from '../../share/experiment';
import { METHOD_NAMES, METHODS, SAMPLING_PARAMETERS, methodParameterList } from '../../share/methods';
import { useAppStore } from '../../store';
import { lanePath, type FieldProblems } from '../../store/decodeExperiment';
import { ChoiceField, NumberField, TextField, parameterTitle } from './fields';
import { SpeculativeLaneNote } from './SpeculativeLaneNote';

function MethodParameters({ index, lane, problems, locked }: LaneEditorProps) {
  const setLaneParameter = useAppStore((s) => s.setLaneParameter);
  const spec = METHODS[lane.method.method];
  const values = lane.method as unknown as Record<string, number | string>;
  // Methods whose parameters depend on a choice (Speculative's variant) show the ones in use, and
  // any other that has a problem (a hand-edited link), so nothing blocks Run unseen.
  const active = (spec.activeParameters as ((p: unknown) => readonly string[]) | undefined)?.(lane.method);
  const list = methodParameterList(lane.method.method).filter(
    (parameter) =>
      !active || active.includes(parameter.name) || problems[lanePath(index, 'method', parameter.name)],
  );
  if (list.length === 0) return null;
  return (
    <div className="lane-fields">
      {list.map((parameter) => {
        const common = {
          label: parameter.label,
          title: parameterTitle(parameter, spec.paper),
          problem: problems[lanePath(index, 'method', parameter.name)],
          testId: `decode-param-${index}-${parameter.name}`,
          disabled: locked,
        };
        const set = (value: number | string) => setLaneParameter(index, parameter.name, value);
        if (parameter.kind === 'number') {
          return <NumberField key={parameter.name} {...common} spec={parameter} value={values[parameter.name] as number} onChange={set} />; // prettier-ignore
        }
        if (parameter.kind === 'choice') {
          return <ChoiceField key={parameter.name} {...common} spec={parameter} labels={spec.choiceLabels?.[parameter.name]} value={values[parameter.name] as string} onChange={set} />; // prettier-ignore
        }
        return <TextField key={parameter.name} {...common} spec={parameter} value={values[parameter.name] as string} onChange={set} />; // prettier-ignore
      })}
    </div>
  );
}

function SamplingFields({ index, lane, problems, locked }: LaneEditorProps) {
  const setLaneSampling = useAppStore((s) => s.setLaneSampling);
  const { sampling } = lane;
  const names = ['temperature', 'topK', 'topP', 'minP'] as const;
  return (
    <fieldset className="lane-sampling" disabled={locked}>
      <legend className="sr-only">Sampling of lane {index + 1}</legend>
      <label
        className="lane-greedy small"
        title="Greedy: always the most likely token of the lane's distribution (temperature and filters then change nothing)."
      >
        <input
          type="checkbox"
          checked={sampling.greedy}
          data-testid={`decode-greedy-${index}`}
          onChange={(e) => setLaneSampling(index, { greedy: e.currentTarget.checked })}
        />
        greedy
      </label>
      <div className={`lane-fields${sampling.greedy ? ' lane-fields-idle' : ''}`}>
        {names.map((name) => {
          const spec = SAMPLING_PARAMETERS[name];
          return (
            <NumberField
              key={name}
              className="dfield-narrow"
              spec={spec}
              label={spec.label}
              title={parameterTitle(spec) + (sampling.greedy ? '\nIgnored while greedy.' : '')}
              value={sampling[name]}
              problem={problems[lanePath(index, 'sampling', name)]}
              testId={`decode-sampling-${index}-${name}`}
              onChange={(value) => setLaneSampling(index, { [name]: value } as Partial<SamplingConfig>)}
            />
          );
        })}
      </div>
    </fieldset>
  );
}

export interface LaneEditorProps {
  index: number;
  lane: LaneConfig;
  laneCount: number;
  problems: FieldProblems;
  locked: boolean;
}

export function LaneEditor(props: LaneEditorProps) {
  const { index, lane, laneCount, problems, locked } = props;
  const setLaneMethod = useAppStore((s) => s.setLaneMethod);
  const duplicateLane = useAppStore((s) => s.duplicateLane);
  const removeLane = useAppStore((s) => s.removeLane);
  const spec = METHODS[lane.method.method];
  const methodProblem = problems[lanePath(index, 'method')];
  return (
    <div className="lane-editor">
      <div className="lane-title">
        <span className="lane-number">Lane {index + 1}</span>
        <code className="lane-id muted">{lane.id}</code>
        <span className="lane-actions">
          <button
            type="button"
            className="icon-button"
            aria-label={`Duplicate lane ${index + 1}`}
            title="Duplicate this lane (method, parameters, sampling)"
            disabled={locked || laneCount >= MAX_LANES}
            data-testid={`decode-duplicate-${index}`}
            onClick={() => duplicateLane(index)}
          >
            <svg viewBox="0 0 16 16" width="13" height="13" aria-hidden="true">
              <rect
                x="5"
                y="5"
                width="9"
                height="9"
                rx="1.5"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.5"
              />
              <path
                d="M11 3.5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v7a1 1 0 0 0 1 1h.5"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.5"
              />
            </svg>
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove lane ${index + 1}`}
            title="Remove this lane"
            disabled={locked || laneCount <= 1}
            data-testid={`decode-remove-${index}`}
            onClick={() => removeLane(index)}
          >
            ×
          </button>
        </span>
      </div>
      <label
        className="dfield dfield-wide"
        title={`${spec.description}\n${spec.formula}${spec.paper ? `\n${spec.paper}` : ''}`}
      >
        <span className="dfield-label">method</span>
        <select
          className="text-input"
          value={lane.method.method}
          disabled={locked}
          aria-invalid={methodProblem ? true : undefined}
          data-testid={`decode-method-${index}`}
          onChange={(e) => setLaneMethod(index, e.currentTarget.value as MethodName)}
        >
          {METHOD_NAMES.map((name) => (
            <option key={name} value={name}>
              {METHODS[name].label}
            </option>
          ))}
        </select>
      </label>
      <code className="lane-formula" title={spec.paper || spec.description}>
        {spec.formula}
      </code>
      {methodProblem ? (
        <span className="field-problem" role="alert">
          {methodProblem}
        </span>
      ) : null}
      <MethodParameters {...props} />
      <SpeculativeLaneNote index={index} lane={lane} problems={problems} />
      <SamplingFields {...props} />
    </div>
  );
}
