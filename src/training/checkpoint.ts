// Checkpoints in exactly the layout the loader reads (src/model/loading/loadModelFolder.ts), which
// is also the Hugging Face layout: config.json, model.safetensors (F32, canonical tensor names,
// Conv1D [in, out] for GPT-2 and [out, in] for the Llama family, as the engine reads them),
// tokenizer.json, tokenizer_config.json and generation_config.json when known, and a README.md
// model card with the facts of the training run. Nothing is written for a tensor that is missing,
// misshapen or not finite: the error names it, so a broken checkpoint is never saved silently.
import { expectedTensors } from '../model/architectures/tensors';
import { parseModelConfig, type ModelConfig } from '../model/config';
import { writeSafetensors, type TensorToWrite } from '../model/loading/safetensorsWriter';
import type { TrainingSettings } from './settings';

/** What the model card says about the run that produced the weights. */
export interface TrainingFacts {
  /** "new nano model (seed 1)" or the loaded model's name. */
  startedFrom: string;
  corpusName: string;
  corpusTokens: number;
  /** How the corpus was tokenized ("character level, built from the corpus" or the model's own). */
  tokenizer: string;
  settings: TrainingSettings;
  stepsDone: number;
  lastLoss: number | null;
  /** Why training ended, when it did not run to totalSteps ("stopped by the user", the NaN message). */
  endedBecause: string | null;
  /** ISO date of saving. */
  savedAt: string;
}

export interface CheckpointInput {
  /** The folder name (also the card's title). */
  name: string;
  configJson: Record<string, unknown>;
  /** Every tensor of expectedTensors(config) by canonical name, f32. */
  weights: ReadonlyMap<string, Float32Array>;
  /** Objects are written as JSON; strings and bytes as they are. */
  tokenizerJson: unknown;
  tokenizerConfig?: unknown;
  generationConfig?: unknown;
  training?: TrainingFacts;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

const encoder = new TextEncoder();

function fileBytes(content: unknown): Uint8Array<ArrayBuffer> {
  if (content instanceof Uint8Array) return new Uint8Array(content);
  if (typeof content === 'string') return encoder.encode(content);
  return encoder.encode(JSON.stringify(content, null, 2) + '\n');
}

/** The weights as safetensors entries in the order and shapes the loader checks against. */
function checkedTensors(
  config: ModelConfig,
  weights: ReadonlyMap<string, Float32Array>,
): Record<string, TensorToWrite> {
  const specs = expectedTensors(config);
  const tensors: Record<string, TensorToWrite> = {};
  for (const { name, shape } of specs) {
    const data = weights.get(name);
    if (!data)
      throw new CheckpointError(`checkpoint: the weights have no tensor ${name}, which config.json requires`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count)
      throw new CheckpointError(`checkpoint: ${name} has ${data.length} values but its shape [${shape.join(', ')}] needs ${count}`); // prettier-ignore
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad !== -1)
      throw new CheckpointError(`checkpoint: ${name}[${bad}] is ${data[bad]}; a checkpoint with non-finite weights is not saved`); // prettier-ignore
    tensors[name] = { dtype: 'F32', shape, data };
  }
  const extra = [...weights.keys()].filter((name) => !specs.some((s) => s.name === name));
  if (extra.length > 0)
    throw new CheckpointError(`checkpoint: ${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not part of this architecture`); // prettier-ignore
  return tensors;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** README.md: a Hugging Face model card (YAML front matter, then the facts). */
export function modelCard(
  name: string,
  config: ModelConfig,
  files: string[],
  training?: TrainingFacts,
): string {
  const parameters = expectedTensors(config).reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  const shape =
    `${config.architecture} (${config.modelType}): d ${config.hiddenSize}, ${config.numLayers} layers, ` +
    `${config.numHeads} heads` +
    (config.numKeyValueHeads !== config.numHeads ? `, ${config.numKeyValueHeads} KV heads` : '');
  const rows: [string, string][] = [
    ['architecture', shape],
    ['parameters', fmt(parameters)],
    ['vocabulary', fmt(config.vocabSize)],
    ['context', `${fmt(config.maxPositions)} tokens`],
  ];
  if (training) {
    const s = training.settings;
    const clip = s.maxGradientNorm === 0 ? 'off' : String(s.maxGradientNorm);
    rows.push(
      ['started from', training.startedFrom],
      ['corpus', `${training.corpusName}, ${fmt(training.corpusTokens)} tokens`],
      ['tokenizer', training.tokenizer],
      ['steps', `${fmt(training.stepsDone)} of ${fmt(s.totalSteps)}`],
      ['last loss', training.lastLoss === null ? '—' : `${training.lastLoss.toFixed(4)} (mean cross-entropy, nats per token)`], // prettier-ignore
      [
        'optimizer',
        `AdamW, β1 ${s.beta1}, β2 ${s.beta2}, weight decay ${s.weightDecay}, gradient clip ${clip}`,
      ],
      [
        'learning rate',
        `${s.learningRate} peak after ${s.warmupSteps} warmup steps, cosine to ${s.minLearningRate}`,
      ],
      [
        'batch',
        `${s.batchSize} × ${s.contextLength} tokens × ${s.gradientAccumulation} micro-batches per step`,
      ],
      ['seed', String(s.seed)],
    );
    if (training.endedBecause) rows.push(['ended', training.endedBecause]);
    rows.push(['saved', training.savedAt]);
  }
  const table = rows.map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`).join('\n');
  return `---
library_name: transformers
pipeline_tag: text-generation
tags:
  - logitlab
  - ${config.modelType}
---

# ${name}

A ${fmt(parameters)}-parameter ${config.modelType} language model${training ? ' trained in LogitLab, in the browser, with its WGSL training engine' : ''}.

| | |
| --- | --- |
${table}

## Files

${files.map((f) => `- \`${f}\``).join('\n')}

## Loading

- LogitLab: Train tab → **Load checkpoint** (the .zip or these files), or Model tab → **Local files**.
- Python: \`transformers.AutoModelForCausalLM.from_pretrained("path/to/this/folder")\` with
  \`AutoTokenizer\` from the same folder.
`;
}

/** The checkpoint's files by name, ready to zip or to load with localFilesSource. */
export function checkpointFiles(input: CheckpointInput): Record<string, Uint8Array<ArrayBuffer>> {
  const config = parseModelConfig(input.configJson);
  const files: Record<string, Uint8Array<ArrayBuffer>> = {
    'config.json': fileBytes(input.configJson),
    'model.safetensors': writeSafetensors(checkedTensors(config, input.weights), { format: 'pt' }),
    'tokenizer.json': fileBytes(input.tokenizerJson),
  };
  if (input.tokenizerConfig !== undefined && input.tokenizerConfig !== null)
    files['tokenizer_config.json'] = fileBytes(input.tokenizerConfig);
  if (input.generationConfig !== undefined && input.generationConfig !== null)
    files['generation_config.json'] = fileBytes(input.generationConfig);
  files['README.md'] = encoder.encode(modelCard(input.name, config, Object.keys(files), input.training));
  return files;
}

/** A folder name from free text ("nano · GPT-2 step 300" → "nano-gpt-2-step-300"). */
export function checkpointFolderName(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'checkpoint';
}
