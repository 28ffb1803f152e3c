// The zod schema of a Trace (trace.ts), used by trace-file.ts on export and import. Measurements
// (probabilities, entropies, divergences, rates) are deliberately unbounded and may be ±Infinity or
// NaN: a trace is most useful exactly when a run went wrong, so it must be able to carry the NaN.
// In JSON those three values are the strings "Infinity", "-Infinity" and "NaN", accepted only in
// measurement fields (and in `extra`, whose numbers are measurements too). Counts, token ids and
// indices must be whole numbers >= 0.
import { z } from 'zod';
import { MAX_LANES, MAX_TOKENS_LIMIT } from './experiment';
import type { Trace } from './trace';
import { describeValue } from './issues';
import { experimentSchema, safeRecordSchema } from './schema';

/** The 10 most likely tokens are summarised; the schema tolerates more, up to this. */
export const MAX_SUMMARY_TOP = 64;
export const MAX_COMPONENTS = 16;
export const MAX_PROMPT_TOKENS = 65_536;

const NON_FINITE: Readonly<Record<string, number>> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };

/** The JSON spelling of a number: non-finite numbers become the strings "Infinity", "-Infinity", "NaN". */
export function isNonFiniteSpelling(text: string): boolean {
  return Object.hasOwn(NON_FINITE, text);
}

/** Any number, including ±Infinity and NaN, or their JSON spelling as a string. */
export const measurementSchema = z.unknown().transform((value, ctx): number => {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && isNonFiniteSpelling(value)) return NON_FINITE[value];
  ctx.addIssue({
    code: 'custom',
    input: value,
    message: `expected a number (or "Infinity", "-Infinity", "NaN"), got ${describeValue(value)}`,
  });
  return z.NEVER;
});

/** A method's extra value: a measurement or a short label. The three non-finite spellings read as numbers. */
const extraValueSchema = z.unknown().transform((value, ctx): number | string => {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && isNonFiniteSpelling(value)) return NON_FINITE[value];
  if (typeof value === 'string' && value.length <= 1000) return value;
  ctx.addIssue({
    code: 'custom',
    input: value,
    message: `expected a number or a string of at most 1000 characters, got ${describeValue(value)}`,
  });
  return z.NEVER;
});

const count = z.number().int().min(0);

export const distributionSummarySchema = z.strictObject({
  label: z.string().max(200),
  top: z.array(z.tuple([count, measurementSchema])).max(MAX_SUMMARY_TOP),
  entropy: measurementSchema,
  chosenProbability: measurementSchema,
  chosenRank: count,
});

const pairDivergenceSchema = z.strictObject({
  a: count,
  b: count,
  klAB: measurementSchema,
  klBA: measurementSchema,
  js: measurementSchema,
});

export const distortionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('noise'), step: count, seed: count }),
  z.strictObject({ kind: z.literal('transform'), transform: z.string().max(200), seed: count }),
  z.strictObject({ kind: z.literal('no-image') }),
  z.strictObject({ kind: z.literal('prompt'), text: z.string().max(10_000) }),
  z.strictObject({ kind: z.literal('layer'), layer: count }),
  z.strictObject({ kind: z.literal('meaningless'), image: z.enum(['mean-colour', 'noise']), seed: count }),
]);

export const tokenRecordSchema = z.strictObject({
  step: count,
  id: count,
  piece: z.string().max(1000),
  components: z.array(distributionSummarySchema).max(MAX_COMPONENTS),
  combined: distributionSummarySchema,
  plausibleCount: count,
  divergences: z.array(pairDivergenceSchema).max(MAX_COMPONENTS * MAX_COMPONENTS),
  changedByMethod: z.boolean(),
  extra: safeRecordSchema(100, extraValueSchema).optional(),
});

const componentInputSchema = z.strictObject({
  label: z.string().max(200),
  model: z.enum(['main', 'amateur']),
  distortion: distortionSchema.nullable(),
});

const laneStatisticsSchema = z.strictObject({
  tokens: count,
  forwardPasses: safeRecordSchema(100, count),
  tokensPerSecond: measurementSchema,
  meanEntropy: measurementSchema,
  readbackBytes: count,
  readbackBytesPerToken: measurementSchema,
});

export const laneTraceSchema = z
  .strictObject({
    laneId: z.string().max(100),
    inputs: z.array(componentInputSchema).max(MAX_COMPONENTS),
    tokens: z.array(tokenRecordSchema).max(MAX_TOKENS_LIMIT),
    text: z.string().max(1_000_000),
    stopReason: z.enum(['max-tokens', 'eos', 'context', 'cancelled', 'error']).nullable(),
    error: z.string().max(10_000).optional(),
    statistics: laneStatisticsSchema,
  })
  .superRefine((lane, ctx) => {
    lane.tokens.forEach((token, index) => {
      const at = ['tokens', index];
      if (token.step !== index) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'step'],
          message: `is ${token.step}; token ${index} must have step ${index}`,
        });
      }
      if (token.components.length !== lane.inputs.length) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'components'],
          message: `has ${token.components.length} distributions but the lane has ${lane.inputs.length} inputs; they must match one to one`,
        });
      }
      token.divergences.forEach((pair, pairIndex) => {
        for (const side of ['a', 'b'] as const) {
          if (pair[side] >= token.components.length) {
            ctx.addIssue({
              code: 'custom',
              path: [...at, 'divergences', pairIndex, side],
              message: `${pair[side]} is not an index into components (${token.components.length} of them)`,
            });
          }
        }
      });
    });
  });

export const traceSchema = z
  .strictObject({
    version: z.literal(1),
    experiment: experimentSchema,
    promptTokens: z.array(count).max(MAX_PROMPT_TOKENS),
    lanes: z.array(laneTraceSchema).max(MAX_LANES),
    environment: z.strictObject({
      adapter: z.string().max(1000),
      userAgent: z.string().max(1000),
      createdAt: z.iso.datetime({
        offset: true,
        error: (issue) =>
          `${describeValue(issue.input)} is not an ISO 8601 date-time like "2025-01-31T12:00:00.000Z"`,
      }),
    }),
  })
  .superRefine((trace, ctx) => {
    const experimentLanes = new Set(trace.experiment.lanes.map((lane) => lane.id));
    const seen = new Set<string>();
    trace.lanes.forEach((lane, index) => {
      const at = ['lanes', index, 'laneId'];
      if (seen.has(lane.laneId)) {
        ctx.addIssue({ code: 'custom', path: at, message: `${describeValue(lane.laneId)} appears twice` });
      }
      seen.add(lane.laneId);
      if (!experimentLanes.has(lane.laneId)) {
        ctx.addIssue({
          code: 'custom',
          path: at,
          message: `${describeValue(lane.laneId)} is not a lane of the experiment`,
        });
      }
      if (lane.tokens.length > trace.experiment.maxTokens) {
        ctx.addIssue({
          code: 'custom',
          path: ['lanes', index, 'tokens'],
          message: `has ${lane.tokens.length} tokens but the experiment allows ${trace.experiment.maxTokens}`,
        });
      }
    });
  });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compile-time proof that the schema's output is exactly the Trace type. */
export type TraceSchemaMatchesType = Assert<Same<z.output<typeof traceSchema>, Trace>>;
