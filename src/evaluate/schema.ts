// The zod schema of an EvaluationConfig (version 1), built from the Decode experiment's parts
// (modelRefSchema, laneSchema: src/share/schema.ts) so a lane is validated exactly as in a Decode
// link, whatever methods the catalog holds. Objects are strict; fields a file may leave out get the
// defaults of ./config.ts. Cross-field rules checked here: unique lane ids, a valid sweep, at most
// EVALUATION_LIMITS.lanes lanes after it, an amateur model for the methods that need one, a
// benchmark to run, seeds clear of the training keys (src/defaults/evaluate-data.ts), and finally
// every lane group's Decode experiment for an example validates as a Decode link would.
import { z } from 'zod';
import { POPE_KEY_OFFSET, WORDING_KEY_OFFSET } from '../defaults/evaluate-data';
import { MAX_TOKENS_LIMIT, type ExperimentImage } from '../share/experiment';
import { describeValue, formatIssues } from '../share/issues';
import { METHODS } from '../share/methods';
import { number } from '../share/parameters';
import { laneSchema, modelRefSchema, numberSchema, sha256Schema, validateExperiment } from '../share/schema';
import { POPE_SPLITS } from '../world/pope';
import {
  DEFAULT_QUESTION_TEMPLATE,
  EVALUATION_DEFAULTS,
  EVALUATION_LIMITS,
  type EvaluationConfig,
} from './config';
import { exampleExperiment, laneChunks } from './experiments';
import { expandLanes, sweepProblems } from './sweep';

const whole = (name: string, label: string, min: number, max: number, fallback: number) =>
  number(name, label, '', { default: fallback, min, max, step: 1, integer: true });

/** The evaluation's numbers as parameter specs (the UI's controls read the same ranges). */
export const EVALUATION_PARAMETERS = {
  scenes: whole('scenes', 'scenes', 1, EVALUATION_LIMITS.scenes, EVALUATION_DEFAULTS.pope.scenes),
  questionsPerScene: whole(
    'questionsPerScene',
    'yes/no pairs per scene',
    1,
    EVALUATION_LIMITS.questionsPerScene,
    3,
  ),
  popeTokens: whole('maxTokens', 'answer tokens', 1, MAX_TOKENS_LIMIT, EVALUATION_DEFAULTS.pope.maxTokens),
  captionTokens: whole(
    'maxTokens',
    'caption tokens',
    1,
    MAX_TOKENS_LIMIT,
    EVALUATION_DEFAULTS.chair.maxTokens,
  ),
  seed: whole('seed', 'scene seed', 0, Number.MAX_SAFE_INTEGER - POPE_KEY_OFFSET, EVALUATION_DEFAULTS.seed),
  trainingSeed: whole(
    'trainingSeed',
    'training seed',
    0,
    Number.MAX_SAFE_INTEGER - POPE_KEY_OFFSET,
    EVALUATION_DEFAULTS.trainingSeed,
  ),
  decodeSeed: whole('decodeSeed', 'decode seed', 0, Number.MAX_SAFE_INTEGER - EVALUATION_LIMITS.scenes, 0),
  resamples: whole(
    'resamples',
    'bootstrap resamples',
    10,
    EVALUATION_LIMITS.resamples,
    EVALUATION_DEFAULTS.bootstrap.resamples,
  ),
  bootstrapSeed: whole('seed', 'bootstrap seed', 0, Number.MAX_SAFE_INTEGER, 0),
  confidence: number('confidence', 'confidence', 'Two-sided coverage of the intervals.', {
    default: 0.95,
    min: 0.5,
    max: 1,
    maxExclusive: true,
    step: 0.01,
  }),
};

const P = EVALUATION_PARAMETERS;

const splitsSchema = z
  .array(z.enum(POPE_SPLITS))
  .min(1)
  .max(POPE_SPLITS.length)
  .superRefine((splits, ctx) => {
    const seen = new Set<string>();
    splits.forEach((split, i) => {
      if (seen.has(split)) ctx.addIssue({ code: 'custom', path: [i], message: `"${split}" is listed twice` });
      seen.add(split);
    });
  });

const popeSchema = z.strictObject({
  splits: splitsSchema.default(() => [...POPE_SPLITS]),
  scenes: numberSchema(P.scenes, 'POPE'),
  questionsPerScene: numberSchema(P.questionsPerScene, 'POPE').default(
    EVALUATION_DEFAULTS.pope.questionsPerScene,
  ),
  maxTokens: numberSchema(P.popeTokens, 'POPE').default(EVALUATION_DEFAULTS.pope.maxTokens),
});

const chairSchema = z.strictObject({
  scenes: numberSchema(P.scenes, 'CHAIR'),
  maxTokens: numberSchema(P.captionTokens, 'CHAIR').default(EVALUATION_DEFAULTS.chair.maxTokens),
  prompt: z.string().min(1).max(500).default(EVALUATION_DEFAULTS.chair.prompt),
});

const datasetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('shapes') }),
  z.strictObject({
    kind: z.literal('folder'),
    name: z.string().min(1).max(EVALUATION_LIMITS.folderNameChars),
    annotationsSha256: sha256Schema,
    questionTemplate: z
      .string()
      .max(EVALUATION_LIMITS.templateChars)
      .refine((t) => t.includes('{object}'), {
        error: (issue) => `${describeValue(issue.input)} has no "{object}" for the category name`,
      })
      .default(DEFAULT_QUESTION_TEMPLATE),
  }),
]);

const sweepSchema = z.strictObject({
  lane: z.string().min(1).max(32),
  parameter: z.string().min(1).max(64),
  values: z.array(z.number()).min(1).max(EVALUATION_LIMITS.sweepValues),
});

