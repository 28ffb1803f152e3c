// The evaluation's benchmarks (POPE splits and scenes, CHAIR scenes), seeds and optional sweep, as
// four sections of label/field rows. Fields store what was typed (NaN for a non-number); the engine's
// schema names the problem, shown under the field, and nothing is clamped.
import type { ReactNode } from 'react';
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
  /** Field path → its problem (./problems.ts). */
  problems: ReadonlyMap<string, string>;
  onChange(change: (config: EvaluationConfig) => EvaluationConfig): void;
}

/**
 * POPE's per-scene count, worded (src/world/pope.ts): k = min(n, present shapes, absent shapes)
 * questions about present shapes ("yes") and k about absent ones ("no"); the schema's label
 * ("yes-questions per scene") reads as if it counted every question.
 */
const PAIRS_LABEL = 'yes/no pairs per scene';
const pairsHint = (n: number) =>
  Number.isInteger(n) && n > 0 ? `≤ ${n} "yes" (shape present) + ${n} "no" (absent) questions` : '';
const PAIRS_TITLE =
  'POPE asks, per scene, up to this many questions about shapes in the image (answer "yes") and as many about shapes not in it (answer "no"); fewer when the scene has fewer shapes present or absent. The paper uses 3.';

interface SectionProps {
  title: string;
  /** A checkbox that turns the section on, shown instead of the title. */
  toggle?: ReactNode;
  /** Wide fields (text), narrow labels. */
  wide?: boolean;
  children?: ReactNode;
}

function Section({ title, toggle, wide, children }: SectionProps) {
  return (
    <div className={`eval-section${wide ? ' eval-section-wide' : ''}`}>
      <div className="eval-section-head small">{toggle ?? title}</div>
      {children ? <div className="eval-rows">{children}</div> : null}
    </div>
  );
}

function Toggle(props: { label: string; checked: boolean; testId: string; onChange(on: boolean): void }) {
  return (
    <label>
      <input
        type="checkbox"
        checked={props.checked}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
      />{' '}
      {props.label}
    </label>
  );
}

const parseValues = (text: string) =>
  text
    .split(/[\s,]+/)
    .filter((t) => t !== '')
    .map(Number);

