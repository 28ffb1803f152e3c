// Ask the VLM about the image it sees. Words outside the models' vocabulary are marked as you type
// (the tokenizer maps each to <unk>; the question still runs), and for a scene the answer is set
// beside the true one (answerQuestion over the ground truth, for the question templates it knows).
import { Fragment, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { useAppStore } from '../../store';
import { DEFAULT_QUESTION } from '../../store/shapesSlice';
import { answerQuestion, SHAPES_VOCABULARY, UNK_TOKEN, unknownWords, type UnknownWord } from '../../world';
import { RunTokens } from './CaptionView';
import { captionText } from './claims';

const EXAMPLES = ['is there a moon ?', 'how many circles are there ?', 'what colour is the star ?'];

function MarkedQuestion({ question, unknown }: { question: string; unknown: UnknownWord[] }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const w of unknown) {
    parts.push(question.slice(at, w.start));
    parts.push(
      <mark key={w.start} className="unknown-word" title={`not in the vocabulary: read as ${UNK_TOKEN}`}>
        {question.slice(w.start, w.end)}
      </mark>,
    );
    at = w.end;
  }
  parts.push(question.slice(at));
  return <>{parts}</>;
}

export function AskBox() {
  const run = useAppStore((s) => s.shapes.answer);
  const image = useAppStore((s) => s.shapes.image);
  const ready = useAppStore((s) => s.shapes.models['shapes-vlm'].status === 'ready');
  const ask = useAppStore((s) => s.ask);
  const [question, setQuestion] = useState(DEFAULT_QUESTION);
  const unknown = useMemo(() => unknownWords(question), [question]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    ask(question);
  };
  const asked = run.prompt;
  const answer = captionText(run.tokens.map((t) => t.piece));
  const truth = image.kind === 'upload' || !asked ? null : answerQuestion(image.scene, asked);
  const done = !run.running && run.summary !== null;
  const agrees = truth !== null && answer.split(' ')[0] === truth;

  return (
    <form className="shapes-block" onSubmit={submit} aria-label="Ask the VLM">
      <div className="shapes-block-head">
        <h3>Ask</h3>
        <span className="muted small">
          try{' '}
          {EXAMPLES.map((e, i) => (
            <Fragment key={e}>
              {i > 0 ? ' · ' : null}
              <button type="button" className="link-button" onClick={() => setQuestion(e)}>
                {e}
              </button>
            </Fragment>
          ))}
        </span>
      </div>
      <div className="shapes-controls">
        <input
          className="text-input grow"
          aria-label="Question"
          data-testid="shapes-question"
          value={question}
          spellCheck={false}
          onChange={(e) => setQuestion(e.currentTarget.value)}
        />
        <button
          type="submit"
          className="button-primary"
          data-testid="shapes-ask"
          disabled={!ready || question.trim() === '' || run.running}
        >
          {run.running ? 'Answering…' : 'Ask'}
        </button>
      </div>
      {unknown.length > 0 ? (
        <p className="shapes-warning" role="status" data-testid="shapes-unknown-words">
          <MarkedQuestion question={question} unknown={unknown} />
          <br />
          {unknown.map((w) => `“${w.word}”`).join(', ')} {unknown.length === 1 ? 'is' : 'are'} not among the{' '}
          {SHAPES_VOCABULARY.length} tokens the models know: the tokenizer reads{' '}
          {unknown.length === 1 ? 'it' : 'each'} as <code>{UNK_TOKEN}</code>, and the question still runs.
        </p>
      ) : null}
      {asked ? (
        <div className="shapes-answer-row" data-testid="shapes-answer" data-done={done}>
          <span className="muted">{asked}</span>
          <span className="shapes-answer">
            {answer ||
              (run.running ? '…' : <span className="muted small">(no words: {'<eos>'} at once)</span>)}
          </span>
          {done && truth !== null ? (
            <span
              className={agrees ? 'verdict-correct' : 'verdict-hallucinated'}
              data-testid="shapes-answer-truth"
            >
              {agrees ? '✓' : '✗'} ground truth: {truth}
            </span>
          ) : null}
          {done && truth === null && image.kind !== 'upload' ? (
            <span className="muted small">(no ground truth: not a question template with one answer)</span>
          ) : null}
        </div>
      ) : null}
      {run.error ? (
        <p className="inline-error" role="alert" data-testid="shapes-answer-error">
          {run.error}
        </p>
      ) : null}
      {asked ? <RunTokens run={run} testId="shapes-answer-tokens" /> : null}
    </form>
  );
}