const bootstrapSchema = z.strictObject({
  resamples: numberSchema(P.resamples, 'bootstrap').default(EVALUATION_DEFAULTS.bootstrap.resamples),
  seed: numberSchema(P.bootstrapSeed, 'bootstrap').default(EVALUATION_DEFAULTS.bootstrap.seed),
  confidence: numberSchema(P.confidence, 'bootstrap').default(EVALUATION_DEFAULTS.bootstrap.confidence),
});

/** A stand-in image for checking lanes against the Decode schema before any example exists. */
const PROBE_IMAGE: ExperimentImage = { kind: 'scene', seed: 0, index: 0 };

export const evaluationConfigSchema = z
  .strictObject({
    version: z.literal(1),
    models: z.strictObject({ main: modelRefSchema, amateur: modelRefSchema.optional() }),
    lanes: z.array(laneSchema).min(1).max(EVALUATION_LIMITS.lanes),
    benchmarks: z.strictObject({ pope: popeSchema.optional(), chair: chairSchema.optional() }),
    dataset: datasetSchema.default(() => ({ kind: 'shapes' as const })),
    seed: numberSchema(P.seed).default(EVALUATION_DEFAULTS.seed),
    trainingSeed: numberSchema(P.trainingSeed).default(EVALUATION_DEFAULTS.trainingSeed),
    decodeSeed: numberSchema(P.decodeSeed).default(EVALUATION_DEFAULTS.decodeSeed),
    sweep: sweepSchema.optional(),
    bootstrap: bootstrapSchema.default(() => ({ ...EVALUATION_DEFAULTS.bootstrap })),
  })
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const firstIndex = new Map<string, number>();
    config.lanes.forEach((lane, index) => {
      const earlier = firstIndex.get(lane.id);
      if (earlier !== undefined)
        issue(
          ['lanes', index, 'id'],
          `${describeValue(lane.id)} is already the id of lanes[${earlier}]; lane ids must be unique`,
        );
      else firstIndex.set(lane.id, index);
      const spec = METHODS[lane.method.method] as (typeof METHODS)[keyof typeof METHODS] | undefined;
      if (spec?.needs.amateur && !config.models.amateur) {
        issue(
          ['lanes', index, 'method', 'method'],
          `${spec.label} contrasts against an amateur model, but models.amateur is missing: add one or pick another method`,
        );
      }
    });
    if (!config.benchmarks.pope && !config.benchmarks.chair) {
      issue(['benchmarks'], 'no benchmark to run: add pope, chair or both');
    }
    if (config.dataset.kind === 'folder' && config.benchmarks.chair) {
      issue(
        ['benchmarks', 'chair'],
        'CHAIR runs on Shapes scenes only (its caption parser knows the shapes); a folder dataset has POPE',
      );
    }
    const gap = config.seed - config.trainingSeed;
    if (gap >= -POPE_KEY_OFFSET && gap <= WORDING_KEY_OFFSET) {
      issue(
        ['seed'],
        `scene seed ${config.seed} would draw from the keys training seed ${config.trainingSeed} uses; evaluate with a seed far from it, such as ${EVALUATION_DEFAULTS.seed}`,
      );
    }
    if (config.sweep) {
      for (const problem of sweepProblems(config.lanes, config.sweep))
        issue(['sweep', ...problem.path], problem.message);
    }
  })
  // Only a config that passed every rule above expands into lanes that can be checked as sessions.
  .superRefine(
    (config, ctx) =>
      checkLaneExperiments(config as EvaluationConfig, (path, message) =>
        ctx.addIssue({ code: 'custom', path, message }),
      ),
    { when: (payload) => payload.issues.length === 0 },
  );

/** Lanes after the sweep, grouped as sessions run them, each checked as a Decode experiment. */
function checkLaneExperiments(
  config: EvaluationConfig,
  issue: (path: (string | number)[], message: string) => void,
) {
  const lanes = expandLanes(config);
  if (lanes.length > EVALUATION_LIMITS.lanes) {
    issue(
      ['sweep', 'values'],
      `the sweep makes ${lanes.length} lanes; at most ${EVALUATION_LIMITS.lanes} allowed`,
    );
    return;
  }
  const prompts = [
    ...(config.benchmarks.pope
      ? [{ prompt: 'is there a star ?', maxTokens: config.benchmarks.pope.maxTokens }]
      : []),
    ...(config.benchmarks.chair
      ? [{ prompt: config.benchmarks.chair.prompt, maxTokens: config.benchmarks.chair.maxTokens }]
      : []),
  ];
  for (const chunk of laneChunks(lanes.map((l) => l.config))) {
    for (const { prompt, maxTokens } of prompts) {
      const input = { sceneIndex: 0, prompt, image: PROBE_IMAGE, maxTokens };
      const validation = validateExperiment(exampleExperiment(config, chunk, input));
      if (!validation.ok) {
        for (const line of validation.issues) issue([], `as a Decode experiment: ${line}`);
        return;
      }
    }
  }
}

export type EvaluationConfigValidation =
  { ok: true; config: EvaluationConfig } | { ok: false; issues: string[] };

/** Validates an unknown value as an EvaluationConfig (defaults filled in); never throws. */
export function validateEvaluationConfig(value: unknown): EvaluationConfigValidation {
  try {
    const result = evaluationConfigSchema.safeParse(value, { reportInput: true });
    return result.success
      ? { ok: true, config: result.data as EvaluationConfig }
      : { ok: false, issues: formatIssues(result.error) };
  } catch (error) {
    return { ok: false, issues: [`(top level): could not be read (${String(error).slice(0, 200)})`] };
  }
}

// Compile-time proof that the schema's output and the hand-written type describe the same values.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type EvaluationSchemaMatchesType = Assert<
  Same<z.output<typeof evaluationConfigSchema>, EvaluationConfig>
>;
