// Up-front checks of a speculative run: the method's parameters (K in 1..16, thresholds in [0, 1],
// temperatures > 0, ...) and the model pair (one vocabulary, one tokenizer, cache truncation).
// Every problem is collected, so one error lists them all; each message names the value and what
// to do.
import type { LanguageModel } from '../model/interface';
import type { SpeculativeMethod, SpeculativeSampling } from './types';

/** What the checks read of a model. */
type CheckedModel = Pick<LanguageModel, 'info' | 'capabilities'>;

/** The verification kernel's range of draft lengths. */
export const MAX_DRAFT_LENGTH = 16;
/** SpecTr candidates: one batched target forward holds candidates x (K + 1) rows. */
export const MAX_CANDIDATES = 8;
export const MAX_NGRAM = 8;
export const MAX_WINDOW = 1024;

export class SpeculativeSetupError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      problems.length === 1
        ? problems[0]
        : `the speculative run has ${problems.length} problems: ${problems.join('; ')}`,
    );
    this.name = 'SpeculativeSetupError';
    this.problems = problems;
  }
}

/** Methods that draft with (or switch to) a second model. */
export function needsDraftModel(method: SpeculativeMethod): boolean {
  return method.name !== 'prompt-lookup' && method.name !== 'aded';
}

/** False for methods whose output distribution is not the target's. */
export function isExact(method: SpeculativeMethod): boolean {
  return method.name !== 'entropy-switch' && method.name !== 'foreal' && method.name !== 'judge';
}

function integerIn(problems: string[], name: string, value: number, low: number, high: number): void {
  if (!Number.isInteger(value) || value < low || value > high)
    problems.push(`${name} must be an integer in ${low}..${high}, got ${value}`);
}

function unitInterval(problems: string[], name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) problems.push(`${name} must be in [0, 1], got ${value}`);
}

function positive(problems: string[], name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value))
    problems.push(`${name} must be a finite number > 0, got ${value}`);
}

/** Problems of the method's parameters (empty when it is valid). */
export function methodProblems(method: SpeculativeMethod): string[] {
  const problems: string[] = [];
  const where = (field: string) => `${method.name} ${field}`;
  switch (method.name) {
    case 'speculative':
    case 'aded':
      integerIn(problems, where('draft length K'), method.draftLength, 1, MAX_DRAFT_LENGTH);
      break;
    case 'spectr':
      integerIn(problems, where('draft length K'), method.draftLength, 1, MAX_DRAFT_LENGTH);
      integerIn(problems, where('candidates k'), method.candidates, 1, MAX_CANDIDATES);
      if (method.rho !== undefined && !(method.rho >= 1 && method.rho <= method.candidates))
        problems.push(
          `${where('rho')} must be in [1, candidates = ${method.candidates}] (or unset for the paper's rho*), got ${method.rho}`,
        );
      break;
    case 'specdecpp':
      integerIn(problems, where('max draft length K'), method.maxDraftLength, 1, MAX_DRAFT_LENGTH);
      unitInterval(problems, where('threshold'), method.threshold);
      positive(problems, where('learning rate'), method.learningRate);
      break;
    case 'prompt-lookup':
      integerIn(problems, where('draft length K'), method.draftLength, 1, MAX_DRAFT_LENGTH);
      integerIn(problems, where('max n-gram'), method.maxNgram, 1, MAX_NGRAM);
      integerIn(problems, where('min n-gram'), method.minNgram, 1, MAX_NGRAM);
      if (method.minNgram > method.maxNgram)
        problems.push(`${where('min n-gram')} ${method.minNgram} exceeds max n-gram ${method.maxNgram}`);
      break;
    case 'entropy-switch':
      integerIn(problems, where('window'), method.window, 1, MAX_WINDOW);
      if (!(method.threshold >= 0) || !Number.isFinite(method.threshold))
        problems.push(
          `${where('entropy threshold')} must be a finite number >= 0 (nats), got ${method.threshold}`,
        );
      break;
    case 'foreal':
      integerIn(problems, where('leader tokens'), method.leaderTokens, 1, MAX_WINDOW);
      unitInterval(problems, where('gate'), method.gate);
      break;
    case 'judge':
      integerIn(problems, where('draft length K'), method.draftLength, 1, MAX_DRAFT_LENGTH);
      unitInterval(problems, where('threshold'), method.threshold);
      positive(problems, where('learning rate'), method.learningRate);
      break;
    default: {
      const unknown: never = method;
      problems.push(`unknown speculative method ${JSON.stringify((unknown as { name: string }).name)}`);
    }
  }
  return problems;
}

