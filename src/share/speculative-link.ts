// The Speculative workbench's share link: a speculative setup in the URL hash, and back.
//
// Link format (the part after '#'):
//   speculative/x<N>.<base64url(deflateRaw(canonical JSON))>      N = setup format (today 1)
// exactly the Decode link's codec (codec.ts; the byte helpers of bytes.ts, the same size limits):
// canonical JSON so one setup always gives one link, strict base64url, a bounded inflater, then a
// strict zod schema. A damaged link fails with a message for the user or (rarely) decodes to a
// different but fully valid setup; it never yields an invalid one and never throws.
//
// The schema checks the shape (fields, types, sizes, model refs as in experiment.ts); the method's
// and the sampling's ranges are the engine's (src/speculative/validate.ts: K in 1..16, thresholds in
// [0, 1], ...). This layer imports nothing outside src/share, so the caller passes those checks in
// (`check`): the same words then refuse a field in the tab, a run in the worker and a link here.
import { deflateSync } from 'fflate';
import { z } from 'zod';
import {
  canonicalJson,
  decodeBase64Url,
  decodeUtf8,
  encodeBase64Url,
  encodeUtf8,
  inflateBounded,
} from './bytes';
import { MAX_INFLATED_BYTES, MAX_LINK_CHARS, type ShareLinkError, type ShareLinkErrorCode } from './codec';
import type { ModelRef } from './experiment';
import { describeValue, formatIssues } from './issues';
import { modelRefSchema, numberSchema } from './schema';
import { EXPERIMENT_LIMITS, EXPERIMENT_PARAMETERS } from './settings';

/** The format encodeSpeculativeLink writes. */
export const SPECULATIVE_FORMAT = 1;

/** The Speculative tab's route prefix in the app's links: `#speculative/<payload>`. */
export const SPECULATIVE_ROUTE = 'speculative/';

const finite = () => z.number();
const stopRule = z.enum(['predictor', 'confidence']);

/** One member per method of src/speculative/types.ts (SpeculativeMethod); ranges: see `check`. */
export const speculativeMethodSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('speculative'), draftLength: finite() }),
  z.strictObject({
    name: z.literal('spectr'),
    draftLength: finite(),
    candidates: finite(),
    rho: finite().optional(),
  }),
  z.strictObject({
    name: z.literal('specdecpp'),
    maxDraftLength: finite(),
    threshold: finite(),
    stopRule,
    learningRate: finite(),
  }),
  z.strictObject({
    name: z.literal('prompt-lookup'),
    draftLength: finite(),
    maxNgram: finite(),
    minNgram: finite(),
  }),
  z.strictObject({ name: z.literal('aded'), draftLength: finite() }),
  z.strictObject({ name: z.literal('entropy-switch'), window: finite(), threshold: finite() }),
  z.strictObject({ name: z.literal('foreal'), leaderTokens: finite(), gate: finite() }),
  z.strictObject({
    name: z.literal('judge'),
    draftLength: finite(),
    threshold: finite(),
    learningRate: finite(),
  }),
]);

export const speculativeSamplingSchema = z.strictObject({
  greedy: z.boolean(),
  temperature: finite(),
  draftTemperature: finite(),
});

export const speculativeSetupSchema = z.strictObject({
  version: z.literal(1),
  /** The draft is ignored (and not loaded) by the methods that draft without a model. */
  models: z.strictObject({ target: modelRefSchema, draft: modelRefSchema }),
  prompt: z.string().max(EXPERIMENT_LIMITS.promptChars),
  method: speculativeMethodSchema,
  sampling: speculativeSamplingSchema,
  seed: numberSchema(EXPERIMENT_PARAMETERS.seed),
  maxTokens: numberSchema(EXPERIMENT_PARAMETERS.maxTokens),
});

/** Everything that reproduces a speculative run: models, prompt, method, sampling, seed, budget. */
export type SpeculativeSetup = z.output<typeof speculativeSetupSchema>;
export type SpeculativeSetupMethod = SpeculativeSetup['method'];

/** The engine's checks of a setup's method and sampling: one message per problem (none: valid). */
export type SetupCheck = (setup: SpeculativeSetup) => string[];

export type SpeculativeValidation = { ok: true; setup: SpeculativeSetup } | { ok: false; issues: string[] };

/** Validates an unknown value as a SpeculativeSetup (schema, then `check`); never throws. */
export function validateSpeculativeSetup(value: unknown, check?: SetupCheck): SpeculativeValidation {
  const result = speculativeSetupSchema.safeParse(value, { reportInput: true });
  if (!result.success) return { ok: false, issues: formatIssues(result.error) };
  const problems = check?.(result.data) ?? [];
  return problems.length > 0 ? { ok: false, issues: problems } : { ok: true, setup: result.data };
}

export class SpeculativeLinkEncodeError extends Error {
  constructor(readonly issues: string[]) {
    super(`cannot share an invalid speculative setup:\n${issues.join('\n')}`);
    this.name = 'SpeculativeLinkEncodeError';
  }
}

