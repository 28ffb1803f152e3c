// Evaluation results as JSON files (export, import, browser storage): the zod schema of an
// EvaluationResult, checked strictly (an unknown field is refused) with the config validated as a
// link's would be, plus the cross-field rules a type cannot say: one lane result per lane after the
// sweep, one answer per example per lane. Reading never throws.
import { z } from 'zod';
import { formatIssues } from '../share/issues';
import { imageSchema, laneSchema, safeRecordSchema, sha256Schema } from '../share/schema';
import { POPE_SPLITS } from '../world/pope';
import type { EvaluationResult } from './result';
import { evaluationConfigSchema } from './schema';
import { expandLanes } from './sweep';
import type { EvaluationConfig } from './config';
import { CHAIR_METRICS, POPE_METRICS } from './counts';

const count = z.number().int().min(0);
const estimate = z.strictObject({ value: z.number(), low: z.number(), high: z.number() });
const metrics = <M extends string>(names: readonly M[]) =>
  z.strictObject(Object.fromEntries(names.map((n) => [n, estimate])) as Record<M, typeof estimate>);
const yesNo = z.enum(['yes', 'no']);
const stopReason = z.enum(['max-tokens', 'eos', 'context', 'cancelled', 'error']).nullable();
const image = imageSchema.unwrap();

const outcome = {
  text: z.string(),
  tokens: count,
  stopReason,
  error: z.string().optional(),
};

const popeExample = z.strictObject({
  benchmark: z.literal('pope'),
  sceneIndex: count,
  split: z.enum(POPE_SPLITS),
  prompt: z.string(),
  object: z.string(),
  label: yesNo,
  image,
});

const chairExample = z.strictObject({
  benchmark: z.literal('chair'),
  sceneIndex: count,
  prompt: z.string(),
  image,
  objects: z.array(z.string()),
});

const popeAnswer = z.strictObject({ ...outcome, said: yesNo.nullable() });
const chairAnswer = z.strictObject({
  ...outcome,
  mentioned: z.array(z.string()),
  hallucinated: z.array(z.string()),
  words: count,
});

const popeSummary = z.strictObject({
  split: z.enum(POPE_SPLITS),
  questions: count,
  scenes: count,
  unparsed: count,
  errors: count,
  metrics: metrics(POPE_METRICS),
  difference: metrics(POPE_METRICS).nullable(),
});

const chairSummary = z.strictObject({
  captions: count,
  errors: count,
  counts: z.strictObject({
    mentioned: count,
    hallucinated: count,
    hallucinatedCaptions: count,
    present: count,
    covered: count,
    words: count,
  }),
  metrics: metrics(CHAIR_METRICS),
  difference: metrics(CHAIR_METRICS).nullable(),
});

const modelRecord = z.strictObject({ name: z.string(), fileHashes: safeRecordSchema(200, sha256Schema) });

export const evaluationResultSchema = z
  .strictObject({
    kind: z.literal('logitlab-evaluation'),
    version: z.literal(1),
    config: evaluationConfigSchema,
    models: z.strictObject({ main: modelRecord, amateur: modelRecord.optional() }),
    lanes: z.array(
      z.strictObject({
        lane: laneSchema,
        sweepValue: z.number().nullable(),
        pope: z.array(popeSummary).nullable(),
        chair: chairSummary.nullable(),
      }),
    ),
    pope: z
      .strictObject({ examples: z.array(popeExample), answers: z.array(z.array(popeAnswer)) })
      .nullable(),
    chair: z
      .strictObject({ examples: z.array(chairExample), answers: z.array(z.array(chairAnswer)) })
      .nullable(),
    environment: z.strictObject({ adapter: z.string(), userAgent: z.string(), createdAt: z.string() }),
    durationMs: z.number().min(0),
    examplesRun: count,
  })
  .superRefine((result, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const lanes = expandLanes(result.config as EvaluationConfig);
    if (result.lanes.length !== lanes.length)
      issue(['lanes'], `has ${result.lanes.length} lane results for the config's ${lanes.length} lanes`);
    for (const benchmark of ['pope', 'chair'] as const) {
      const part = result[benchmark];
      if ((part === null) !== (result.config.benchmarks[benchmark] === undefined)) {
        issue(
          [benchmark],
          part === null ? 'is missing, but the config runs it' : 'is present, but the config does not run it',
        );
        continue;
      }
      if (!part) continue;
      if (part.answers.length !== lanes.length)
        issue(
          [benchmark, 'answers'],
          `has answers of ${part.answers.length} lanes for ${lanes.length} lanes`,
        );
      part.answers.forEach((answers, l) => {
        if (answers.length !== part.examples.length)
          issue(
            [benchmark, 'answers', l],
            `has ${answers.length} answers for ${part.examples.length} examples`,
          );
      });
    }
  });

/** The result as a JSON file's text. */
export function serializeEvaluation(result: EvaluationResult): string {
  return JSON.stringify(result);
}

export type EvaluationParse = { ok: true; result: EvaluationResult } | { ok: false; issues: string[] };

/** Reads a result file's text or parsed JSON; never throws. */
export function parseEvaluation(input: string | unknown): EvaluationParse {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 160) : 'unreadable';
      return { ok: false, issues: [`the file is not valid JSON (${reason})`] };
    }
  }
  try {
    const parsed = evaluationResultSchema.safeParse(value, { reportInput: true });
    return parsed.success
      ? { ok: true, result: parsed.data as EvaluationResult }
      : { ok: false, issues: formatIssues(parsed.error, { root: 'result' }) };
  } catch (error) {
    return { ok: false, issues: [`result: could not be read (${String(error).slice(0, 200)})`] };
  }
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ResultSchemaMatchesType = Assert<Same<z.output<typeof evaluationResultSchema>, EvaluationResult>>;
