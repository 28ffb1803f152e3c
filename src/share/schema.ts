// The zod schema of an Experiment (version 1), built from the catalog in methods.ts so a range is
// written once. Objects are strict (an unknown field is refused: it is either a typo or a newer
// format we would silently drop), numbers are finite, a method's own checks run (MethodSpec.check:
// the calibration's answer words), and the cross-field rules a type cannot say are checked here: unique lane ids, an amateur model for the methods that contrast against one,
// an image for the methods that distort it.
import { z } from 'zod';
import type { Experiment, MethodConfig, MethodName } from './experiment';
import { MAX_LANES } from './experiment';
import { describeValue, formatIssues } from './issues';
import type { ParameterSpec, NumberParameter } from './parameters';
import { numberProblem } from './parameters';
import {
  EXPERIMENT_LIMITS,
  EXPERIMENT_PARAMETERS,
  METHODS,
  METHOD_NAMES,
  SAMPLING_PARAMETERS,
  type ParameterProblem,
} from './methods';

/** A SHA-256 as written in links: 64 lowercase hex digits. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** A number checked against its spec; the message names the value and the allowed range. */
export function numberSchema(spec: NumberParameter, owner?: string) {
  return z.number().superRefine((value, ctx) => {
    const problem = numberProblem(spec, value, owner);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  });
}

function parameterSchema(spec: ParameterSpec, owner: string): z.ZodType {
  switch (spec.kind) {
    case 'number':
      return numberSchema(spec, owner);
    case 'choice':
      return z.enum(spec.choices as [string, ...string[]]);
    case 'text':
      return z.string().max(spec.maxLength);
  }
}

/**
 * A JSON object used as a map, with string keys of at most `maxKeyLength`. JSON.parse keeps a
 * "__proto__" key as an own property and zod would drop it silently; it is refused instead, so
 * nothing in a link or file disappears without a message.
 */
export function safeRecordSchema<V extends z.ZodType>(maxKeyLength: number, value: V) {
  return z
    .unknown()
    .superRefine((input, ctx) => {
      if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) {
        ctx.addIssue({
          code: 'custom',
          path: ['__proto__'],
          message: '"__proto__" is not allowed as a name',
        });
      }
    })
    .pipe(z.record(z.string().min(1).max(maxKeyLength), value));
}

export const sha256Schema = z.string().regex(SHA256_PATTERN, {
  error: (issue) => `${describeValue(issue.input)} is not a SHA-256 (64 lowercase hex digits)`,
});

function methodSchema(name: MethodName) {
  const spec = METHODS[name];
  const shape: Record<string, z.ZodType> = { method: z.literal(name) };
  for (const [key, parameter] of Object.entries(spec.parameters) as [string, ParameterSpec][]) {
    shape[key] = parameterSchema(parameter, spec.label);
  }
  const check = spec.check as ((parameters: Record<string, unknown>) => ParameterProblem[]) | undefined;
  return z.strictObject(shape).superRefine((config, ctx) => {
    for (const { parameter, message } of check?.(config) ?? []) {
      ctx.addIssue({ code: 'custom', path: [parameter], message, input: config[parameter] });
    }
  });
}

const methodOptions = METHOD_NAMES.map(methodSchema);

/**
 * One lane's method. Built from the catalog, so its static type is asserted here; the catalog's own
 * type (MethodParameterSpecs) is what ties every catalog key to a MethodConfig field.
 */
export const methodConfigSchema = z.discriminatedUnion(
  'method',
  methodOptions as [(typeof methodOptions)[number], ...typeof methodOptions],
) as unknown as z.ZodType<MethodConfig>;

export const samplingSchema = z.strictObject({
  greedy: z.boolean(),
  temperature: numberSchema(SAMPLING_PARAMETERS.temperature, 'sampling'),
  topK: numberSchema(SAMPLING_PARAMETERS.topK, 'sampling'),
  topP: numberSchema(SAMPLING_PARAMETERS.topP, 'sampling'),
  minP: numberSchema(SAMPLING_PARAMETERS.minP, 'sampling'),
});

