// The inspector's numbers for one step: a summary row per distribution (entropy, the chosen token's
// probability and rank, divergences from the base), and each distribution's top-10 with bars.
import type { DistributionSummary, PairDivergence, TokenRecord } from '../../share/trace';
import { visible } from '../model/GenerateBox';

const nats = (value: number) => (Number.isNaN(value) ? '—' : Number.isFinite(value) ? value.toFixed(4) : '∞');
const prob = (value: number) => (value >= 0.001 || value === 0 ? value.toFixed(4) : value.toExponential(2));

/** The divergence between the base (component 0) and component `index`, either way round. */
function versusBase(divergences: readonly PairDivergence[], index: number) {
  const forward = divergences.find((d) => d.a === 0 && d.b === index);
  if (forward) return { baseToOther: forward.klAB, otherToBase: forward.klBA, js: forward.js };
  const backward = divergences.find((d) => d.a === index && d.b === 0);
  if (backward) return { baseToOther: backward.klBA, otherToBase: backward.klAB, js: backward.js };
  return null;
}

export function SummaryTable({ token }: { token: TokenRecord }) {
  const rows: [DistributionSummary, number | null][] = [
    ...token.components.map((c, i): [DistributionSummary, number | null] => [c, i]),
    [token.combined, null],
  ];
  return (
    <table className="dist-summary" data-testid="decode-inspector-summary">
      <thead>
        <tr>
          <th scope="col">distribution</th>
          <th scope="col" title="Natural-log entropy">
            H (nats)
          </th>
          <th scope="col">p(chosen)</th>
          <th scope="col">rank</th>
          <th scope="col" title="KL(base ‖ this)">
            KL(base‖·)
          </th>
          <th scope="col" title="KL(this ‖ base)">
            KL(·‖base)
          </th>
          <th scope="col" title="Jensen-Shannon divergence (nats)">
            JS
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([summary, index]) => {
          const divergence = index === null || index === 0 ? null : versusBase(token.divergences, index);
          return (
            <tr key={index ?? 'combined'} className={index === null ? 'dist-combined' : undefined}>
              <th scope="row">
                {summary.label}
                {index === 0 ? <span className="muted small"> (base)</span> : null}
              </th>
              <td>{nats(summary.entropy)}</td>
              <td>{prob(summary.chosenProbability)}</td>
              <td>{summary.chosenRank}</td>
              <td>{index === 0 ? '0' : divergence ? nats(divergence.baseToOther) : '—'}</td>
              <td>{index === 0 ? '0' : divergence ? nats(divergence.otherToBase) : '—'}</td>
              <td>{index === 0 ? '0' : divergence ? nats(divergence.js) : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Divergences between components other than the base (e.g. RITUAL's transformed vs noised view). */
export function OtherDivergences({ token }: { token: TokenRecord }) {
  const others = token.divergences.filter((d) => d.a !== 0 && d.b !== 0);
  if (others.length === 0) return null;
  const label = (i: number) => token.components[i]?.label ?? `#${i}`;
  return (
    <table className="dist-summary">
      <thead>
        <tr>
          <th scope="col">pair (a, b)</th>
          <th scope="col">KL(a‖b)</th>
          <th scope="col">KL(b‖a)</th>
          <th scope="col">JS</th>
        </tr>
      </thead>
      <tbody>
        {others.map((d) => (
          <tr key={`${d.a}-${d.b}`}>
            <th scope="row">
              {label(d.a)} · {label(d.b)}
            </th>
            <td>{nats(d.klAB)}</td>
            <td>{nats(d.klBA)}</td>
            <td>{nats(d.js)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TopTokens({
  summary,
  chosenId,
  pieceOf,
  combined = false,
}: {
  summary: DistributionSummary;
  chosenId: number;
  pieceOf: (id: number) => string | null;
  combined?: boolean;
}) {
  const chosenInTop = summary.top.some(([id]) => id === chosenId);
  return (
    <div
      className={`dist-card${combined ? ' dist-card-combined' : ''}`}
      data-testid="decode-inspector-distribution"
    >
      <div className="dist-card-head">
        <strong>{summary.label}</strong>
        <span className="muted small">
          H {nats(summary.entropy)} · chosen p {prob(summary.chosenProbability)}, rank {summary.chosenRank}
        </span>
      </div>
      <table className="dist-top">
        <tbody>
          {summary.top.map(([id, p], rank) => {
            const piece = pieceOf(id);
            return (
              <tr key={id} className={id === chosenId ? 'dist-chosen' : undefined}>
                <td className="dist-rank">{rank + 1}</td>
                <td className="dist-piece" title={`id ${id}`}>
                  {piece === null ? <span className="muted">#{id}</span> : <code>{visible(piece)}</code>}
                </td>
                <td className="dist-bar-cell">
                  <span
                    className="dist-bar"
                    style={{ width: `${(Math.max(0, Math.min(1, p)) * 100).toFixed(1)}%` }}
                  />
                </td>
                <td className="dist-prob">{prob(p)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!chosenInTop ? (
        <div className="small muted">
          chosen token outside the top {summary.top.length} (rank {summary.chosenRank})
        </div>
      ) : null}
    </div>
  );
}