export function BenchmarksEditor({ config, locked, problems, onChange }: Props) {
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
    path: string,
    spec: (typeof P)[keyof typeof P],
    value: number,
    set: (v: number) => void,
    testId: string,
    label: { text: string; title: string } = { text: spec.label, title: parameterTitle(spec) },
  ) => (
    <NumberField
      label={label.text}
      title={label.title}
      spec={spec}
      value={value}
      onChange={set}
      disabled={locked}
      problem={problems.get(path)}
      testId={testId}
    />
  );
  const splitsProblem = problems.get('benchmarks.pope.splits');
  return (
    <fieldset className="eval-benchmarks" disabled={locked}>
      <legend className="sr-only">Benchmarks</legend>
      <Section
        title="POPE"
        toggle={<Toggle label="POPE" checked={pope !== undefined} testId="eval-pope" onChange={(on) => setPope(on ? {} : null)} />} // prettier-ignore
      >
        {pope ? (
          <>
            <div className="dfield" role="group" aria-label="POPE splits">
              <span className="dfield-label">splits</span>
              <span className="eval-splits">
                {POPE_SPLITS.map((split) => (
                  <label key={split}>
                    <input
                      type="checkbox"
                      checked={pope.splits.includes(split)}
                      data-testid={`eval-split-${split}`}
                      onChange={(e) => toggleSplit(split, e.currentTarget.checked)}
                    />{' '}
                    {split}
                  </label>
                ))}
              </span>
              {splitsProblem ? (
                <span className="field-problem" role="alert">
                  {splitsProblem}
                </span>
              ) : null}
            </div>
            {number(
              'benchmarks.pope.scenes',
              P.scenes,
              pope.scenes,
              (scenes) => setPope({ scenes }),
              'eval-pope-scenes',
            )}
            {number(
              'benchmarks.pope.questionsPerScene',
              P.questionsPerScene,
              pope.questionsPerScene,
              (questionsPerScene) => setPope({ questionsPerScene }),
              'eval-pope-questions',
              { text: PAIRS_LABEL, title: `${PAIRS_TITLE}${parameterTitle(P.questionsPerScene)}` },
            )}
            <span className="eval-hint muted" data-testid="eval-pope-questions-hint">
              {pairsHint(pope.questionsPerScene)}
            </span>
          </>
        ) : null}
      </Section>
      <Section
        title="CHAIR"
        toggle={<Toggle label="CHAIR" checked={chair !== undefined} testId="eval-chair" onChange={(on) => setChair(on ? {} : null)} />} // prettier-ignore
      >
        {chair ? (
          <>
            {number(
              'benchmarks.chair.scenes',
              P.scenes,
              chair.scenes,
              (scenes) => setChair({ scenes }),
              'eval-chair-scenes',
            )}
            {number(
              'benchmarks.chair.maxTokens',
              P.captionTokens,
              chair.maxTokens,
              (maxTokens) => setChair({ maxTokens }),
              'eval-chair-tokens',
            )}
          </>
        ) : null}
      </Section>
      <Section title="Seeds and intervals">
        {number('seed', P.seed, config.seed, (seed) => onChange((c) => ({ ...c, seed })), 'eval-seed')}
        {number(
          'decodeSeed',
          P.decodeSeed,
          config.decodeSeed,
          (decodeSeed) => onChange((c) => ({ ...c, decodeSeed })),
          'eval-decode-seed',
        )}
        {number(
          'bootstrap.resamples',
          P.resamples,
          config.bootstrap.resamples,
          (resamples) => onChange((c) => ({ ...c, bootstrap: { ...c.bootstrap, resamples } })),
          'eval-resamples',
        )}
      </Section>
      <Section
        title="Sweep"
        wide
        toggle={
          <Toggle
            label="Sweep"
            checked={config.sweep !== undefined}
            testId="eval-sweep"
            onChange={
              (on) =>
              setSweep(on ? { lane: config.lanes.at(-1)?.id ?? '', parameter: 'alpha', values: [0, 0.5, 1, 2, 3] } : null) // prettier-ignore
            }
          />
        }
      >
        {config.sweep ? (
          <>
            <label className="dfield">
              <span className="dfield-label">lane</span>
              <select
                className="text-input"
                value={config.sweep.lane}
                data-testid="eval-sweep-lane"
                aria-invalid={problems.has('sweep.lane') || undefined}
                onChange={(e) => setSweep({ ...config.sweep!, lane: e.currentTarget.value })}
              >
                {config.lanes.map((lane) => (
                  <option key={lane.id} value={lane.id}>
                    {lane.id}
                  </option>
                ))}
              </select>
              <FieldProblem problem={problems.get('sweep.lane')} />
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
                aria-invalid={problems.has('sweep.parameter') || undefined}
                onChange={(e) => setSweep({ ...config.sweep!, parameter: e.currentTarget.value })}
              />
              <FieldProblem problem={problems.get('sweep.parameter')} />
            </label>
            <label className="dfield" title="Values, separated by commas or spaces">
              <span className="dfield-label">values</span>
              <input
                className="text-input"
                defaultValue={config.sweep.values.join(', ')}
                data-testid="eval-sweep-values"
                aria-invalid={problems.has('sweep.values') || undefined}
                onChange={(e) => setSweep({ ...config.sweep!, values: parseValues(e.currentTarget.value) })}
              />
              <FieldProblem problem={problems.get('sweep.values')} />
            </label>
          </>
        ) : null}
      </Section>
    </fieldset>
  );
}

function FieldProblem({ problem }: { problem: string | undefined }) {
  return problem ? (
    <span className="field-problem" role="alert">
      {problem}
    </span>
  ) : null;
}
