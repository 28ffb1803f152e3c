// The setup of a speculative run: the target and draft models (a Shapes default, or one of the Model
// tab's models, WGSL or ONNX, pinned to its files), the method with its parameters, sampling, seed, token budget and the
// prompt. Problems are the engine's messages, shown under the field they are about; nothing is
// clamped. Edits are locked while a run holds the worker.
import type { ModelRef } from '../../share/experiment';
import type { ModelCard } from '../../worker/modelTypes';
import type { SpeculativeSetupMethod } from '../../share/speculative-link';
import { EXPERIMENT_LIMITS, EXPERIMENT_PARAMETERS } from '../../share/settings';
import { number } from '../../share/parameters';
import { useAppStore } from '../../store';
import type { ModelState, ShapesState } from '../../store';
import { describeRef, modelAvailability } from '../../store/decodeModels';
import type { SetupProblems, SpeculativeModelRole } from '../../store/speculativeSlice';
import type { SpeculativeMethodName } from '../../speculative/types';
import { SHAPES_MODELS, SHAPES_MODEL_ROLES, isShapesModel } from '../../worker/shapesTypes';
import { ChoiceField, NumberField, parameterTitle } from '../decode/fields';
import { METHOD_INFO, METHOD_ORDER } from './methodCatalog';

/** Model tab models from local files, which a link cannot name: shown, not choosable. */
const LOCAL = 'local:';
const TEMPERATURE = number('temperature', 'target temperature T', 'p = softmax(target logits / T); ignored when greedy.', { default: 1, min: 0, minExclusive: true, max: 10, step: 0.05 }); // prettier-ignore
const DRAFT_TEMPERATURE = number('draftTemperature', 'draft temperature', 'q = softmax(draft logits / T_draft); ignored when greedy.', { default: 1, min: 0, minExclusive: true, max: 10, step: 0.05 }); // prettier-ignore

const ROLE_TEXT: Record<SpeculativeModelRole, string> = {
  target: 'target: the distribution the text must follow',
  draft: 'draft: proposes tokens the target verifies',
};

function pinText(ref: ModelRef): string {
  const weights = Object.entries(ref.sha256).find(([file]) => file.endsWith('.safetensors') || file.endsWith('.onnx')) ?? Object.entries(ref.sha256)[0]; // prettier-ignore
  return weights
    ? `pinned ${weights[0]} ${weights[1].slice(0, 8)}`
    : 'pinned to its files after the first run';
}

/**
 * A default model is ready once the page knows it loaded (else the worker loads it for the run: no
 * colour); a Model tab model must be loaded there and match its pins.
 */
function modelStatus(ref: ModelRef, shapes: ShapesState, model: ModelState): string {
  if (ref.source === 'default') {
    if (!isShapesModel(ref.id)) return 'missing';
    const available = modelAvailability(ref, shapes, model);
    return available.status === 'loading' ? 'idle' : available.status;
  }
  return modelAvailability(ref, shapes, model).status;
}

/** The option value of a non-default ref: its source, id and the pinned weights (two dtypes of one repo differ). */
function refValue(ref: ModelRef): string {
  if (ref.source === 'default') return ref.id;
  const weights = Object.entries(ref.sha256).find(([file]) => file.endsWith('.safetensors') || file.endsWith('.onnx')); // prettier-ignore
  return `${ref.source}:${ref.id}${weights ? `#${weights[1].slice(0, 12)}` : ''}`;
}

/** "shapes-expert (ONNX fp32, WebGPU)", "gpt2 @ main (WGSL)". */
function loadedLabel(card: ModelCard): string {
  if (card.engine === 'onnx' && card.onnx) {
    return `${card.name} (ONNX ${card.onnx.dtype}, ${card.onnx.provider === 'webgpu' ? 'WebGPU' : 'wasm'})`;
  }
  return `${card.name} (WGSL)`;
}

function samePins(loaded: Record<string, string> | undefined, pinned: Record<string, string>): boolean {
  const files = Object.keys(pinned);
  return loaded !== undefined && files.length > 0 && files.every((file) => loaded[file] === pinned[file]);
}

