// Seeded random traces for the trace-file tests: valid by construction (steps in order, one
// component per input, divergence indices in range), with the awkward numbers a real run can produce
// (±Infinity, NaN, -0) sprinkled into measurement fields.
import type { Experiment } from './experiment';
import type { DistributionSummary, LaneTrace, TokenRecord, Trace } from './trace';
import type { Random } from './testing';
import { randomExperiment, randomText } from './testing';

const AWKWARD = [Infinity, -Infinity, NaN, -0, 0, 1, 5e-324, 1.7976931348623157e308];

function measurement(random: Random, awkward: number): number {
  return random.bool(awkward) ? random.pick(AWKWARD) : random.next() * random.pick([1, 10, 1e-6]);
}

function summary(random: Random, label: string, awkward: number): DistributionSummary {
  const top: [number, number][] = [];
  for (let i = 0, n = random.int(0, 10); i < n; i++)
    top.push([random.int(0, 151_935), measurement(random, awkward)]);
  return {
    label,
    top,
    entropy: measurement(random, awkward),
    chosenProbability: measurement(random, awkward),
    chosenRank: random.int(1, 50_000),
  };
}

function token(random: Random, step: number, inputs: number, awkward: number): TokenRecord {
  const components = Array.from({ length: inputs }, (_, i) => summary(random, `component ${i}`, awkward));
  const record: TokenRecord = {
    step,
    id: random.int(0, 151_935),
    piece: randomText(random, 2),
    components,
    combined: summary(random, 'combined', awkward),
    plausibleCount: random.int(0, 151_936),
    divergences: [],
    changedByMethod: random.bool(),
  };
  for (let a = 0; a < inputs; a++) {
    for (let b = a + 1; b < inputs; b++) {
      const [klAB, klBA, js] = [0, 1, 2].map(() => measurement(random, awkward));
      record.divergences.push({ a, b, klAB, klBA, js });
    }
  }
  if (random.bool(0.3)) {
    record.extra = {
      prematureLayer: random.int(0, 12),
      score: measurement(random, awkward),
      note: 'layer bucket high',
    };
  }
  return record;
}

/** A valid trace of `experiment` (random if omitted); `awkward` is the share of non-finite or extreme measurements. */
export function randomTrace(
  random: Random,
  experiment: Experiment = randomExperiment(random),
  awkward = 0.1,
): Trace {
  const lanes: LaneTrace[] = experiment.lanes
    .filter(() => random.bool(0.8))
    .map((lane) => {
      const inputCount = random.int(1, 3);
      const inputs = Array.from({ length: inputCount }, (_, i) => ({
        label: i === 0 ? 'original image' : `contrast ${i}`,
        model: random.pick(['main', 'amateur'] as const),
        distortion:
          i === 0
            ? null
            : random.pick([
                { kind: 'noise' as const, step: 500, seed: random.int(0, 2 ** 32) },
                { kind: 'transform' as const, transform: 'flip', seed: 3 },
                { kind: 'no-image' as const },
                { kind: 'prompt' as const, text: randomText(random, 3) },
                { kind: 'layer' as const, layer: random.int(0, 11) },
              ]),
      }));
      const tokenCount = random.int(0, Math.min(experiment.maxTokens, 6));
      const tokens = Array.from({ length: tokenCount }, (_, step) =>
        token(random, step, inputCount, awkward),
      );
      const trace: LaneTrace = {
        laneId: lane.id,
        inputs,
        tokens,
        text: tokens.map((t) => t.piece).join(''),
        stopReason: random.pick(['max-tokens', 'eos', 'context', 'cancelled', 'error', null] as const),
        statistics: {
          tokens: tokenCount,
          forwardPasses: { main: random.int(0, 600), amateur: random.int(0, 600) },
          tokensPerSecond: measurement(random, awkward),
          meanEntropy: measurement(random, awkward),
          readbackBytes: random.int(0, 1e6),
          readbackBytesPerToken: measurement(random, awkward),
        },
      };
      if (trace.stopReason === 'error') trace.error = 'GPU device lost';
      return trace;
    });
  return {
    version: 1,
    experiment,
    promptTokens: Array.from({ length: random.int(0, 20) }, () => random.int(0, 50_000)),
    lanes,
    environment: { adapter: 'swiftshader', userAgent: 'vitest', createdAt: '2025-01-31T12:00:00.000Z' },
  };
}
