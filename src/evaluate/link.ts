// Evaluation links: `#evaluate/x1.<base64url(deflateRaw(canonical JSON))>`, the Decode link's
// format (src/share/codec.ts: canonical JSON, so a config always gives the same link; raw DEFLATE;
// strict base64url; size-capped inflation) with its own route and schema. Decoding never throws:
// a damaged, edited or foreign link comes back as an error with a message for the user.
// exampleLink turns one evaluated example into the Decode link that reproduces its tokens.
import { deflateSync } from 'fflate';
import {
  canonicalJson,
  decodeBase64Url,
  decodeUtf8,
  encodeBase64Url,
  encodeUtf8,
  inflateBounded,
} from '../share/bytes';
import { DECODE_ROUTE, MAX_INFLATED_BYTES, MAX_LINK_CHARS, encodeLink } from '../share/codec';
import { describeValue } from '../share/issues';
import type { EvaluationConfig } from './config';
import { EVALUATION_VERSION } from './config';
import { exampleExperiment, type ExampleInput } from './experiments';
import { validateEvaluationConfig } from './schema';
import { expandLanes } from './sweep';

/** The Evaluate tab's route prefix in the app's links: `#evaluate/<payload>`. */
export const EVALUATE_ROUTE = 'evaluate/';

export type EvaluationLinkErrorCode =
  | 'empty'
  | 'too-long'
  | 'not-logitlab'
  | 'decode-link'
  | 'newer-version'
  | 'unknown-version'
  | 'corrupted'
  | 'too-large'
  | 'invalid-json'
  | 'invalid-evaluation'
  /** A bug: something threw that should have been handled. Never expected. */
  | 'internal';

export interface EvaluationLinkError {
  code: EvaluationLinkErrorCode;
  /** One or two sentences for the user: what is wrong and what to do. */
  message: string;
  /** For 'invalid-evaluation': one line per schema problem. */
  details: string[];
}

export type EvaluationLinkResult =
  { ok: true; config: EvaluationConfig } | { ok: false; error: EvaluationLinkError };

/** Thrown by encodeEvaluationLink for a config that would make an unopenable link (a caller's bug). */
export class EvaluationEncodeError extends Error {
  constructor(readonly issues: string[]) {
    super(`cannot share an invalid evaluation:\n${issues.join('\n')}`);
    this.name = 'EvaluationEncodeError';
  }
}

/** The link payload (without '#evaluate/'). Throws EvaluationEncodeError if the config is invalid. */
export function encodeEvaluationLink(config: EvaluationConfig): string {
  const validation = validateEvaluationConfig(config);
  if (!validation.ok) throw new EvaluationEncodeError(validation.issues);
  const json = canonicalJson(validation.config);
  const link = `x${EVALUATION_VERSION}.${encodeBase64Url(deflateSync(encodeUtf8(json), { level: 9 }))}`;
  if (link.length > MAX_LINK_CHARS) {
    throw new EvaluationEncodeError([
      `the link would be ${link.length} characters; at most ${MAX_LINK_CHARS} open`,
    ]);
  }
  return link;
}

/** `base` (any hash dropped) + '#evaluate/' + the link. */
export function evaluationUrl(config: EvaluationConfig, base: string): string {
  const hashAt = base.indexOf('#');
  return `${hashAt >= 0 ? base.slice(0, hashAt) : base}#${EVALUATE_ROUTE}${encodeEvaluationLink(config)}`;
}

const failure = (
  code: EvaluationLinkErrorCode,
  message: string,
  details: string[] = [],
): EvaluationLinkResult => ({ ok: false, error: { code, message, details } });

/** Reads an evaluation from a full URL, a '#evaluate/…' hash or the bare 'x1.…' payload. Never throws. */
export function decodeEvaluationLink(hashOrUrl: string): EvaluationLinkResult {
  try {
    return decodeUnchecked(hashOrUrl);
  } catch (error) {
    return failure(
      'internal',
      `LogitLab failed to read this link (${String(error).slice(0, 200)}); please report it`,
    );
  }
}

