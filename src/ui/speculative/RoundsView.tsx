// The speculative lane round by round: each draft/verify round is a row of token chips coloured by
// what the verifier did (accepted, rejected, discarded, resampled, bonus; "generated" for methods
// that write without verifying), p and q on hover, SpecTr's candidates with the chosen one marked,
// judge-kept drafts marked, SpecDec++'s predicted rejection (r) and the judge's scores (s) under
// the drafted tokens, and each round's forward calls and time.
import type { RoundRecord, RoundToken, TokenStatus } from '../../speculative/types';
import { formatMs } from '../format';
import { STATUS_TEXT, extraText, perDraftNumbers, rollingEntropyNote, roundRows, tokenTitle } from './tokens';

export type Pieces = Record<number, string>;

export function Chip({
  token,
  piece,
  note,
  extra,
}: {
  token: RoundToken;
  piece: string | undefined;
  note?: string;
  extra?: string;
}) {
  return (
    <span className="spec-chip-cell">
      <span
        className={`tok spec-tok spec-${token.status} spec-src-${token.source}${token.judged ? ' spec-judged' : ''}`}
        title={tokenTitle(token, piece, extra)}
        data-token-id={token.id}
        data-status={token.status}
        data-source={token.source}
      >
        {piece ?? `⟨${token.id}⟩`}
        {token.judged ? (
          <span className="spec-judge-mark" aria-label="kept by the judge">
            J
          </span>
        ) : null}
      </span>
      {note !== undefined ? <span className="spec-chip-note">{note}</span> : null}
    </span>
  );
}

function Candidates({ round, pieces }: { round: RoundRecord; pieces: Pieces }) {
  const candidates = round.candidates;
  if (!candidates || candidates.drafts.length < 2) return null;
  return (
    <div className="spec-candidates" data-testid={`speculative-candidates-${round.round}`}>
      {candidates.drafts.map((draft, index) => (
        <div
          key={index}
          className={`spec-candidate${index === candidates.chosen ? ' spec-candidate-chosen' : ''}`}
          data-chosen={index === candidates.chosen}
        >
          <span className="spec-candidate-label">
            {index === candidates.chosen ? `✓ candidate ${index + 1}` : `candidate ${index + 1}`}
          </span>
          {draft.map((id, i) => (
            <span key={i} className="tok spec-tok spec-candidate-tok">
              {pieces[id] ?? `⟨${id}⟩`}
            </span>
          ))}
        </div>
      ))}
    </div>
  );
}

function VerificationRow({ round, pieces }: { round: RoundRecord; pieces: Pieces }) {
  const numbers = perDraftNumbers(round);
  const extras = extraText(round);
  let drafted = 0;
  return (
    <li
      className="spec-round"
      data-testid={`speculative-round-${round.round}`}
      data-accepted={round.accepted}
      data-draft-length={round.draftLength}
    >
      <span className="spec-round-index">#{round.round + 1}</span>
      <span
        className="spec-round-kept"
        title={
          round.draftLength > 0
            ? 'Drafts kept / drafted this round'
            : 'No draft this round (no match for a model-free draft, or room for one token only): the target wrote the token'
        }
      >
        {round.draftLength > 0 ? `${round.accepted}/${round.draftLength}` : '–'}
      </span>
      <div className="spec-round-body">
        <div className="spec-round-tokens">
          {round.tokens.map((token, i) => {
            const isDraft =
              token.status !== 'resampled' && token.status !== 'bonus' && token.status !== 'generated';
            const value = isDraft && numbers ? numbers.values[drafted] : undefined;
            if (isDraft) drafted++;
            const note =
              value === undefined || numbers === null ? undefined : `${numbers.label} ${value.toFixed(2)}`;
            return <Chip key={i} token={token} piece={pieces[token.id]} note={note} />;
          })}
        </div>
        <Candidates round={round} pieces={pieces} />
        {extras.length > 0 ? (
          <span className="spec-round-extra small muted">{extras.join(' · ')}</span>
        ) : null}
      </div>
      <span
        className="spec-round-cost small muted"
        title="Forward calls of the target and the draft this round (the first round's also read the prompt), and wall-clock time"
      >
        T{round.targetCalls} D{round.draftCalls} · {formatMs(round.ms)} ms
      </span>
    </li>
  );
}

function GeneratedRow({ rounds, pieces }: { rounds: RoundRecord[]; pieces: Pieces }) {
  const first = rounds[0].round + 1;
  const last = rounds[rounds.length - 1].round + 1;
  const calls = rounds.reduce((sum, r) => ({ t: sum.t + r.targetCalls, d: sum.d + r.draftCalls, ms: sum.ms + r.ms }), { t: 0, d: 0, ms: 0 }); // prettier-ignore
  return (
    <li className="spec-round spec-round-generated" data-testid={`speculative-round-${rounds[0].round}`}>
      <span className="spec-round-index">{first === last ? `#${first}` : `#${first}–${last}`}</span>
      <span className="spec-round-kept" title="Tokens written without verification">
        {rounds.length} tok
      </span>
      <div className="spec-round-body">
        <div className="spec-round-tokens">
          {rounds.flatMap((round) =>
            round.tokens.map((token, i) => (
              <Chip
                key={`${round.round}-${i}`}
                token={token}
                piece={pieces[token.id]}
                note={rollingEntropyNote(round)}
                extra={extraText(round).join(' · ') || undefined}
              />
            )),
          )}
        </div>
      </div>
      <span className="spec-round-cost small muted">
        T{calls.t} D{calls.d} · {formatMs(calls.ms)} ms
      </span>
    </li>
  );
}

const LEGEND: TokenStatus[] = ['accepted', 'rejected', 'discarded', 'resampled', 'bonus', 'generated'];

export function RoundsLegend() {
  return (
    <ul className="legend spec-legend" aria-label="Token colours">
      {LEGEND.map((status) => (
        <li key={status} title={STATUS_TEXT[status]}>
          <span className={`legend-swatch spec-${status}`} />
          {status}
        </li>
      ))}
      <li title="Generated by the target (left bar) or the draft (no bar): EAD and FoReaL">
        <span className="legend-swatch spec-generated spec-src-target" />
        by target
      </li>
      <li title="A draft the judge kept although verification refused it (not exact)">
        <span className="spec-judge-mark legend-judge">J</span>
        judge-kept
      </li>
    </ul>
  );
}

export function RoundsView({ rounds, pieces }: { rounds: RoundRecord[]; pieces: Pieces }) {
  if (rounds.length === 0)
    return <p className="muted small lane-empty">No rounds yet: Run, or Step for one round at a time.</p>;
  return (
    <ol className="spec-rounds" data-testid="speculative-rounds" data-count={rounds.length}>
      {roundRows(rounds).map((row) =>
        row.kind === 'round' ? (
          <VerificationRow key={row.round.round} round={row.round} pieces={pieces} />
        ) : (
          <GeneratedRow key={row.rounds[0].round} rounds={row.rounds} pieces={pieces} />
        ),
      )}
    </ol>
  );
}