export const laneSchema = z.strictObject({
  id: z.string().regex(EXPERIMENT_LIMITS.laneIdPattern, {
    error: (issue) =>
      `${describeValue(issue.input)} is not a lane id (a letter or digit, then letters, digits, '-' or '_'; 32 at most)`,
  }),
  method: methodConfigSchema,
  sampling: samplingSchema,
});

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const FOLDER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const modelRefSchema = z
  .strictObject({
    source: z.enum(['default', 'hub', 'url']),
    id: z.string().min(1).max(EXPERIMENT_LIMITS.modelIdChars),
    revision: z.string().min(1).max(EXPERIMENT_LIMITS.revisionChars).optional(),
    sha256: safeRecordSchema(EXPERIMENT_LIMITS.fileNameChars, sha256Schema),
  })
  .superRefine((ref, ctx) => {
    const files = Object.keys(ref.sha256).length;
    if (files > EXPERIMENT_LIMITS.modelFiles) {
      ctx.addIssue({
        code: 'custom',
        path: ['sha256'],
        message: `pins ${files} files; at most ${EXPERIMENT_LIMITS.modelFiles} allowed`,
      });
    }
    const idProblem =
      ref.source === 'hub' && !HUB_ID.test(ref.id)
        ? 'is not a Hugging Face repo id ("owner/name")'
        : ref.source === 'url' && !/^https?:\/\/\S+$/.test(ref.id)
          ? 'is not an http(s) URL'
          : ref.source === 'default' && !FOLDER_ID.test(ref.id)
            ? 'is not a default model folder name (letters, digits, ".", "-", "_")'
            : null;
    if (idProblem)
      ctx.addIssue({ code: 'custom', path: ['id'], message: `${describeValue(ref.id)} ${idProblem}` });
  });

export const imageSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('scene'),
      seed: numberSchema(EXPERIMENT_PARAMETERS.sceneSeed, 'scene'),
      index: numberSchema(EXPERIMENT_PARAMETERS.sceneIndex, 'scene'),
    }),
    z.strictObject({
      kind: z.literal('upload'),
      sha256: sha256Schema,
      name: z.string().max(EXPERIMENT_LIMITS.uploadNameChars),
    }),
  ])
  .nullable();

export const experimentSchema = z
  .strictObject({
    version: z.literal(1),
    models: z.strictObject({ main: modelRefSchema, amateur: modelRefSchema.optional() }),
    prompt: z.string().max(EXPERIMENT_LIMITS.promptChars),
    image: imageSchema,
    seed: numberSchema(EXPERIMENT_PARAMETERS.seed),
    maxTokens: numberSchema(EXPERIMENT_PARAMETERS.maxTokens),
    lanes: z.array(laneSchema).min(1).max(MAX_LANES),
  })
  .superRefine((experiment, ctx) => {
    const firstIndex = new Map<string, number>();
    experiment.lanes.forEach((lane, index) => {
      const earlier = firstIndex.get(lane.id);
      if (earlier !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['lanes', index, 'id'],
          message: `${describeValue(lane.id)} is already the id of lanes[${earlier}]; lane ids must be unique`,
        });
      } else firstIndex.set(lane.id, index);
      const spec = METHODS[lane.method.method];
      const at = ['lanes', index, 'method', 'method'];
      if (spec.needs.amateur && !experiment.models.amateur) {
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `${spec.label} contrasts against an amateur model, but models.amateur is missing: add one or pick another method`,
        });
      }
      if (spec.needs.image && experiment.image === null) {
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `${spec.label} needs an image, but image is null: choose a scene or upload one, or pick another method`,
        });
      }
    });
  });

export type ExperimentValidation = { ok: true; experiment: Experiment } | { ok: false; issues: string[] };

/** Validates an unknown value as an Experiment; never throws. */
export function validateExperiment(value: unknown): ExperimentValidation {
  const result = experimentSchema.safeParse(value, { reportInput: true });
  return result.success
    ? { ok: true, experiment: result.data }
    : { ok: false, issues: formatIssues(result.error) };
}

// Compile-time proof that the schema and the hand-written types describe the same values: if either
// side changes alone, this line stops compiling.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ExperimentSchemaMatchesType = Assert<Same<z.output<typeof experimentSchema>, Experiment>>;
