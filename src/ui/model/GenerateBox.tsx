// The generate box: prompt, greedy or seeded sampling (temperature, top-k, top-p, min-p), and the
// tokens as they stream in, each shaded by the probability it was chosen with.
import { useState, type FormEvent } from 'react';
import { useAppStore } from '../../store';
import type { TokenPiece } from '../../worker/modelTypes';
import { formatDuration } from '../format';

const STOP_TEXT = {
  'max-tokens': 'reached max tokens',
  eos: 'end-of-sequence token',
  context: 'reached the model context',
  cancelled: 'stopped',
} as const;

/** Shows whitespace inside a token chip so " the" and "the" look different. */
export function visible(piece: string): string {
  return piece.replaceAll(' ', '·').replaceAll('\n', '↵').replaceAll('\t', '⇥') || '∅';
}

function NumberField(props: {
  label: string;
  value: number;
  onChange: (v: number) => void;
  step?: number;
  min?: number;
  max?: number;
  disabled?: boolean;
}) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        type="number"
        className="text-input num-input"
        value={Number.isNaN(props.value) ? '' : props.value}
        step={props.step ?? 1}
        min={props.min}
        max={props.max}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.currentTarget.valueAsNumber)}
      />
    </label>
  );
}

export function TokenChip({ token, probability }: { token: TokenPiece; probability?: number }) {
  const shade = probability === undefined ? undefined : `rgba(47, 91, 211, ${0.08 + 0.5 * probability})`;
  const title =
    probability === undefined ? `id ${token.id}` : `id ${token.id} · p = ${probability.toFixed(4)}`;
  return (
    <span
      className={probability === undefined ? 'chip chip-prompt' : 'chip'}
      style={shade ? { background: shade } : undefined}
      title={title}
    >
      {visible(token.piece)}
    </span>
  );
}

export function GenerateBox({ prompt, setPrompt }: { prompt: string; setPrompt: (p: string) => void }) {
  const generation = useAppStore((s) => s.model.generation);
  const hasModel = useAppStore((s) => s.model.card !== null);
  const generate = useAppStore((s) => s.generate);
  const stop = useAppStore((s) => s.stopGeneration);
  const [maxTokens, setMaxTokens] = useState(16);
  const [greedy, setGreedy] = useState(true);
  const [temperature, setTemperature] = useState(0.8);
  const [topK, setTopK] = useState(50);
  const [topP, setTopP] = useState(0.95);
  const [minP, setMinP] = useState(0);
  const [seed, setSeed] = useState(42);
  const running = generation.running;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void generate({ prompt, maxTokens, greedy, temperature, topK, topP, minP, seed });
  };
  const summary = generation.summary;
  const perToken = summary && summary.generated > 0 ? summary.elapsedMs / summary.generated : null;

  return (
    <form className="generate" onSubmit={submit} aria-label="Generate">
      <textarea
        className="text-input prompt"
        aria-label="Prompt"
        value={prompt}
        rows={2}
        onChange={(e) => setPrompt(e.target.value)}
        spellCheck={false}
      />
      <div className="generate-controls">
        <div className="segmented" role="group" aria-label="Decoding">
          <button type="button" aria-pressed={greedy} onClick={() => setGreedy(true)}>
            Greedy
          </button>
          <button type="button" aria-pressed={!greedy} onClick={() => setGreedy(false)}>
            Sample
          </button>
        </div>
        <NumberField label="max tokens" value={maxTokens} onChange={setMaxTokens} min={1} max={4096} />
        <NumberField
          label="temperature"
          value={temperature}
          onChange={setTemperature}
          step={0.1}
          min={0.01}
          disabled={greedy}
        />
        <NumberField label="top-k" value={topK} onChange={setTopK} min={0} disabled={greedy} />
        <NumberField
          label="top-p"
          value={topP}
          onChange={setTopP}
          step={0.05}
          min={0.01}
          max={1}
          disabled={greedy}
        />
        <NumberField
          label="min-p"
          value={minP}
          onChange={setMinP}
          step={0.01}
          min={0}
          max={1}
          disabled={greedy}
        />
        <NumberField label="seed" value={seed} onChange={setSeed} min={0} disabled={greedy} />
        <div className="generate-actions">
          {running ? (
            <button type="button" className="button-ghost stop" onClick={() => void stop()}>
              Stop
            </button>
          ) : null}
          <button type="submit" className="button-primary" disabled={!hasModel || running}>
            {running ? 'Generating…' : 'Generate'}
          </button>
        </div>
      </div>
      <div className="output" data-testid="generation-output" data-running={running} aria-live="polite">
        {generation.promptTokens.map((t, i) => (
          <TokenChip key={`p${i}`} token={t} />
        ))}
        {generation.tokens.map((t) => (
          <span key={t.index} data-testid="generated-token">
            <TokenChip token={t} probability={t.probability} />
          </span>
        ))}
        {!running && generation.tokens.length === 0 && !generation.error ? (
          <span className="muted small">
            {hasModel ? 'Tokens appear here as they are generated.' : 'Load a model to generate.'}
          </span>
        ) : null}
      </div>
      <div className="generate-status muted small" data-testid="generation-status">
        {running
          ? `${generation.tokens.length} tokens…`
          : summary
            ? `${summary.generated} tokens after ${summary.promptTokens.length} prompt tokens · ` +
              `${perToken === null ? '—' : formatDuration(perToken)}/token · ${STOP_TEXT[summary.stopReason]} · ` +
              'shade = probability of the chosen token'
            : ''}
      </div>
      {generation.error ? (
        <p className="inline-error" role="alert" data-testid="generation-error">
          {generation.error}
        </p>
      ) : null}
    </form>
  );
}