function ModelRow({
  role,
  locked,
  unused,
}: {
  role: SpeculativeModelRole;
  locked: boolean;
  unused: boolean;
}) {
  const ref = useAppStore((s) => s.speculative.setup.models[role]);
  const note = useAppStore((s) => s.speculative.modelNotes[role]);
  const loaded = useAppStore((s) => s.model.loaded);
  const setModel = useAppStore((s) => s.setSpeculativeModel);
  const pageStatus = useAppStore((s) => modelStatus(ref, s.shapes, s.model));
  // The worker loads default models for a run: the last run's files, when they are the pinned ones.
  const ranPinned = useAppStore((s) => samePins(s.speculative.run?.[role]?.fileHashes, ref.sha256));
  const status = pageStatus === 'idle' && ranPinned ? 'ready' : pageStatus;
  const value = refValue(ref);
  // Loaded models a link can name (Hub, URL); one from local files is offered to say why it cannot.
  const options = loaded.map((card, i) => ({ card, value: card.ref ? refValue(card.ref) : `${LOCAL}${i}` }));
  const choose = (id: string) => {
    if (id === value) return;
    const option = options.find((o) => o.value === id);
    if (option?.card.ref) setModel(role, option.card.ref);
    else if (isShapesModel(id)) setModel(role, { source: 'default', id, sha256: {} });
  };
  const listed = options.some((o) => o.value === value);
  return (
    <li
      className={`model-row model-${status}${unused ? ' model-unused' : ''}`}
      data-testid={`speculative-model-${role}`}
      data-status={status}
    >
      <span className="status-dot" aria-hidden />
      <span className="model-role muted">{ROLE_TEXT[role]}</span>
      <select
        className="text-input"
        aria-label={`${role} model`}
        value={value}
        disabled={locked}
        data-testid={`speculative-model-${role}-select`}
        onChange={(e) => choose(e.currentTarget.value)}
      >
        {SHAPES_MODELS.map((name) => (
          <option key={name} value={name} title={SHAPES_MODEL_ROLES[name]}>
            {name}
          </option>
        ))}
        {ref.source !== 'default' && !listed ? (
          <option value={value}>{describeRef(ref)} (not loaded in the Model tab)</option>
        ) : null}
        {options.map((o) => (
          <option key={o.value} value={o.value} disabled={!o.card.ref} title={o.card.refProblem ?? undefined}>
            Model tab: {loadedLabel(o.card)}
            {o.card.ref ? '' : ' (local files: a link cannot name it)'}
          </option>
        ))}
      </select>
      <span
        className="model-hash"
        title={Object.entries(ref.sha256)
          .map(([f, h]) => `${f} ${h}`)
          .join('\n')}
      >
        {unused ? 'not used by this method' : pinText(ref)}
      </span>
      {note ? (
        <span className="model-message field-problem" role="alert">
          {note}
        </span>
      ) : null}
    </li>
  );
}

function MethodFields({
  method,
  problems,
  locked,
}: {
  method: SpeculativeSetupMethod;
  problems: SetupProblems;
  locked: boolean;
}) {
  const setParameter = useAppStore((s) => s.setSpeculativeParameter);
  const info = METHOD_INFO[method.name];
  const values = method as unknown as Record<string, number | string | undefined>;
  return (
    <div className="lane-fields">
      {info.fields.map((spec) => {
        const problem = problems[`method.${spec.name}`];
        const testId = `speculative-param-${spec.name}`;
        if (spec.kind === 'choice')
          return <ChoiceField key={spec.name} spec={spec} label={spec.label} title={parameterTitle(spec, info.paper)} value={String(values[spec.name])} problem={problem} disabled={locked} testId={testId} onChange={(v) => setParameter(spec.name, v)} />; // prettier-ignore
        const value = values[spec.name];
        return <NumberField key={spec.name} spec={spec} label={spec.label} title={parameterTitle(spec, info.paper)} value={typeof value === 'number' ? value : Number.NaN} problem={problem} disabled={locked} testId={testId} onChange={(v) => setParameter(spec.name, v)} />; // prettier-ignore
      })}
      {problems.method ? (
        <span className="field-problem dfield-wide" role="alert">
          {problems.method}
        </span>
      ) : null}
    </div>
  );
}

