// Checkpoints: download the current (or last good) parameters as one zip holding a Hugging Face
// folder, load them as the Model tab's model, or load a saved checkpoint (the zip, or the unpacked
// folder's files) back. Loading goes through the same loader as any model folder.
import { useAppStore } from '../../store';
import { isTrainingActive } from '../../store/trainSlice';
import { formatBytes } from '../format';

/** Hands bytes to the browser as a download. */
function download(bytes: Uint8Array<ArrayBuffer>, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/zip' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function CheckpointActions() {
  const train = useAppStore((s) => s.train);
  const modelStatus = useAppStore((s) => s.model.status);
  const modelName = useAppStore((s) => s.model.card?.name ?? null);
  const saveCheckpoint = useAppStore((s) => s.saveCheckpoint);
  const loadTrainedModel = useAppStore((s) => s.loadTrainedModel);
  const loadCheckpoint = useAppStore((s) => s.loadCheckpoint);
  const canSave = train.info !== null && train.status !== 'failed' && !train.saving;
  // Loading a model waits for the worker's queue, which a run holds until it ends.
  const canLoad = !isTrainingActive(train.status) && modelStatus !== 'loading';

  const save = async () => {
    const saved = await saveCheckpoint();
    if (saved) download(saved.zip, saved.fileName);
  };

  return (
    <div className="checkpoint-actions">
      <h3>Checkpoint</h3>
      <div className="checkpoint-row">
        <button
          type="button"
          className="button-ghost control"
          data-testid="train-save"
          disabled={!canSave}
          onClick={() => void save()}
        >
          {train.saving ? 'Saving…' : 'Save checkpoint'}
        </button>
        <button
          type="button"
          className="button-ghost control"
          data-testid="train-use-model"
          disabled={!canSave || !canLoad}
          title="Load the trained weights as the Model tab's model"
          onClick={() => void loadTrainedModel()}
        >
          Use in Model tab
        </button>
        <label className={canLoad ? 'file-button' : 'file-button disabled'}>
          <input
            type="file"
            multiple
            accept=".zip,.json,.safetensors,.md"
            data-testid="checkpoint-input"
            disabled={!canLoad}
            onChange={(e) => {
              const files = Array.from(e.currentTarget.files ?? []);
              e.currentTarget.value = '';
              void loadCheckpoint(files);
            }}
          />
          Load checkpoint…
        </label>
      </div>
      <p className="muted small checkpoint-note" data-testid="checkpoint-status" aria-live="polite">
        {train.saved
          ? `Saved ${train.saved.fileName} (${formatBytes(train.saved.bytes)}, after ${train.saved.stepsDone} steps). `
          : 'A zip of config.json, model.safetensors, tokenizer.json and a model card. '}
        {modelStatus === 'loading'
          ? 'Loading into the Model tab…'
          : train.loadedFrom && modelName
            ? `Loaded ${train.loadedFrom} into the Model tab (${modelName}).`
            : 'Load one back here (the .zip or its files) to generate from it in the Model tab.'}
      </p>
      {train.checkpointError ? (
        <p className="inline-error" role="alert" data-testid="checkpoint-error">
          {train.checkpointError}
        </p>
      ) : null}
    </div>
  );
}
