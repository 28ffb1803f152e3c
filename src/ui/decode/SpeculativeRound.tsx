// The inspector's view of a speculative token: which draft/verify round wrote it and what happened
// to it (accepted, resampled, bonus, generated), p(x) and q(x), the round's drafted tokens coloured
// by their fate with this token outlined, SpecTr's candidates, and the lane's acceptance so far
// against the theory. Everything comes from the token's record (its `extra`).
import type { Experiment, SpeculativeVariant } from '../../share/experiment';
import { variantNeedsDraftModel } from '../../share/methods';
import { STATUS_TEXT, tokenTitle } from '../speculative/tokens';
import { visible } from '../model/GenerateBox';
import { emittedIndex, type SpeculativeTokenView } from './speculative';

const probability = (value: number | null) =>
  value === null ? '—' : value >= 1e-3 || value === 0 ? value.toFixed(4) : value.toExponential(2);
const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

const VARIANT_NAMES: Record<string, string> = {
  speculative: 'speculative sampling',
  spectr: 'SpecTr',
  specdecpp: 'SpecDec++',
  'prompt-lookup': 'prompt lookup',
  aded: 'ADED trigram draft',
  'entropy-switch': 'Entropy Adaptive Decoding',
  foreal: 'FoReaL',
  judge: 'judge decoding',
};

const SOURCE_NAMES: Record<string, string> = {
  draft: 'the draft model',
  target: 'the target',
  lookup: 'a model-free lookup',
};

export function SpeculativeRound({
  view,
  experiment,
  pieceOf,
}: {
  view: SpeculativeTokenView;
  experiment: Experiment;
  pieceOf: (id: number) => string | null;
}) {
  const current = emittedIndex(view);
  const piece = (id: number) => pieceOf(id) ?? `⟨${id}⟩`;
  const draftModel = variantNeedsDraftModel(view.variant as SpeculativeVariant);
  return (
    <div
      className="spec-inspector"
      data-testid="decode-inspector-speculative"
      data-round={view.round}
      data-status={view.status}
    >
      <p className="spec-inspector-line">
        <strong data-testid="decode-inspector-round">Round #{view.round + 1}</strong>{' '}
        <span className="muted">
          · {VARIANT_NAMES[view.variant] ?? view.variant} ·{' '}
          {view.exact ? 'exact (the target’s distribution)' : <strong>not exact</strong>}
        </span>
      </p>
      <p className="spec-inspector-line" title={STATUS_TEXT[view.status as keyof typeof STATUS_TEXT]}>
        This token:{' '}
        <span className={`spec-status spec-status-${view.status}`} data-testid="decode-inspector-status">
          {view.status}
        </span>
        {view.judged ? <span className="muted"> (kept by the judge)</span> : null} from{' '}
        {SOURCE_NAMES[view.source] ?? view.source} · token {view.position} of {view.emitted} this round
      </p>
      <p className="spec-inspector-line">
        p(x) = <strong>{probability(view.p)}</strong> <span className="muted">(target)</span> · q(x) ={' '}
        <strong>{probability(view.q)}</strong> <span className="muted">(draft)</span>
        {view.p === null ? (
          <span className="muted small">
            {' '}
            · not read back for {view.status} tokens (the verifier reports p and q of drafted tokens)
          </span>
        ) : null}
      </p>
      <div className="spec-inspector-round" aria-label={`Tokens of round ${view.round + 1}`}>
        <span className="muted small">
          drafted {view.drafted} · kept {view.accepted}
          {view.tokens.length > 0 ? ':' : ''}
        </span>
        {view.tokens.map((token, i) => (
          <span
            key={i}
            className={`spec-itok spec-itok-${token.status}${i === current ? ' spec-itok-current' : ''}`}
            title={tokenTitle(
              { id: token.id, status: token.status, source: token.source as 'draft', p: token.p, q: token.q, ...(token.judged ? { judged: true } : {}) }, // prettier-ignore
              pieceOf(token.id) ?? undefined,
            )}
            data-status={token.status}
            data-token-id={token.id}
          >
            {visible(piece(token.id))}
          </span>
        ))}
      </div>
      {view.candidates ? (
        <div className="spec-inspector-candidates small">
          {view.candidates.drafts.map((draft, c) => (
            <div key={c} className={c === view.candidates!.chosen ? 'spec-candidate-kept' : 'muted'}>
              {c === view.candidates!.chosen ? '✓ ' : ''}candidate {c + 1}:{' '}
              {draft.map((id) => visible(piece(id))).join(' ')}
            </div>
          ))}
        </div>
      ) : null}
      {view.roundNumbers.length > 0 ? (
        <p className="spec-inspector-line small muted">
          {view.roundNumbers.map(([key, value]) => `${key} ${value}`).join(' · ')}
        </p>
      ) : null}
      <dl className="spec-inspector-lane small">
        <div title="Drafted tokens the verifier kept, over the lane so far">
          <dt>acceptance</dt>
          <dd>{fixed(view.lane.acceptanceRate)}</dd>
        </div>
        <div title="Mean drafts kept per round that drafted">
          <dt>mean kept / round</dt>
          <dd>{fixed(view.lane.meanAcceptedLength)}</dd>
        </div>
        <div title="Target forward calls of the rounds per generated token (autoregressive decoding: 1)">
          <dt>target forwards / token</dt>
          <dd>{fixed(view.lane.targetCallsPerToken)}</dd>
        </div>
        <div title="(1 − a^(K+1)) / (1 − a) with a the estimated per-position acceptance: the tokens per target call the i.i.d. theory predicts">
          <dt>theory tokens / call</dt>
          <dd>{fixed(view.lane.theoreticalTokensPerCall)}</dd>
        </div>
        {view.lane.summary.map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{typeof value === 'number' ? Number(value.toPrecision(6)) : value}</dd>
          </div>
        ))}
      </dl>
      <p className="spec-inspector-line small muted">
        target: {experiment.models.main.id}
        {draftModel
          ? ` · draft: ${experiment.models.amateur?.id ?? '—'} (amateur slot)`
          : ' · drafts from the text (no draft model)'}
      </p>
    </div>
  );
}