function decodeUnchecked(input: unknown): EvaluationLinkResult {
  if (typeof input !== 'string') return failure('not-logitlab', `a link must be text, not ${typeof input}`);
  if (input.length > MAX_LINK_CHARS) {
    return failure(
      'too-long',
      `the link is ${input.length} characters long; LogitLab links are at most ${MAX_LINK_CHARS}. Was it pasted twice?`,
    );
  }
  const text = input.trim();
  const hashAt = text.indexOf('#');
  if (hashAt < 0 && /^[a-z][a-z0-9+.-]*:/i.test(text)) {
    return failure('not-logitlab', 'the address has no "#evaluate/..." part, so it carries no evaluation');
  }
  const hash = hashAt >= 0 ? text.slice(hashAt + 1) : text;
  if (hash.startsWith(DECODE_ROUTE)) {
    return failure(
      'decode-link',
      'this is a Decode experiment link (#decode/...): open it in the Decode tab, or make an evaluation from its lanes',
    );
  }
  const payload = hash.startsWith(EVALUATE_ROUTE) ? hash.slice(EVALUATE_ROUTE.length) : hash;
  if (payload === '')
    return failure('empty', 'the link has nothing after "#evaluate/": there is no evaluation in it');
  const versioned = /^x(\d+)\.([\s\S]*)$/.exec(payload);
  if (!versioned) {
    if (/^x\d+$/.test(payload))
      return failure(
        'corrupted',
        `the link ends right after its format tag "${payload}": it was cut when copied`,
      );
    const shown = payload.length > 24 ? `${payload.slice(0, 21)}...` : payload;
    return failure(
      'not-logitlab',
      `"${shown}" is not a LogitLab evaluation link: those look like "#evaluate/x${EVALUATION_VERSION}.…"`,
    );
  }
  const [, digits, body] = versioned;
  const format = Number(digits);
  if (format > EVALUATION_VERSION) {
    return failure(
      'newer-version',
      `this evaluation link was made by a newer LogitLab (format x${digits.slice(0, 12)}); update the app to open it`,
    );
  }
  if (format < 1 || digits !== String(format)) {
    return failure(
      'unknown-version',
      `"x${digits.slice(0, 12)}." is not an evaluation link format (formats are x1 to x${EVALUATION_VERSION})`,
    );
  }
  const bytes = decodeBase64Url(body);
  if (!bytes.ok)
    return failure('corrupted', `the link is damaged: ${bytes.message}. Copy the whole link again.`);
  const inflated = inflateBounded(bytes.value, MAX_INFLATED_BYTES);
  if (!inflated.ok) {
    return inflated.tooLarge
      ? failure(
          'too-large',
          `the link's content ${inflated.message}; real evaluations are far smaller, so the link is damaged or malicious`,
        )
      : failure('corrupted', `the link is damaged: ${inflated.message}. Copy the whole link again.`);
  }
  const json = decodeUtf8(inflated.value);
  if (!json.ok)
    return failure('corrupted', `the link is damaged: ${json.message}. Copy the whole link again.`);
  let value: unknown;
  try {
    value = JSON.parse(json.value);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 160) : 'unreadable';
    return failure(
      'invalid-json',
      `the link's content is not valid JSON (${reason}); it was damaged or edited by hand`,
    );
  }
  const declared =
    typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  if (declared !== format) {
    return failure(
      'corrupted',
      `the link says format x${format} but its content says version ${describeValue(declared)}: it was edited`,
    );
  }
  const validation = validateEvaluationConfig(value);
  if (!validation.ok) {
    const more = validation.issues.length > 1 ? ` (and ${validation.issues.length - 1} more)` : '';
    return failure(
      'invalid-evaluation',
      `the link's evaluation is not valid: ${validation.issues[0]}${more}`,
      validation.issues,
    );
  }
  return { ok: true, config: validation.config };
}

/** What exampleLink needs of an evaluated example (PopeExample and ChairExample have it). */
export type LinkableExample = Omit<ExampleInput, 'maxTokens'>;

/**
 * The Decode link ('#decode/x1.…') that reruns one example with one lane:
 * the evaluation's models, the example's prompt and image, its decode seed and token budget, and
 * the lane (after the sweep) at `laneIndex`. Opening it in the Decode tab reproduces that lane's
 * tokens for the example. Throws a RangeError for a lane index or benchmark the config lacks.
 */
export function exampleLink(
  config: EvaluationConfig,
  laneIndex: number,
  example: LinkableExample & { benchmark: 'pope' | 'chair' },
): string {
  const lanes = expandLanes(config);
  const lane = lanes[laneIndex];
  if (!lane)
    throw new RangeError(
      `exampleLink: lane ${laneIndex} does not exist (the evaluation has ${lanes.length})`,
    );
  const benchmark = config.benchmarks[example.benchmark];
  if (!benchmark) throw new RangeError(`exampleLink: the evaluation has no ${example.benchmark} benchmark`);
  const input = { ...example, maxTokens: benchmark.maxTokens };
  return `#${DECODE_ROUTE}${encodeLink(exampleExperiment(config, [lane.config], input))}`;
}
