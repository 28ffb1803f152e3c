// The evaluation's benchmarks (POPE splits and scenes, CHAIR scenes), seeds and optional sweep. Fields
// store what was typed (NaN for a non-number); the engine's schema names the problem, nothing is
// clamped.
import {
  EVALUATION_DEFAULTS,
  EVALUATION_PARAMETERS as P,
  type EvaluationConfig,
  type SweepConfig,
} from '../../evaluate';
import { POPE_SPLITS, type PopeSplit } from '../../world/pope';
import { NumberField, parameterTitle } from '../decode/fields';

interface Props {
  config: EvaluationConfig;
  locked: boolean;
  onChange(change: (config: EvaluationConfig) => EvaluationConfig): void;
}

const parseValues = (text: string) =>
  text
    .split(/[\s,]+/)
    .filter((t) => t !== '')
    .map(Number);

export function BenchmarksEditor({ config, locked, onChange }: Props) {
  const { pope, chair } = config.benchmarks;
  const setPope = (patch: Partial<NonNullable<typeof pope>> | null) =>
    onChange((c) => {
      const { pope: current, ...rest } = c.benchmarks;
      if (patch === null) return { ...c, benchmarks: rest };
      return { ...c, benchmarks: { ...rest, pope: { ...(current ?? { ...EVALUATION_DEFAULTS.pope, splits: ['random'] }), ...patch } } }; // prettier-ignore
    });
  const setChair = (patch: Partial<NonNullable<typeof chair>> | null) =>
    onChange((c) => {
      const { chair: current, ...rest } = c.benchmarks;
      if (patch === null) return { ...c, benchmarks: rest };
      return { ...c, benchmarks: { ...rest, chair: { ...(current ?? { ...EVALUATION_DEFAULTS.chair }), ...patch } } }; // prettier-ignore
    });
  const toggleSplit = (split: PopeSplit, on: boolean) => {
    const splits = POPE_SPLITS.filter((s) => (s === split ? on : pope!.splits.includes(s)));
    setPope({ splits });
  };
  const setSweep = (sweep: SweepConfig | null) =>
    onChange((c) => {
      const { sweep: _old, ...rest } = c;
      return sweep ? { ...rest, sweep } : rest;
    });
  const number = (
    spec: (typeof P)[keyof typeof P],
    value: number,
    set: (v: number) => void,
    testId: string,
  ) => (
    <NumberField
      label={spec.label}
      title={parameterTitle(spec)}
      spec={spec}
      value={value}
      onChange={set}
      disabled={locked}
      testId={testId}
    />
  );
  return (
    <fieldset className="eval-benchmarks" disabled={locked}>
      <legend className="sr-only">Benchmarks</legend>
      <div className="setup-block">
        <label className="small">
          <input
            type="checkbox"
            checked={pope !== undefined}
            data-testid="eval-pope"
            onChange={(e) => setPope(e.currentTarget.checked ? {} : null)}
          />{' '}
          POPE
        </label>
        {pope ? (
          <div className="setup-numbers">
            {POPE_SPLITS.map((split) => (
              <label key={split} className="small">
                <input
                  type="checkbox"
                  checked={pope.splits.includes(split)}
                  data-testid={`eval-split-${split}`}
                  onChange={(e) => toggleSplit(split, e.currentTarget.checked)}
                />{' '}
                {split}
              </label>
            ))}
            {number(P.scenes, pope.scenes, (scenes) => setPope({ scenes }), 'eval-pope-scenes')}
            {number(
              P.questionsPerScene,
              pope.questionsPerScene,
              (questionsPerScene) => setPope({ questionsPerScene }),
              'eval-pope-questions',
            )}
          </div>
        ) : null}
      </div>
      <div className="setup-block">
        <label className="small">
          <input
            type="checkbox"
            checked={chair !== undefined}
            data-testid="eval-chair"
            onChange={(e) => setChair(e.currentTarget.checked ? {} : null)}
          />{' '}
          CHAIR
        </label>
        {chair ? (
          <div className="setup-numbers">
            {number(P.scenes, chair.scenes, (scenes) => setChair({ scenes }), 'eval-chair-scenes')}
            {number(
              P.captionTokens,
              chair.maxTokens,
              (maxTokens) => setChair({ maxTokens }),
              'eval-chair-tokens',
            )}
          </div>
        ) : null}
      </div>
      <div className="setup-block setup-numbers">
        {number(P.seed, config.seed, (seed) => onChange((c) => ({ ...c, seed })), 'eval-seed')}
        {number(
          P.decodeSeed,
          config.decodeSeed,
          (decodeSeed) => onChange((c) => ({ ...c, decodeSeed })),
          'eval-decode-seed',
        )}
        {number(
          P.resamples,
          config.bootstrap.resamples,
          (resamples) => onChange((c) => ({ ...c, bootstrap: { ...c.bootstrap, resamples } })),
          'eval-resamples',
        )}
      </div>
      <div className="setup-block">
        <label className="small">
          <input
            type="checkbox"
            checked={config.sweep !== undefined}
            data-testid="eval-sweep"
            onChange={(e) =>
              setSweep(
                e.currentTarget.checked
                  ? { lane: config.lanes.at(-1)?.id ?? '', parameter: 'alpha', values: [0, 0.5, 1, 2, 3] }
                  : null,
              )
            }
          />{' '}
          Sweep
        </label>
        {config.sweep ? (
          <div className="setup-numbers">
            <label className="dfield">
              <span className="dfield-label">lane</span>
              <select
                value={config.sweep.lane}
                data-testid="eval-sweep-lane"
                onChange={(e) => setSweep({ ...config.sweep!, lane: e.currentTarget.value })}
              >
                {config.lanes.map((lane) => (
                  <option key={lane.id} value={lane.id}>
                    {lane.id}
                  </option>
                ))}
              </select>
            </label>
            <label
              className="dfield"
              title="A numeric parameter of the lane's method (alpha) or sampling.temperature, sampling.topP, …"
            >
              <span className="dfield-label">parameter</span>
              <input
                className="text-input"
                value={config.sweep.parameter}
                data-testid="eval-sweep-parameter"
                onChange={(e) => setSweep({ ...config.sweep!, parameter: e.currentTarget.value })}
              />
            </label>
            <label className="dfield dfield-wide" title="Values, separated by commas or spaces">
              <span className="dfield-label">values</span>
              <input
                className="text-input"
                defaultValue={config.sweep.values.join(', ')}
                data-testid="eval-sweep-values"
                onChange={(e) => setSweep({ ...config.sweep!, values: parseValues(e.currentTarget.value) })}
              />
            </label>
          </div>
        ) : null}
      </div>
    </fieldset>
  );
}
