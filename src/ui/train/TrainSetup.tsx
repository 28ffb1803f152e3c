// The run's set-up: what to train (a new model from a size preset, or the Model tab's model), on
// what (the built-in fables or a text file), and the hyper-parameters, validated as they are typed
// with the worker's own function: a refused value is named under the form and Start stays off.
import { useState, type FormEvent } from 'react';
import { useAppStore } from '../../store';
import { isTrainingActive } from '../../store/trainSlice';
import { BUILTIN_CORPUS_NAME, BUILTIN_CORPUS_TEXT } from '../../training/corpus-text';
import { SIZE_PRESETS, type PresetId } from '../../training/presets';
import {
  DEFAULT_TRAINING_SETTINGS,
  settingsProblem,
  type SettingField,
  type TrainingSettings,
} from '../../training/settings';
import { formatCount } from '../format';

const FIELDS: { field: SettingField; label: string; title: string }[] = [
  { field: 'learningRate', label: 'learning rate', title: 'Peak learning rate, reached after warmup' },
  { field: 'minLearningRate', label: 'min lr', title: 'Cosine decay ends here at the last step' },
  { field: 'warmupSteps', label: 'warmup', title: 'Steps of linear warmup' },
  { field: 'totalSteps', label: 'steps', title: 'Optimizer updates to run' },
  { field: 'batchSize', label: 'batch', title: 'Sequences per micro-batch (B)' },
  { field: 'contextLength', label: 'context', title: 'Tokens per sequence (T)' },
  { field: 'gradientAccumulation', label: 'accumulation', title: 'Micro-batches summed per update' },
  { field: 'weightDecay', label: 'weight decay', title: 'AdamW decoupled weight decay (matrices only)' },
  { field: 'maxGradientNorm', label: 'clip', title: 'Global gradient-norm clip; 0 turns clipping off' },
  { field: 'beta1', label: 'β1', title: 'AdamW first-moment decay' },
  { field: 'beta2', label: 'β2', title: 'AdamW second-moment decay' },
  { field: 'seed', label: 'seed', title: 'Seeds the initial weights and the batch sampler' },
];

type FieldText = Record<SettingField, string>;

const textOf = (s: TrainingSettings): FieldText =>
  Object.fromEntries(FIELDS.map(({ field }) => [field, String(s[field])])) as FieldText;

/** '' and text that is not a number parse to NaN, which validation then names. */
const parse = (text: FieldText): TrainingSettings =>
  Object.fromEntries(
    FIELDS.map(({ field }) => [field, text[field].trim() === '' ? Number.NaN : Number(text[field])]),
  ) as unknown as TrainingSettings;