export function SetupControls({ problems, locked }: { problems: SetupProblems; locked: boolean }) {
  const setup = useAppStore((s) => s.speculative.setup);
  const setMethod = useAppStore((s) => s.setSpeculativeMethod);
  const setSampling = useAppStore((s) => s.setSpeculativeSampling);
  const setPrompt = useAppStore((s) => s.setSpeculativePrompt);
  const setSeed = useAppStore((s) => s.setSpeculativeSeed);
  const setMaxTokens = useAppStore((s) => s.setSpeculativeMaxTokens);
  const { method, sampling } = setup;
  const info = METHOD_INFO[method.name];
  const exact = method.name !== 'entropy-switch' && method.name !== 'foreal' && method.name !== 'judge';
  return (
    <div className="decode-setup speculative-setup">
      <div className="setup-block">
        <h3>Models</h3>
        <ul className="model-rows">
          <ModelRow role="target" locked={locked} unused={false} />
          <ModelRow role="draft" locked={locked} unused={info.modelFree === true} />
        </ul>
        <p className="small muted">
          Target and draft must share a tokenizer; the engine refuses a pair that does not.
        </p>
      </div>
      <div className="setup-block">
        <h3>Method</h3>
        <div className="method-head">
          <select
            className="text-input"
            aria-label="method"
            value={method.name}
            disabled={locked}
            data-testid="speculative-method"
            onChange={(e) => setMethod(e.currentTarget.value as SpeculativeMethodName)}
          >
            {METHOD_ORDER.map((name) => (
              <option key={name} value={name}>
                {METHOD_INFO[name].label}
              </option>
            ))}
          </select>
          {exact ? (
            <span className="exact-badge" title="The text is distributed exactly as the target's">
              exact
            </span>
          ) : (
            <span
              className="exact-badge not-exact"
              data-testid="speculative-not-exact"
              title="The output distribution is not the target's"
            >
              not exact
            </span>
          )}
        </div>
        <span className="lane-formula method-rule" title={`${info.rule}\n${info.paper}`}>
          {info.rule}
        </span>
        <MethodFields method={method} problems={problems} locked={locked} />
      </div>
      <div className="setup-block setup-text">
        <h3>Prompt and sampling</h3>
        <label className="dfield dfield-wide">
          <span className="sr-only">Prompt</span>
          <textarea
            className="text-input prompt-input"
            rows={2}
            value={setup.prompt}
            maxLength={EXPERIMENT_LIMITS.promptChars * 2}
            disabled={locked}
            aria-invalid={problems.prompt ? true : undefined}
            data-testid="speculative-prompt"
            onChange={(e) => setPrompt(e.currentTarget.value)}
          />
          {problems.prompt ? (
            <span className="field-problem" role="alert">
              {problems.prompt}
            </span>
          ) : null}
        </label>
        <label
          className="lane-greedy small"
          title="Greedy: drafts are the draft's argmax, a draft is kept iff it is the target's argmax"
        >
          <input
            type="checkbox"
            checked={sampling.greedy}
            disabled={locked}
            data-testid="speculative-greedy"
            onChange={(e) => setSampling({ greedy: e.currentTarget.checked })}
          />
          greedy
        </label>
        <div className="setup-numbers speculative-numbers">
          <NumberField
            spec={TEMPERATURE}
            label="target T"
            title={parameterTitle(TEMPERATURE)}
            value={sampling.temperature}
            problem={problems['sampling.temperature']}
            disabled={locked || sampling.greedy}
            testId="speculative-temperature"
            onChange={(temperature) => setSampling({ temperature })}
          />
          <NumberField
            spec={DRAFT_TEMPERATURE}
            label="draft T"
            title={parameterTitle(DRAFT_TEMPERATURE)}
            value={sampling.draftTemperature}
            problem={problems['sampling.draftTemperature']}
            disabled={locked || sampling.greedy}
            testId="speculative-draft-temperature"
            onChange={(draftTemperature) => setSampling({ draftTemperature })}
          />
          <NumberField
            spec={EXPERIMENT_PARAMETERS.seed}
            label="seed"
            title={parameterTitle(EXPERIMENT_PARAMETERS.seed)}
            value={setup.seed}
            problem={problems.seed}
            disabled={locked}
            testId="speculative-seed"
            onChange={setSeed}
          />
          <NumberField
            spec={EXPERIMENT_PARAMETERS.maxTokens}
            label="max tokens"
            title={parameterTitle(EXPERIMENT_PARAMETERS.maxTokens)}
            value={setup.maxTokens}
            problem={problems.maxTokens}
            disabled={locked}
            testId="speculative-max-tokens"
            onChange={setMaxTokens}
          />
        </div>
      </div>
    </div>
  );
}
