// A lane's statistics as the trace states them: tokens, forward passes per model, throughput, mean
// entropy and the bytes read back from the GPU per token (ids and summaries only: a full-vocabulary
// readback would show here as hundreds of kilobytes), and a method's own running numbers.
import type { LaneStatistics } from '../../share/trace';
import { formatBytes, formatCount } from '../format';

export function LaneStats({
  index,
  statistics: s,
  methodSummary,
}: {
  index: number;
  statistics: LaneStatistics;
  /** A method's own running numbers ([label, value, help]), e.g. a speculative lane's acceptance. */
  methodSummary?: [string, string, string][] | null;
}) {
  const passes = Object.entries(s.forwardPasses);
  return (
    <dl className="lane-stats" data-testid={`decode-stats-${index}`}>
      <div>
        <dt>tokens</dt>
        <dd data-testid={`decode-stat-tokens-${index}`}>{formatCount(s.tokens)}</dd>
      </div>
      <div title="Forward passes per model slot, prompt prefill included">
        <dt>forward passes</dt>
        <dd>
          {passes.length === 0
            ? '—'
            : passes.map(([model, count]) => (
                <span key={model} className="lane-stat-pass">
                  {model} {formatCount(count)}
                </span>
              ))}
        </dd>
      </div>
      <div>
        <dt>tokens/s</dt>
        <dd>{s.tokens > 0 ? s.tokensPerSecond.toFixed(1) : '—'}</dd>
      </div>
      <div title="Mean natural-log entropy of the distributions the tokens were chosen from">
        <dt>mean H</dt>
        <dd>{s.tokens > 0 && Number.isFinite(s.meanEntropy) ? `${s.meanEntropy.toFixed(3)} nats` : '—'}</dd>
      </div>
      <div title={`${formatCount(s.readbackBytes)} bytes mapped back from the GPU for this lane`}>
        <dt>readback/token</dt>
        <dd data-testid={`decode-stat-readback-${index}`}>
          {s.tokens > 0 ? formatBytes(Math.round(s.readbackBytesPerToken)) : '—'}
        </dd>
      </div>
      {methodSummary?.map(([label, value, help]) => (
        <div key={label} title={help} data-testid={`decode-stat-method-${index}`}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
