// Bench rows for the Speculative workbench (issue 7, "Benchmarks"): wall-clock speed-up of
// speculative sampling (K = 4) against autoregressive decoding with the same target in the same
// run. Pairs (./bench-models.ts): the committed Shapes expert + draft, and two random-init targets
// with their own first layer as the draft (per-token cost ratio printed as "cost", >= 8x).
// One run = the lane restarted from the prompt (its cache keeps the prompt; so does the baseline's)
// writing N tokens: run = the speculative lane, baseline = the autoregressive lane, both write N
// tokens, so ratio = baseline ms / speculative ms is the speed-up and ms per token = ms / N.
// Greedy rows on the Shapes pair stop at EOS (both lanes write the same caption); sampled rows
// ignore EOS so both lanes write N tokens (the Shapes models were trained on single captions, so
// text after EOS is off their distribution: read those rows' acceptance as a timing condition).
// Shape column: N tokens per run; the pair's costs measured in setup (interleaved medians):
// "cost" = target step / draft step, "verify" = the target scoring K + 1 tokens / one target step
// (what makes or breaks the speed-up: on SwiftShader a CPU does the arithmetic, so a wide target
// pays for every extra row); then the speculative lane's last run: target forward calls per
// generated token, acceptance (accepted / drafted; a = per checked position), mean accepted drafts
// per round and the theory's (1 - a^(K+1)) / (1 - a) tokens per target call.
import type { BenchCase, BenchInstance } from '../bench/types';
import type { Gpu } from '../gpu/runtime';
import { AutoregressiveLane } from './baseline';
import {
  measureCosts,
  RANDOM_PAIRS,
  randomPair,
  shapesPair,
  type BenchPair,
  type PairCosts,
} from './bench-models';
import { SpeculativeLane } from './lane';
import type { SpeculativeLaneTrace, SpeculativeMethod } from './types';

const K = 4;

interface Scenario {
  pair: 'shapes' | keyof typeof RANDOM_PAIRS;
  greedy: boolean;
  tokens: number;
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function describeRun(
  scenario: Scenario,
  trace: SpeculativeLaneTrace | null,
  costs: PairCosts | null,
): string {
  const pair = scenario.pair === 'shapes' ? 'shapes expert+draft' : RANDOM_PAIRS[scenario.pair].name;
  const head = `${pair} ${scenario.greedy ? 'greedy' : 'T=1'} K=${K}`;
  const cost = costs
    ? `cost ${fixed(costs.targetStepMs / costs.draftStepMs, 1)}x, verify ${fixed(costs.verifyMs / costs.targetStepMs, 1)}x`
    : 'cost ?';
  if (!trace) return `${head}, ${cost}`;
  const s = trace.statistics;
  return (
    `${head}, ${s.tokens} tok/run, ${cost}: ${fixed(s.targetCallsPerToken)} target calls/tok, ` +
    `accept ${fixed(s.acceptanceRate)} (a ${fixed(s.alphaEstimate)}), mean accepted ${fixed(s.meanAcceptedLength)}, ` +
    `theory ${fixed(s.theoreticalTokensPerCall)} tok/call`
  );
}

function speculativeCase(scenario: Scenario): BenchCase {
  let trace: SpeculativeLaneTrace | null = null;
  let costs: PairCosts | null = null;
  return {
    name: 'speculative/speculative',
    get shape() {
      return describeRun(scenario, trace, costs);
    },
    baseline: 'autoregressive',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      const pair: BenchPair =
        scenario.pair === 'shapes'
          ? await shapesPair(gpu)
          : await randomPair(gpu, RANDOM_PAIRS[scenario.pair]);
      const common = {
        gpu,
        target: pair.target,
        seed: 1,
        prompt: pair.prompt,
        maxTokens: scenario.tokens,
        eosTokenIds: scenario.greedy ? pair.eosTokenIds : [],
      };
      const sampling = { greedy: scenario.greedy, temperature: 1, draftTemperature: 1 };
      const method: SpeculativeMethod = { name: 'speculative', draftLength: K };
      let speculative: SpeculativeLane | null = null;
      let autoregressive: AutoregressiveLane | null = null;
      try {
        costs = await measureCosts(gpu, pair, K);
        speculative = await SpeculativeLane.create({ ...common, draft: pair.draft, method, sampling });
        autoregressive = await AutoregressiveLane.create({ ...common, sampling });
      } catch (cause) {
        speculative?.dispose();
        pair.dispose();
        throw cause;
      }
      const spec = speculative;
      const ar = autoregressive;
      return {
        async run() {
          spec.restart();
          await spec.run();
          trace = spec.trace();
        },
        async runBaseline() {
          ar.restart();
          await ar.run();
        },
        dispose() {
          spec.dispose();
          ar.dispose();
          pair.dispose();
        },
      };
    },
  };
}

export const benchCases: BenchCase[] = [
  speculativeCase({ pair: 'shapes', greedy: true, tokens: 32 }),
  speculativeCase({ pair: 'shapes', greedy: false, tokens: 32 }),
  speculativeCase({ pair: 'deep', greedy: true, tokens: 32 }),
  speculativeCase({ pair: 'deep', greedy: false, tokens: 32 }),
  speculativeCase({ pair: 'wide', greedy: true, tokens: 16 }),
];
