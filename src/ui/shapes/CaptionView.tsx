// The VLM's greedy caption as it streams: the sentence with each mentioned object marked against
// the scene, the false claims with their reasons, and the tokens with the probability each was
// chosen with (the nine image placeholders of the prompt shown as one chip).
import { Fragment, useMemo, type ReactNode } from 'react';
import { useAppStore } from '../../store';
import type { ShapesRun } from '../../store';
import type { TokenPiece } from '../../worker/modelTypes';
import { formatDuration } from '../format';
import { TokenChip } from '../model/GenerateBox';
import {
  captionText,
  checkCaption,
  type CheckedCaption,
  type CheckedMention,
  type MentionVerdict,
} from './claims';

const VERDICT_TEXT: Record<MentionVerdict, string> = {
  correct: 'correct',
  wrong: 'wrong',
  hallucinated: 'hallucinated',
};

/** The mentions that are not correct, a repeated one listed once with how many times it was said. */
function problems(checked: CheckedCaption): { mention: CheckedMention; times: number }[] {
  const seen = new Map<string, { mention: CheckedMention; times: number }>();
  for (const m of checked.mentions) {
    if (m.verdict === 'correct') continue;
    const key = `${m.text}\u0000${m.reason}`;
    const entry = seen.get(key);
    if (entry) entry.times++;
    else seen.set(key, { mention: m, times: 1 });
  }
  return [...seen.values()];
}

/** Prompt chips with runs of one repeated token (the image placeholders) shown once with a count. */
export function PromptChips({ tokens }: { tokens: TokenPiece[] }) {
  const runs: { token: TokenPiece; count: number }[] = [];
  for (const token of tokens) {
    const last = runs.at(-1);
    if (last && last.token.id === token.id) last.count++;
    else runs.push({ token, count: 1 });
  }
  return runs.map(({ token, count }, i) => (
    <TokenChip key={i} token={count === 1 ? token : { id: token.id, piece: `${token.piece}×${count}` }} />
  ));
}

export function RunTokens({ run, testId }: { run: ShapesRun; testId: string }) {
  return (
    <div className="shapes-tokens" data-testid={testId}>
      <PromptChips tokens={run.promptTokens} />
      {run.tokens.map((t) => (
        <TokenChip key={t.index} token={t} probability={t.probability} />
      ))}
    </div>
  );
}

/** The caption's words, object mentions wrapped in a mark coloured by their verdict. */
function MarkedCaption({ checked }: { checked: CheckedCaption }) {
  const { words, mentions } = checked;
  const out: ReactNode[] = [];
  for (let w = 0; w < words.length;) {
    const mention = mentions.find((m) => m.wordStart === w);
    if (mention) {
      out.push(
        <mark
          key={w}
          className={`claim claim-${mention.verdict}`}
          data-verdict={mention.verdict}
          title={mention.reason ?? 'true of the scene'}
        >
          {mention.text}
        </mark>,
      );
      w = mention.wordEnd;
    } else {
      out.push(<Fragment key={w}>{words[w].text}</Fragment>);
      w++;
    }
    if (w < words.length) out.push(' ');
  }
  return <>{out}</>;
}

/** The current caption's text, checked against the scene (null for an uploaded picture). */
export function useCheckedCaption(): { text: string; checked: CheckedCaption | null } {
  const tokens = useAppStore((s) => s.shapes.caption.tokens);
  const image = useAppStore((s) => s.shapes.image);
  const text = captionText(tokens.map((t) => t.piece));
  const scene = image.kind === 'upload' ? null : image.scene;
  const checked = useMemo(() => (scene ? checkCaption(scene, text) : null), [scene, text]);
  return { text, checked };
}

export function CaptionView() {
  const run = useAppStore((s) => s.shapes.caption);
  const vlmStatus = useAppStore((s) => s.shapes.models['shapes-vlm'].status);
  const caption = useAppStore((s) => s.caption);
  const stop = useAppStore((s) => s.stopShapes);
  const { text, checked } = useCheckedCaption();
  const counts = { correct: 0, wrong: 0, hallucinated: 0 };
  for (const m of checked?.mentions ?? []) counts[m.verdict]++;
  const summary = run.summary;
  const perToken = summary && summary.generated > 0 ? summary.elapsedMs / summary.generated : null;

  let status = '';
  if (vlmStatus === 'loading' || vlmStatus === 'idle') status = 'Loading the captioning model…';
  else if (run.running) status = run.tokens.length === 0 ? 'Captioning…' : `${run.tokens.length} tokens…`;
  else if (summary)
    status =
      `greedy · ${summary.generated} tokens · ${perToken === null ? '—' : formatDuration(perToken)}/token` +
      (summary.stopReason === 'cancelled' ? ' · stopped' : '') +
      (summary.stopReason === 'max-tokens' ? ' · hit the token limit' : '');

  return (
    <div className="shapes-block">
      <div className="shapes-block-head">
        <h3>Caption</h3>
        <span className="muted small" data-testid="shapes-caption-status">
          {status}
        </span>
        <span className="grow" />
        {run.running ? (
          <button type="button" className="button-ghost stop" onClick={() => void stop()}>
            Stop
          </button>
        ) : (
          <button
            type="button"
            className="button-ghost"
            disabled={vlmStatus !== 'ready'}
            onClick={caption}
            data-testid="shapes-caption-again"
          >
            Caption again
          </button>
        )}
      </div>
      <p
        className="shapes-caption"
        data-testid="shapes-caption"
        data-running={run.running}
        data-done={!run.running && summary !== null}
        aria-live="polite"
      >
        <span className="muted">{run.prompt} </span>
        <span data-testid="shapes-caption-text">{checked ? <MarkedCaption checked={checked} /> : text}</span>
        {run.running ? <span className="cursor">▍</span> : null}
      </p>
      {checked && text ? (
        <div className="shapes-verdict" data-testid="shapes-verdict" data-all-true={checked.allTrue}>
          {checked.mentions.length === 0 ? (
            <span className="muted">No object mentioned.</span>
          ) : (
            <span>
              {checked.mentions.length} object mention{checked.mentions.length === 1 ? '' : 's'}:{' '}
              <span className="verdict-correct">{counts.correct} correct</span>
              {counts.wrong ? <span className="verdict-wrong">, {counts.wrong} wrong</span> : null}
              {counts.hallucinated ? (
                <span className="verdict-hallucinated">, {counts.hallucinated} hallucinated</span>
              ) : null}
            </span>
          )}
          <ul className="shapes-claims" data-testid="shapes-claims">
            {problems(checked).map(({ mention: m, times }, i) => (
              <li key={`m${i}`} className={`claim-line claim-line-${m.verdict}`}>
                <strong>{VERDICT_TEXT[m.verdict]}</strong> “{m.text}”{times > 1 ? ` (×${times})` : ''}:{' '}
                {m.reason}
              </li>
            ))}
            {checked.otherClaims.map((c, i) => (
              <li key={`c${i}`} className="claim-line claim-line-wrong">
                <strong>false {c.kind}</strong>: {c.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {run.error ? (
        <p className="inline-error" role="alert" data-testid="shapes-caption-error">
          {run.error}
        </p>
      ) : null}
      <RunTokens run={run} testId="shapes-caption-tokens" />
    </div>
  );
}
