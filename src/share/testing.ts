// Seeded generators for the share layer's tests: random valid experiments built from the catalog,
// and mutations of JSON values. A failure prints its seed and reproduces exactly (no Math.random).
import type { Experiment, LaneConfig, MethodName, ModelRef } from './experiment';
import { MAX_LANES } from './experiment';
import type { NumberParameter, ParameterSpec } from './parameters';
import {
  EXPERIMENT_PARAMETERS,
  METHODS,
  METHOD_NAMES,
  SAMPLING_PARAMETERS,
  methodParameterList,
  type ParameterProblem,
} from './methods';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [low, high], inclusive, for any safe integers. */
  int(low: number, high: number): number;
  bool(probability?: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast and good enough to drive tests; state is one u32. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    // Two draws give a uniform in [0, 1) with 53 bits, so ranges up to Number.MAX_SAFE_INTEGER are covered.
    int: (low, high) => {
      const uniform = (Math.floor(next() * 2 ** 21) + next()) / 2 ** 21;
      return Math.min(high, low + Math.floor(uniform * (high - low + 1)));
    },
    bool: (probability = 0.5) => next() < probability,
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

const TEXT_PIECES = [
  'the',
  ' picture',
  ' shows',
  ' a red star',
  '"',
  '\\',
  '\n',
  'é',
  '漢字',
  '🙂',
  '%',
  '#',
  '{',
  ' ',
];

export function randomText(random: Random, maxPieces: number): string {
  let text = '';
  const pieces = random.int(0, maxPieces);
  for (let i = 0; i < pieces; i++) text += random.pick(TEXT_PIECES);
  return text;
}

export function randomHex64(random: Random): string {
  let hex = '';
  for (let i = 0; i < 64; i++) hex += '0123456789abcdef'[random.int(0, 15)];
  return hex;
}

/** A value the spec allows, often exactly on a bound, on the step grid otherwise. */
export function randomNumberFor(spec: NumberParameter, random: Random): number {
  const roll = random.next();
  if (roll < 0.15 && !spec.minExclusive) return spec.min;
  if (roll < 0.3 && !spec.maxExclusive) return spec.max;
  if (spec.integer) {
    const low = spec.minExclusive ? spec.min + 1 : spec.min;
    const high = spec.maxExclusive ? spec.max - 1 : spec.max;
    return random.int(low, high);
  }
  const steps = Math.round((spec.max - spec.min) / spec.step);
  const value = Number((spec.min + random.int(1, Math.max(1, steps - 1)) * spec.step).toPrecision(12));
  return Math.min(spec.max, Math.max(spec.min, value));
}

function randomParameter(spec: ParameterSpec, random: Random): number | string {
  if (spec.kind === 'number') return randomNumberFor(spec, random);
  if (spec.kind === 'choice') return random.pick(spec.choices);
  return randomText(random, 8).slice(0, spec.maxLength);
}

function randomModel(random: Random): ModelRef {
  const source = random.pick(['default', 'hub', 'url'] as const);
  const id =
    source === 'default'
      ? random.pick(['shapes-vlm', 'shapes-expert', 'shapes-amateur'])
      : source === 'hub'
        ? random.pick(['openai-community/gpt2', 'Qwen/Qwen2.5-0.5B', 'HuggingFaceTB/SmolLM2-135M'])
        : random.pick(['https://example.org/models/tiny/', 'http://127.0.0.1:8080/m']);
  const sha256: Record<string, string> = {};
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'sub/dir file.bin']) {
    if (random.bool(0.6)) sha256[file] = randomHex64(random);
  }
  const model: ModelRef = { source, id, sha256 };
  if (source === 'hub' && random.bool()) model.revision = random.pick(['main', 'v1.0', 'a1b2c3d']);
  return model;
}

