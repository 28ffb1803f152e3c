// Checks a checkpoint's tensor list (names, dtypes, shapes from the safetensors headers) against
// what config.json implies (architectures/tensors.ts), before any weight is converted or
// uploaded: missing tensors by name, shapes that contradict the config with the config values
// that imply them, unusable dtypes, duplicates. Unexpected extra tensors are only warnings.
import type { ModelConfig } from '../config';
import {
  canonicalTensorName,
  expectedTensors,
  isIgnoredTensor,
  type TensorSpec,
} from '../architectures/tensors';
import { ModelLoadError, formatShape, listNames } from './errors';
import { LOADABLE_DTYPES_TEXT, isFloatDtype } from './safetensors';

export interface CheckpointTensorInfo {
  /** As stored in the file (may carry GPT-2's "transformer." prefix). */
  name: string;
  dtype: string;
  shape: readonly number[];
  file: string;
}

export interface CheckpointCheck {
  /** Canonical name → the stored tensor, for every expected tensor found. */
  used: Map<string, CheckpointTensorInfo>;
  /** Expected canonical names not found. */
  missing: string[];
  /** Shape contradictions, unusable dtypes, duplicates: each a sentence naming file and tensor. */
  problems: string[];
  /** Stored names the architecture does not use (reported as a warning). */
  unexpected: string[];
  /** Stored names that are known to carry nothing we need (GPT-2's causal-mask buffers). */
  ignored: string[];
}

/** "n_embd 768, n_inner 3072": the config.json values that decide `spec`'s shape. */
export function shapeReason(config: ModelConfig, spec: TensorSpec): string {
  const n = spec.name;
  if (config.architecture === 'gpt2') {
    const terms = [`n_embd ${config.hiddenSize}`];
    if (/wte|lm_head/.test(n)) terms.unshift(`vocab_size ${config.vocabSize}`);
    if (/wpe/.test(n)) terms.unshift(`n_positions ${config.maxPositions}`);
    if (/mlp\.c_fc|mlp\.c_proj\.weight/.test(n)) terms.push(`n_inner ${config.intermediateSize}`);
    return terms.join(', ');
  }
  const terms = [`hidden_size ${config.hiddenSize}`];
  if (/embed_tokens|lm_head/.test(n)) terms.unshift(`vocab_size ${config.vocabSize}`);
  if (/\.mlp\./.test(n)) terms.push(`intermediate_size ${config.intermediateSize}`);
  if (/q_proj|o_proj/.test(n)) {
    terms.push(`num_attention_heads ${config.numHeads}`, `head_dim ${config.headDim}`);
  }
  if (/[kv]_proj/.test(n)) {
    terms.push(`num_key_value_heads ${config.numKeyValueHeads}`, `head_dim ${config.headDim}`);
  }
  return terms.join(', ');
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Compares stored tensors with the config's expectations; never throws (see `assertCheckpointMatches`). */
export function compareWithConfig(
  config: ModelConfig,
  tensors: Iterable<CheckpointTensorInfo>,
): CheckpointCheck {
  const expected = new Map(expectedTensors(config).map((spec) => [spec.name, spec]));
  const check: CheckpointCheck = { used: new Map(), missing: [], problems: [], unexpected: [], ignored: [] };
  for (const tensor of tensors) {
    if (isIgnoredTensor(tensor.name)) {
      check.ignored.push(tensor.name);
      continue;
    }
    const canonical = canonicalTensorName(tensor.name);
    const spec = expected.get(canonical);
    if (!spec) {
      check.unexpected.push(tensor.name);
      continue;
    }
    const earlier = check.used.get(canonical);
    if (earlier) {
      check.problems.push(
        `${tensor.file}: tensor ${tensor.name} duplicates ${earlier.name} in ${earlier.file} ` +
          '(two copies of one weight: the checkpoint is malformed)',
      );
      continue;
    }
    if (!isFloatDtype(tensor.dtype)) {
      check.problems.push(
        `${tensor.file}: tensor ${tensor.name} has dtype ${tensor.dtype}; ${LOADABLE_DTYPES_TEXT}`,
      );
    }
    if (!sameShape(tensor.shape, spec.shape)) {
      check.problems.push(
        `${tensor.file}: ${tensor.name} has shape ${formatShape(tensor.shape)} but config.json ` +
          `(${shapeReason(config, spec)}) implies ${formatShape(spec.shape)}`,
      );
    }
    check.used.set(canonical, tensor);
  }
  for (const name of expected.keys()) if (!check.used.has(name)) check.missing.push(name);
  return check;
}

/**
 * Throws one error listing every problem (and, when `complete`, every missing tensor).
 * `where` names the checked file(s) for the missing-tensor sentence.
 */
export function assertCheckpointMatches(
  config: ModelConfig,
  check: CheckpointCheck,
  where: string,
  complete: boolean,
): void {
  const sentences = [...check.problems];
  if (complete && check.missing.length > 0) {
    const count = check.missing.length;
    sentences.push(
      `${where} lacks ${count === 1 ? 'tensor' : `${count} tensors`} ${listNames(check.missing)} that ` +
        `config.json (${config.modelType}, ${config.numLayers} layers) requires`,
    );
  }
  if (sentences.length === 0) return;
  const dtypeOnly =
    check.problems.length > 0 && check.problems.every((p) => p.includes(LOADABLE_DTYPES_TEXT));
  const advice = dtypeOnly
    ? 'convert the checkpoint to F32, F16 or BF16'
    : 'the weights and config.json must come from the same model (re-download, or fix config.json)';
  const first = check.problems[0];
  const file = first ? first.slice(0, first.indexOf(':')) : where;
  throw new ModelLoadError(
    'mismatch',
    `${sentences.join('; ')}. ${advice[0].toUpperCase()}${advice.slice(1)}.`,
    file,
  );
}

/** The warning for tensors that were present but not used. */
export function unexpectedTensorsWarning(config: ModelConfig, check: CheckpointCheck): string | null {
  if (check.unexpected.length === 0) return null;
  const count = check.unexpected.length;
  return `ignored ${count} tensor${count === 1 ? '' : 's'} that ${config.modelType} does not use: ${listNames(check.unexpected)}`;
}
