// The two lanes side by side: the speculative lane (its text, then its rounds) and the
// autoregressive baseline on the same target (its text and numbers), with where their texts part.
// For an exact method with greedy sampling they must not part: greedy speculative decoding is
// greedy decoding. Sampled, they may part (other draws, the same distribution).
import type { ModelRef } from '../../share/experiment';
import type { BaselineToken } from '../../speculative/types';
import { describeRef } from '../../store/decodeModels';
import { firstDifference, speculativeTokens, type SpeculativeRunView } from '../../store/speculativeSlice';
import { formatMs } from '../format';
import { RoundsLegend, RoundsView, type Pieces } from './RoundsView';

function TextStream({
  ids,
  pieces,
  differsAt,
  testId,
  titles,
}: {
  ids: number[];
  pieces: Pieces;
  differsAt: number | null;
  testId: string;
  titles?: string[];
}) {
  return (
    <div className="token-stream spec-text" data-testid={testId} data-count={ids.length}>
      {ids.map((id, i) => (
        <span
          key={i}
          className={`tok${i === differsAt ? ' tok-diverges' : ''}`}
          data-token-id={id}
          title={titles?.[i] ?? `id ${id}`}
        >
          {pieces[id] ?? `⟨${id}⟩`}
        </span>
      ))}
    </div>
  );
}

function Agreement({ run, spec, base }: { run: SpeculativeRunView; spec: number[]; base: number[] }) {
  const at = firstDifference(spec, base);
  const both = Math.min(spec.length, base.length);
  if (both === 0) return null;
  if (at === null)
    return <p className="lane-note spec-agree" data-testid="speculative-agreement" data-agree="true">✓ The first {both} tokens are the same in both lanes.</p>; // prettier-ignore
  const expected = !(run.setup.sampling.greedy && run.exact);
  return (
    <p
      className={`lane-note ${expected ? 'spec-differ' : 'spec-differ-bug'}`}
      data-testid="speculative-agreement"
      data-agree="false"
    >
      The lanes part at token {at + 1}.{' '}
      {expected
        ? run.exact
          ? 'Sampling: other draws from the same distribution.'
          : 'This method is not exact: its text follows another distribution.'
        : 'Greedy speculative decoding with an exact method should equal greedy decoding: a tie between top logits, or a bug.'}
    </p>
  );
}

/** A default model by its folder, a Hub or URL model as the setup names it. */
const refName = (ref: ModelRef) => (ref.source === 'default' ? ref.id : describeRef(ref));

const stopText = (reason: string | null, error: string | null) =>
  error ? `failed: ${error}` : reason ? `stopped: ${reason}` : 'running';

export function Lanes({ run, pieces }: { run: SpeculativeRunView; pieces: Pieces }) {
  const spec = speculativeTokens(run);
  const base = run.baseline.map((t: BaselineToken) => t.id);
  const at = firstDifference(spec, base);
  const b = run.baselineStatistics;
  return (
    <div className="spec-lanes">
      <section className="lane spec-lane" data-testid="speculative-lane" aria-label="Speculative lane">
        <div className="lane-editor spec-lane-head">
          <div className="lane-title">
            <span className="lane-number">Speculative</span>
            <span className="muted small">
              {refName(run.setup.models.target)}
              {run.draft ? ` + ${refName(run.setup.models.draft)}` : ''} ·{' '}
              {stopText(run.speculativeStop, run.speculativeError)}
            </span>
            {run.exact ? null : (
              <span
                className="exact-badge not-exact"
                title="EAD, FoReaL and Judge do not keep the target's distribution"
              >
                not exact
              </span>
            )}
          </div>
          <TextStream ids={spec} pieces={pieces} differsAt={at} testId="speculative-text" />
        </div>
        <div className="lane-output">
          <RoundsLegend />
          <RoundsView rounds={run.rounds} pieces={pieces} />
        </div>
      </section>
      <section
        className="lane spec-lane spec-baseline"
        data-testid="speculative-baseline"
        aria-label="Baseline lane"
      >
        <div className="lane-editor spec-lane-head">
          <div className="lane-title">
            <span className="lane-number">Baseline</span>
            <span className="muted small">
              autoregressive {refName(run.setup.models.target)} ·{' '}
              {stopText(run.baselineStop, run.baselineError)}
            </span>
          </div>
          <TextStream
            ids={base}
            pieces={pieces}
            differsAt={at}
            testId="speculative-baseline-text"
            titles={run.baseline.map((t) => `id ${t.id} · p = ${t.probability.toFixed(4)}`)}
          />
        </div>
        <div className="lane-output">
          <Agreement run={run} spec={spec} base={base} />
          <dl className="lane-stats">
            <div>
              <dt>tokens</dt>
              <dd data-testid="speculative-baseline-tokens">{b?.tokens ?? 0}</dd>
            </div>
            <div title="One forward per token, the prompt prefill included">
              <dt>target calls</dt>
              <dd>{b?.targetCalls ?? 0}</dd>
            </div>
            <div>
              <dt>ms / token</dt>
              <dd>{formatMs(b?.msPerToken ?? NaN)}</dd>
            </div>
            <div>
              <dt>total</dt>
              <dd>{b ? `${formatMs(b.ms)} ms` : '—'}</dd>
            </div>
          </dl>
          <p className="small muted">
            Same target, same sampling and seed, one forward per token: what the speculative lane is measured
            against.
          </p>
        </div>
      </section>
    </div>
  );
}