export function randomLane(
  random: Random,
  id: string,
  method: MethodName = random.pick(METHOD_NAMES),
): LaneConfig {
  const config: Record<string, unknown> = { method };
  for (const spec of methodParameterList(method)) config[spec.name] = randomParameter(spec, random);
  // A value its method's own check refuses (random text as a calibration's answers) is replaced by
  // a valid one: a random pick of answer words, or the default.
  const check = METHODS[method].check as ((parameters: Record<string, unknown>) => ParameterProblem[]) | undefined; // prettier-ignore
  for (const { parameter } of check?.(config) ?? []) {
    const words = ['yes', 'no', 'A', 'B', 'C', 'D', 'maybe', 'é'].filter(() => random.bool());
    config[parameter] = words.length >= 2 ? words.join(random.pick([' ', '  ', '\t'])) : 'yes no';
  }
  return {
    id,
    method: config as unknown as LaneConfig['method'],
    sampling: {
      greedy: random.bool(),
      temperature: randomNumberFor(SAMPLING_PARAMETERS.temperature, random),
      topK: random.bool() ? 0 : random.int(1, 200),
      topP: randomNumberFor(SAMPLING_PARAMETERS.topP, random),
      minP: randomNumberFor(SAMPLING_PARAMETERS.minP, random),
    },
  };
}

/** A valid experiment: lanes first, then an amateur and an image whenever a lane needs them. */
export function randomExperiment(random: Random): Experiment {
  const laneCount = random.int(1, MAX_LANES);
  const lanes: LaneConfig[] = [];
  for (let i = 0; i < laneCount; i++) {
    const id = random.bool(0.7) ? `lane-${i + 1}` : `L${i}_${random.int(0, 999)}`;
    lanes.push(randomLane(random, id));
  }
  const needs = (need: 'amateur' | 'image') => lanes.some((lane) => METHODS[lane.method.method].needs[need]);
  const experiment: Experiment = {
    version: 1,
    models: { main: randomModel(random) },
    prompt: randomText(random, 12),
    image: null,
    seed: random.bool(0.2) ? Number.MAX_SAFE_INTEGER : random.int(0, 2 ** 40),
    maxTokens: randomNumberFor(EXPERIMENT_PARAMETERS.maxTokens, random),
    lanes,
  };
  if (needs('amateur') || random.bool(0.3)) experiment.models.amateur = randomModel(random);
  if (needs('image') || random.bool(0.7)) {
    experiment.image = random.bool(0.7)
      ? { kind: 'scene', seed: random.int(0, 2 ** 32), index: random.int(0, 1000) }
      : { kind: 'upload', sha256: randomHex64(random), name: randomText(random, 4) };
  }
  return experiment;
}

/** The same value with every object's keys in a shuffled order (encoding must not depend on it). */
export function shuffleKeys<T>(value: T, random: Random): T {
  if (Array.isArray(value)) return value.map((item: unknown) => shuffleKeys(item, random)) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, shuffleKeys(item, random)])) as T;
}

const WEIRD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  0.5,
  1e308,
  -1e308,
  2 ** 53,
  7,
  1000,
  '',
  'x',
  'Infinity',
  'NaN',
  '-Infinity',
  '__proto__',
  [],
  {},
  [1, 2],
  { method: 'plain' },
  'cd',
  'a'.repeat(5000),
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function collectContainers(value: Json, out: (Json[] | { [key: string]: Json })[]): void {
  if (value === null || typeof value !== 'object') return;
  out.push(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectContainers(item, out);
}

/** One random structural edit of a JSON value (a copy): delete, replace, add an unknown key, duplicate. */
export function mutateJson(value: unknown, random: Random): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  const containers: (Json[] | { [key: string]: Json })[] = [];
  collectContainers(copy, containers);
  if (containers.length === 0) return random.pick(WEIRD_VALUES);
  const target = random.pick(containers);
  const keys = Array.isArray(target) ? target.map((_, i) => String(i)) : Object.keys(target);
  const replacement = random.pick(WEIRD_VALUES) as Json;
  const op = random.int(0, 3);
  if (Array.isArray(target)) {
    const index = random.int(0, Math.max(0, target.length - 1));
    if (op === 0) target.splice(index, 1);
    else if (op === 1 && target.length > 0) target.push(target[index]);
    else target[index] = replacement;
  } else if (keys.length > 0 && op < 2) {
    const key = random.pick(keys);
    if (op === 0) delete target[key];
    else target[key] = replacement;
  } else {
    const key = random.pick(['extra', 'model', 'models', 'version', '__proto__', 'alpha', keys[0] ?? 'x']);
    // defineProperty makes "__proto__" an own key, as JSON.parse would, instead of setting the prototype.
    Object.defineProperty(target, key, {
      value: replacement,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