export function TrainSetup() {
  const status = useAppStore((s) => s.train.status);
  const gpuReady = useAppStore((s) => s.gpu.status === 'ready');
  const card = useAppStore((s) => s.model.card);
  const startTraining = useAppStore((s) => s.startTraining);
  const [modelKind, setModelKind] = useState<'preset' | 'loaded'>('preset');
  const [preset, setPreset] = useState<PresetId>('nano');
  const [corpusKind, setCorpusKind] = useState<'builtin' | 'text'>('builtin');
  const [corpusFile, setCorpusFile] = useState<{ name: string; text: string } | null>(null);
  const [text, setText] = useState<FieldText>(() => textOf(DEFAULT_TRAINING_SETTINGS));

  const active = isTrainingActive(status);
  const settings = parse(text);
  const problem = settingsProblem(settings, modelKind === 'loaded' ? card?.maxPositions : undefined);
  const missing =
    modelKind === 'loaded' && !card
      ? 'No model is loaded: load one in the Model tab, or train a new model.'
      : corpusKind === 'text' && !corpusFile
        ? 'Choose a text file to train on.'
        : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (problem || missing) return;
    void startTraining({
      model: modelKind === 'preset' ? { kind: 'preset', preset } : { kind: 'loaded' },
      corpus: corpusKind === 'builtin' ? { kind: 'builtin' } : { kind: 'text', ...corpusFile! },
      settings,
    });
  };
  const pickCorpus = async (file: File | undefined) => {
    if (file) setCorpusFile({ name: file.name, text: await file.text() });
  };
  const chosenPreset = SIZE_PRESETS.find((p) => p.id === preset)!;

  return (
    <form className="train-setup" onSubmit={submit} aria-label="Training set-up">
      <fieldset disabled={active}>
        <div className="setup-row">
          <span className="setup-label">Model</span>
          <div className="segmented" role="group" aria-label="Model to train">
            <button
              type="button"
              aria-pressed={modelKind === 'preset'}
              onClick={() => setModelKind('preset')}
            >
              New model
            </button>
            <button
              type="button"
              aria-pressed={modelKind === 'loaded'}
              onClick={() => setModelKind('loaded')}
            >
              Loaded model
            </button>
          </div>
          {modelKind === 'preset' ? (
            <select
              className="text-input"
              aria-label="Size preset"
              data-testid="train-preset"
              value={preset}
              onChange={(e) => setPreset(e.target.value as PresetId)}
            >
              {SIZE_PRESETS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
            </select>
          ) : null}
        </div>
        <p className="setup-note muted small">
          {modelKind === 'preset'
            ? `${chosenPreset.description}; character tokenizer built from the corpus.`
            : card
              ? `${card.name}: ${formatCount(card.parameterCount)} parameters, its own tokenizer, context ≤ ${card.maxPositions}.`
              : 'No model is loaded: load one in the Model tab first.'}
        </p>

        <div className="setup-row">
          <span className="setup-label">Corpus</span>
          <div className="segmented" role="group" aria-label="Training text">
            <button
              type="button"
              aria-pressed={corpusKind === 'builtin'}
              onClick={() => setCorpusKind('builtin')}
            >
              Built-in fables
            </button>
            <button type="button" aria-pressed={corpusKind === 'text'} onClick={() => setCorpusKind('text')}>
              Text file
            </button>
          </div>
          {corpusKind === 'text' ? (
            <label className="file-button">
              <input
                type="file"
                accept=".txt,.md,text/plain"
                data-testid="train-corpus-input"
                onChange={(e) => void pickCorpus(e.currentTarget.files?.[0])}
              />
              Choose .txt…
            </label>
          ) : null}
        </div>
        <p className="setup-note muted small">
          {corpusKind === 'builtin'
            ? `${BUILTIN_CORPUS_NAME}: ${formatCount(BUILTIN_CORPUS_TEXT.length)} characters of plain English, works offline.`
            : corpusFile
              ? `${corpusFile.name}: ${formatCount(corpusFile.text.length)} characters.`
              : 'A plain-text file; each step trains on random windows of it.'}
        </p>

        <div className="settings-grid">
          {FIELDS.map(({ field, label, title }) => (
            <label className="field" key={field} title={title}>
              <span>{label}</span>
              <input
                className="text-input num-input"
                inputMode="decimal"
                spellCheck={false}
                aria-label={label}
                aria-invalid={problem?.field === field}
                data-testid={`setting-${field}`}
                value={text[field]}
                onChange={(e) => setText({ ...text, [field]: e.target.value })}
              />
            </label>
          ))}
        </div>
      </fieldset>
      {problem ? (
        <p className="inline-error" role="alert" data-testid="settings-error" data-field={problem.field}>
          {problem.message}
        </p>
      ) : null}
      <div className="setup-actions">
        <button
          type="submit"
          className="button-primary"
          data-testid="train-start"
          disabled={active || !gpuReady || problem !== null || missing !== null}
          title={missing ?? undefined}
        >
          {status === 'preparing' ? 'Preparing…' : 'Start training'}
        </button>
        <button
          type="button"
          className="button-ghost"
          disabled={active}
          onClick={() => setText(textOf(DEFAULT_TRAINING_SETTINGS))}
        >
          Defaults
        </button>
        {missing && !problem ? <span className="muted small">{missing}</span> : null}
      </div>
    </form>
  );
}