export function samplingProblems(sampling: SpeculativeSampling): string[] {
  const problems: string[] = [];
  if (sampling.greedy) return problems;
  positive(problems, 'target temperature', sampling.temperature);
  positive(problems, 'draft temperature', sampling.draftTemperature);
  return problems;
}

const TOKENIZER_FILE = 'tokenizer.json';

/**
 * Problems of the model pair: both must truncate their caches, score one vocabulary and (when both
 * know it) come with the same tokenizer.json; SpecTr forks the draft and target sequences.
 */
export function modelProblems(
  target: CheckedModel,
  draft: CheckedModel | null,
  method: SpeculativeMethod,
): string[] {
  const problems: string[] = [];
  const name = (m: CheckedModel) => `"${m.info.name}"`;
  if (!target.capabilities.truncate)
    problems.push(`the target ${name(target)} cannot truncate its cache, which speculative rollback needs`);
  if (!draft) {
    if (needsDraftModel(method)) problems.push(`${method.name} needs a draft model; load one`);
    return problems;
  }
  if (!draft.capabilities.truncate)
    problems.push(`the draft ${name(draft)} cannot truncate its cache, which speculative rollback needs`);
  if (method.name === 'judge' && !target.capabilities.hiddenStates)
    problems.push(`the judge reads the target's hidden states, which ${name(target)} does not expose`);
  if (method.name === 'spectr') {
    for (const [role, m] of [
      ['target', target],
      ['draft', draft],
    ] as const)
      if (!m.capabilities.fork) problems.push(`SpecTr forks sequences, but the ${role} ${name(m)} cannot`);
  }
  const targetVocab = target.info.config.vocabSize;
  const draftVocab = draft.info.config.vocabSize;
  if (targetVocab !== draftVocab) {
    problems.push(
      `the target ${name(target)} has vocab_size ${targetVocab} but the draft ${name(draft)} has ${draftVocab}: ` +
        'speculative decoding compares their distributions token by token, so load a draft with the same tokenizer',
    );
  }
  const targetHash = target.info.fileHashes[TOKENIZER_FILE];
  const draftHash = draft.info.fileHashes[TOKENIZER_FILE];
  if (targetHash && draftHash && targetHash !== draftHash) {
    problems.push(
      `the target ${name(target)} and the draft ${name(draft)} come with different tokenizers ` +
        `(tokenizer.json sha256 ${targetHash.slice(0, 12)}… vs ${draftHash.slice(0, 12)}…): ` +
        'the same id would mean different text, so load a draft that shares the target tokenizer',
    );
  }
  return problems;
}

/** Throws a SpeculativeSetupError listing every problem of the run's setup. */
export function validateSpeculative(options: {
  target: CheckedModel;
  draft: CheckedModel | null;
  method: SpeculativeMethod;
  sampling: SpeculativeSampling;
  prompt: readonly number[];
  maxTokens: number;
  seed: number;
}): void {
  const { target, draft, method, sampling, prompt, maxTokens, seed } = options;
  const problems = [
    ...methodProblems(method),
    ...samplingProblems(sampling),
    ...modelProblems(target, draft, method),
  ];
  if (!Number.isInteger(maxTokens) || maxTokens < 1)
    problems.push(`max tokens must be an integer >= 1, got ${maxTokens}`);
  if (!Number.isSafeInteger(seed) || seed < 0)
    problems.push(`seed must be an integer in 0..2^53-1, got ${seed}`);
  const vocab = target.info.config.vocabSize;
  if (prompt.length === 0) problems.push('the prompt is empty: give at least one token (e.g. BOS)');
  const bad = prompt.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (bad !== undefined) problems.push(`prompt token ${bad} is outside the vocabulary 0..${vocab - 1}`);
  const context = Math.min(target.info.config.maxPositions, draft?.info.config.maxPositions ?? Infinity);
  if (prompt.length >= context)
    problems.push(`the prompt has ${prompt.length} tokens but the models' context is ${context}`);
  if (problems.length > 0) throw new SpeculativeSetupError(problems);
}
