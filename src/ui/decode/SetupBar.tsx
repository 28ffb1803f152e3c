// What every lane shares: the models (with roles and pinned hashes), the image, the prompt, the
// seed and the token budget. Edits are locked while a run holds the worker.
import { EXPERIMENT_LIMITS, EXPERIMENT_PARAMETERS } from '../../share/methods';
import { useAppStore } from '../../store';
import type { FieldProblems } from '../../store/decodeExperiment';
import { NumberField, parameterTitle } from './fields';
import { ImagePicker } from './ImagePicker';
import { ModelsInUse } from './ModelsInUse';

export function SetupBar({ problems, locked }: { problems: FieldProblems; locked: boolean }) {
  const prompt = useAppStore((s) => s.decode.experiment.prompt);
  const seed = useAppStore((s) => s.decode.experiment.seed);
  const maxTokens = useAppStore((s) => s.decode.experiment.maxTokens);
  const setPrompt = useAppStore((s) => s.setDecodePrompt);
  const setSeed = useAppStore((s) => s.setDecodeSeed);
  const setMaxTokens = useAppStore((s) => s.setDecodeMaxTokens);
  return (
    <div className="decode-setup">
      <ModelsInUse locked={locked} />
      <ImagePicker locked={locked} problems={problems} />
      <div className="setup-block setup-text">
        <h3>Prompt</h3>
        <label className="dfield dfield-wide">
          <span className="sr-only">Prompt</span>
          <textarea
            className="text-input prompt-input"
            rows={2}
            value={prompt}
            maxLength={EXPERIMENT_LIMITS.promptChars * 2}
            disabled={locked}
            aria-invalid={problems.prompt ? true : undefined}
            data-testid="decode-prompt"
            onChange={(e) => setPrompt(e.currentTarget.value)}
          />
          {problems.prompt ? (
            <span className="field-problem" role="alert">
              {problems.prompt}
            </span>
          ) : null}
        </label>
        <div className="setup-numbers">
          <NumberField
            spec={EXPERIMENT_PARAMETERS.seed}
            label="seed"
            title={parameterTitle(EXPERIMENT_PARAMETERS.seed)}
            value={seed}
            problem={problems.seed}
            disabled={locked}
            testId="decode-seed"
            onChange={setSeed}
          />
          <NumberField
            spec={EXPERIMENT_PARAMETERS.maxTokens}
            label="max tokens"
            title={parameterTitle(EXPERIMENT_PARAMETERS.maxTokens)}
            value={maxTokens}
            problem={problems.maxTokens}
            disabled={locked}
            testId="decode-max-tokens"
            onChange={setMaxTokens}
          />
        </div>
      </div>
    </div>
  );
}
