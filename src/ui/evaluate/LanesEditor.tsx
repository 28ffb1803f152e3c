// The evaluation's lanes: the Decode workbench's lane schema edited with its fields (method from the
// catalog, the method's parameters, greedy or sampled). The Decode LaneEditor itself is bound to the
// decode slice's actions, so this editor reuses its field components and catalog instead.
import type { LaneConfig, MethodName } from '../../share/experiment';
import { defaultLane, defaultMethodConfig, METHOD_NAMES, METHODS, methodParameterList, nextLaneId } from '../../share/methods'; // prettier-ignore
import { EVALUATION_LIMITS } from '../../evaluate';
import { ChoiceField, NumberField, TextField, parameterTitle } from '../decode/fields';

interface LanesEditorProps {
  lanes: LaneConfig[];
  locked: boolean;
  /** Field path ("lanes[1].method.alpha") → its problem (./problems.ts). */
  problems: ReadonlyMap<string, string>;
  onChange(lanes: LaneConfig[]): void;
}

function LaneRow({
  lane,
  index,
  locked,
  problems,
  onChange,
  onRemove,
}: {
  lane: LaneConfig;
  index: number;
  locked: boolean;
  problems: ReadonlyMap<string, string>;
  onChange(lane: LaneConfig): void;
  onRemove: (() => void) | null;
}) {
  const spec = METHODS[lane.method.method];
  const idProblem = problems.get(`lanes[${index}].id`);
  const methodProblem = problems.get(`lanes[${index}].method.method`);
  const values = lane.method as unknown as Record<string, number | string>;
  const setParameter = (name: string, value: number | string) =>
    onChange({ ...lane, method: { ...lane.method, [name]: value } as LaneConfig['method'] });
  return (
    <div className="eval-lane" data-testid={`eval-lane-${index}`}>
      <label className="dfield">
        <span className="dfield-label">id</span>
        <input
          className="text-input"
          value={lane.id}
          disabled={locked}
          data-testid={`eval-lane-id-${index}`}
          aria-invalid={idProblem ? true : undefined}
          onChange={(e) => onChange({ ...lane, id: e.currentTarget.value })}
        />
        {idProblem ? (
          <span className="field-problem" role="alert">
            {idProblem}
          </span>
        ) : null}
      </label>
      <label className="dfield" title={spec.description}>
        <span className="dfield-label">method</span>
        <select
          value={lane.method.method}
          disabled={locked}
          data-testid={`eval-method-${index}`}
          aria-invalid={methodProblem ? true : undefined}
          onChange={(e) =>
            onChange({ ...lane, method: defaultMethodConfig(e.currentTarget.value as MethodName) })
          }
        >
          {METHOD_NAMES.map((name) => (
            <option key={name} value={name}>
              {METHODS[name].label}
            </option>
          ))}
        </select>
        {methodProblem ? (
          <span className="field-problem" role="alert">
            {methodProblem}
          </span>
        ) : null}
      </label>
      {methodParameterList(lane.method.method).map((parameter) => {
        const common = { label: parameter.label, title: parameterTitle(parameter, spec.paper), disabled: locked, problem: problems.get(`lanes[${index}].method.${parameter.name}`), testId: `eval-param-${index}-${parameter.name}` }; // prettier-ignore
        const set = (value: number | string) => setParameter(parameter.name, value);
        if (parameter.kind === 'number')
          return <NumberField key={parameter.name} {...common} spec={parameter} value={values[parameter.name] as number} onChange={set} />; // prettier-ignore
        if (parameter.kind === 'choice')
          return <ChoiceField key={parameter.name} {...common} spec={parameter} value={values[parameter.name] as string} onChange={set} />; // prettier-ignore
        return <TextField key={parameter.name} {...common} spec={parameter} value={values[parameter.name] as string} onChange={set} />; // prettier-ignore
      })}
      <label
        className="lane-greedy small"
        title="Greedy: the most likely token; otherwise sampled with the lane's seed."
      >
        <input
          type="checkbox"
          checked={lane.sampling.greedy}
          disabled={locked}
          onChange={(e) =>
            onChange({ ...lane, sampling: { ...lane.sampling, greedy: e.currentTarget.checked } })
          }
        />
        greedy
      </label>
      {onRemove ? (
        <button
          type="button"
          className="button-ghost control"
          disabled={locked}
          onClick={onRemove}
          data-testid={`eval-remove-lane-${index}`}
        >
          Remove
        </button>
      ) : (
        <span className="muted small">baseline</span>
      )}
    </div>
  );
}

export function LanesEditor({ lanes, locked, problems, onChange }: LanesEditorProps) {
  return (
    <div className="eval-lanes" data-testid="eval-lanes" data-count={lanes.length}>
      {lanes.map((lane, index) => (
        <LaneRow
          key={index}
          lane={lane}
          index={index}
          locked={locked}
          problems={problems}
          onChange={(next) => onChange(lanes.map((l, i) => (i === index ? next : l)))}
          onRemove={
            index === 0 && lanes.length > 0 ? null : () => onChange(lanes.filter((_, i) => i !== index))
          }
        />
      ))}
      <button
        type="button"
        className="button-ghost control"
        disabled={locked || lanes.length >= EVALUATION_LIMITS.lanes}
        data-testid="eval-add-lane"
        onClick={() => onChange([...lanes, defaultLane('vcd', nextLaneId(lanes))])}
      >
        Add lane
      </button>
    </div>
  );
}
