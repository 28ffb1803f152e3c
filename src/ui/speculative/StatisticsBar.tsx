// The speculative lane's running numbers next to the theory and the baseline: acceptance (kept /
// drafted, and the per-position a the theory uses), mean accepted length, tokens per target call
// against (1 − a^(K+1)) / (1 − a), target and draft calls per token, ms per token of both lanes and
// the speed-up; who wrote the tokens (EAD's and FoReaL's model shares); the method's own totals.
import type { RoundRecord } from '../../speculative/types';
import type { SpeculativeRunView } from '../../store/speculativeSlice';
import { formatBytes, formatMs } from '../format';
import { draftLengthOf } from './methodCatalog';

const fixed = (value: number | undefined, digits = 2) => (value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '—'); // prettier-ignore
const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : '—');

function Stat({
  label,
  value,
  detail,
  title,
  testId,
}: {
  label: string;
  value: string;
  detail?: string;
  title: string;
  testId?: string;
}) {
  return (
    <div className="spec-stat" title={title} data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <span className="spec-stat-value">{value}</span>
        {detail ? <span className="spec-stat-detail">{detail}</span> : null}
      </dd>
    </div>
  );
}

/** Speculative ms per token without the first round (which pays for first-use compilation). */
export function warmSpeedup(rounds: readonly RoundRecord[], baselineMsPerToken: number): number {
  const later = rounds.slice(1);
  const tokens = later.reduce((n, r) => n + r.emitted.length, 0);
  const ms = later.reduce((sum, r) => sum + r.ms, 0);
  return tokens > 0 && ms > 0 ? baselineMsPerToken / (ms / tokens) : NaN;
}

export function StatisticsBar({ run }: { run: SpeculativeRunView }) {
  const s = run.statistics;
  const b = run.baselineStatistics;
  const k = draftLengthOf(run.setup.method);
  const warm = warmSpeedup(run.rounds, b?.msPerToken ?? NaN);
  const drafts = k > 0;
  const bySource = s?.tokensBySource ?? { target: 0, draft: 0, lookup: 0 };
  const written = bySource.target + bySource.draft + bySource.lookup;
  const method = Object.entries(run.methodStatistics).filter(([key]) => key !== 'stopRule');
  const theory = `(1 − a^(K+1)) / (1 − a) with a = ${fixed(s?.alphaEstimate)} and K = ${k}`;
  return (
    <>
      <dl className="spec-stats" data-testid="speculative-stats">
        <Stat
          label="tokens"
          value={String(s?.tokens ?? 0)}
          detail={`${s?.rounds ?? 0} rounds`}
          title="Tokens the speculative lane wrote, in how many rounds"
          testId="speculative-stat-tokens"
        />
        {drafts ? (
          <>
            <Stat
              label="acceptance"
              value={fixed(s?.acceptanceRate)}
              detail={`${s?.accepted ?? 0}/${s?.drafted ?? 0} kept · a ${fixed(s?.alphaEstimate)}`}
              title="Kept / drafted. a = kept / (kept + rejections): the per-position acceptance of the i.i.d. theory (drafts discarded after a rejection were never checked)."
              testId="speculative-stat-acceptance"
            />
            <Stat
              label="mean accepted"
              value={fixed(s?.meanAcceptedLength)}
              detail={`of ${fixed(s?.meanDraftLength, 1)} drafted`}
              title="Drafts kept per round that drafted, and how many were drafted (SpecDec++ adapts it)"
            />
            <Stat
              label="tokens / target call"
              value={fixed(s?.tokensPerTargetCall)}
              detail={`theory ${fixed(s?.theoreticalTokensPerCall)}`}
              title={`Measured tokens per target forward, against the theory's ${theory} (Leviathan et al. 2023). Autoregressive decoding: 1.`}
              testId="speculative-stat-theory"
            />
          </>
        ) : null}
        <Stat
          label="target calls / token"
          value={fixed(s?.targetCallsPerToken)}
          detail={drafts && s ? `theory ${fixed(1 / s.theoreticalTokensPerCall)} · AR 1` : 'AR 1'}
          title="Target forward calls per generated token (the first round's forward also reads the prompt)"
        />
        <Stat
          label="draft calls"
          value={String(s?.draftCalls ?? 0)}
          detail={s && s.tokens > 0 ? `${fixed(s.draftCalls / s.tokens)} / token` : undefined}
          title="Draft model forward calls (0 for model-free drafts)"
        />
        <Stat
          label="ms / token"
          value={formatMs(s?.msPerToken ?? NaN)}
          detail={`baseline ${formatMs(b?.msPerToken ?? NaN)}`}
          title="Wall-clock ms per generated token of each lane (each lane times its own rounds; the prompt's prefill included)"
        />
        <Stat
          label="readback / token"
          value={formatBytes(Math.round(s?.readbackBytesPerToken ?? NaN))}
          detail={`baseline ${formatBytes(Math.round(b?.readbackBytesPerToken ?? NaN))}`}
          title="Bytes mapped back from the GPU per generated token (token ids, acceptance decisions, p and q of the drafts): full-vocabulary rows never leave the GPU"
        />
        <Stat
          label="speed-up"
          value={Number.isFinite(run.speedup) ? `${run.speedup.toFixed(2)}×` : '—'}
          detail={Number.isFinite(warm) ? `after round 1: ${warm.toFixed(2)}×` : undefined}
          title={
            'Baseline ms per token / speculative ms per token, measured in this run on this GPU. The speculative lane runs ' +
            "first, so its first round also pays for compiling the models' pipelines on first use; " +
            '"after round 1" leaves that round out (the baseline keeps its prompt prefill). Run again to read a warm speed-up.'
          }
          testId="speculative-stat-speedup"
        />
        <Stat
          label="written by"
          value={written > 0 ? `target ${percent(bySource.target, written)}` : '—'}
          detail={
            written > 0
              ? `${bySource.lookup > 0 ? `lookup ${percent(bySource.lookup, written)}` : `draft ${percent(bySource.draft, written)}`}`
              : undefined
          }
          title="Share of the kept tokens each source produced (EAD's model share, FoReaL's leader share; for verification: accepted drafts vs target corrections and bonuses)"
          testId="speculative-stat-share"
        />
      </dl>
      {method.length > 0 ? (
        <p
          className="small muted spec-method-stats"
          title="The method's own totals (tokens per model, the heads' updates, rounds without a draft, sentences led)"
          data-testid="speculative-method-stats"
        >
          {method.map(([key, value]) => `${key} ${value}`).join(' · ')}
        </p>
      ) : null}
    </>
  );
}