/** The link payload (`x1.…`, without '#speculative/'). Throws SpeculativeLinkEncodeError if invalid. */
export function encodeSpeculativeLink(setup: SpeculativeSetup, check?: SetupCheck): string {
  const validation = validateSpeculativeSetup(setup, check);
  if (!validation.ok) throw new SpeculativeLinkEncodeError(validation.issues);
  const bytes = deflateSync(encodeUtf8(canonicalJson(validation.setup)), { level: 9 });
  const link = `x${SPECULATIVE_FORMAT}.${encodeBase64Url(bytes)}`;
  if (link.length > MAX_LINK_CHARS)
    throw new SpeculativeLinkEncodeError([`the link would be ${link.length} characters; at most ${MAX_LINK_CHARS} open`]); // prettier-ignore
  return link;
}

export type SpeculativeLinkResult =
  { ok: true; setup: SpeculativeSetup } | { ok: false; error: ShareLinkError };

function failure(code: ShareLinkErrorCode, message: string, details: string[] = []): SpeculativeLinkResult {
  return { ok: false, error: { code, message, details } };
}

const VERSIONED = /^x(\d+)\.([\s\S]*)$/;

/**
 * Reads a setup from a full URL, a '#speculative/…' hash or the bare payload `x1.…`. Never throws:
 * every problem comes back as a ShareLinkError whose message says what is wrong and what to do.
 */
export function decodeSpeculativeLink(hashOrUrl: string, check?: SetupCheck): SpeculativeLinkResult {
  try {
    return decodeUnchecked(hashOrUrl, check);
  } catch (error) {
    return failure('internal', `LogitLab failed to read this link (${String(error).slice(0, 200)}); please report it`); // prettier-ignore
  }
}

function decodeUnchecked(input: unknown, check: SetupCheck | undefined): SpeculativeLinkResult {
  if (typeof input !== 'string') return failure('not-logitlab', `a link must be text, not ${typeof input}`);
  if (input.length > MAX_LINK_CHARS) {
    return failure('too-long', `the link is ${input.length} characters long; LogitLab links are at most ${MAX_LINK_CHARS}. Was it pasted twice?`); // prettier-ignore
  }
  const text = input.trim();
  const hashAt = text.indexOf('#');
  if (hashAt < 0 && /^[a-z][a-z0-9+.-]*:/i.test(text))
    return failure(
      'not-logitlab',
      'the address has no "#speculative/..." part, so it carries no speculative setup',
    );
  const hash = hashAt >= 0 ? text.slice(hashAt + 1) : text;
  if (hash.startsWith('decode/'))
    return failure('not-logitlab', 'this is a Decode link ("#decode/..."): open it in the Decode tab');
  const payload = hash.startsWith(SPECULATIVE_ROUTE) ? hash.slice(SPECULATIVE_ROUTE.length) : hash;
  if (payload === '')
    return failure('empty', 'the link has nothing after "#speculative/": there is no setup in it');
  const versioned = VERSIONED.exec(payload);
  if (!versioned) {
    const shown = payload.length > 24 ? `${payload.slice(0, 21)}...` : payload;
    return failure('not-logitlab', `"${shown}" is not a Speculative link: those read "#speculative/x${SPECULATIVE_FORMAT}.…"`); // prettier-ignore
  }
  const [, digits, body] = versioned;
  const format = Number(digits);
  if (format > SPECULATIVE_FORMAT) {
    const shown = digits.length > 12 ? `${digits.slice(0, 12)}...` : digits;
    return failure('newer-version', `this link was made by a newer LogitLab (format x${shown}); update the app to open it`); // prettier-ignore
  }
  if (format < 1 || digits !== String(format))
    return failure('unknown-version', `"x${digits}." is not a Speculative link format (only x${SPECULATIVE_FORMAT} exists)`); // prettier-ignore
  const bytes = decodeBase64Url(body);
  if (!bytes.ok)
    return failure('corrupted', `the link is damaged: ${bytes.message}. Copy the whole link again.`);
  const inflated = inflateBounded(bytes.value, MAX_INFLATED_BYTES);
  if (!inflated.ok) {
    return inflated.tooLarge
      ? failure('too-large', `the link's content ${inflated.message}; real setups are far smaller, so the link is damaged or malicious`) // prettier-ignore
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
    return failure('invalid-json', `the link's content is not valid JSON (${reason}); it was damaged or edited by hand`); // prettier-ignore
  }
  return fromValue(value, check);
}

function fromValue(value: unknown, check: SetupCheck | undefined): SpeculativeLinkResult {
  const object = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  if (object && Object.hasOwn(object, 'lanes'))
    return failure('not-logitlab', 'this link holds a Decode experiment, not a speculative setup: open it in the Decode tab'); // prettier-ignore
  const declared = object?.version;
  if (declared !== undefined && declared !== SPECULATIVE_FORMAT)
    return failure('corrupted', `the link says format x${SPECULATIVE_FORMAT} but its content says version ${describeValue(declared)}: it was edited`); // prettier-ignore
  const validation = validateSpeculativeSetup(value, check);
  if (!validation.ok) {
    const { issues } = validation;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    return failure('invalid-experiment', `the link's setup is not valid: ${issues[0]}${more}`, issues);
  }
  return { ok: true, setup: validation.setup };
}

/** A default Shapes model, not pinned yet (the tab pins it to the loaded files). */
export function defaultModelRef(folder: string): ModelRef {
  return { source: 'default', id: folder, sha256: {} };
}
