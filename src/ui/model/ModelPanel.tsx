// The Model panel: load a model (Hub, URL, local files or a dropped folder; a safetensors checkpoint
// or a Hub ONNX export), see its card, generate from it, and inspect its attention and logit lens.
// The worker does all GPU work.
import { useState, type DragEvent } from 'react';
import { useAppStore } from '../../store';
import { DownloadCancelledNote, DownloadConfirm } from './DownloadConfirm';
import { GenerateBox } from './GenerateBox';
import { Inspector } from './Inspector';
import { LoadChoice } from './LoadChoice';
import { LoadModel, LoadProgress } from './LoadModel';
import { ModelCardView } from './ModelCardView';
import './model.css';

const DEFAULT_PROMPT = 'the cat sat';

export function ModelPanel() {
  const status = useAppStore((s) => s.model.status);
  const error = useAppStore((s) => s.model.error);
  const generation = useAppStore((s) => s.model.generation);
  const loadDropped = useAppStore((s) => s.loadDropped);
  const [prompt, setPrompt] = useState(DEFAULT_PROMPT);
  const [dragging, setDragging] = useState(false);

  // What the inspector reads: the last generation's prompt and output (as ids), else the prompt box.
  const summary = generation.summary;
  const current = summary
    ? {
        text: summary.fullText,
        tokenIds: [...summary.promptTokens, ...generation.tokens].map((t) => t.id),
      }
    : { text: prompt };

  const onDragOver = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    setDragging(true);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void loadDropped(event.dataTransfer.items);
  };

  return (
    <section
      className={dragging ? 'panel model-panel dragging' : 'panel model-panel'}
      aria-labelledby="model-panel-title"
      data-status={status}
      onDragOver={onDragOver}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <div className="panel-head">
        <div>
          <h2 id="model-panel-title">Model</h2>
          <p className="muted">
            Load a GPT-2 or Llama-family checkpoint (config.json, tokenizer.json, safetensors) into the WGSL
            engine, or a Hub ONNX export (onnx/decoder_model_merged*.onnx) into onnxruntime-web; generate from
            it, and look inside a WGSL model: attention per head and the logit lens per layer.
          </p>
        </div>
      </div>
      <div className="model-top">
        <div className="model-left">
          <h3>Load</h3>
          <LoadModel />
          <LoadChoice />
          <LoadProgress />
          <DownloadConfirm />
          <DownloadCancelledNote />
          {error ? (
            <p className="inline-error" role="alert" data-testid="model-error">
              {error}
            </p>
          ) : null}
          <ModelCardView />
        </div>
        <div className="model-right">
          <h3>Generate</h3>
          <GenerateBox prompt={prompt} setPrompt={setPrompt} />
        </div>
      </div>
      <Inspector current={current} />
      {dragging ? <div className="drop-hint">Drop the model folder to load it</div> : null}
    </section>
  );
}
