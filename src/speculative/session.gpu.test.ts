// The session on the GPU: a sampled speculative lane beside the autoregressive baseline (same
// seed, same experiment twice -> the same tokens; the baseline equals a baseline run alone), the
// methods that are not exact (labelled so, with the share of tokens per model), and failures that
// end a lane with their message instead of hanging.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LanguageModel } from '../model/interface';
import { testGpu } from '../testing/gpu';
import { AutoregressiveLane } from './baseline';
import { METHOD_DEFAULTS } from './defaults';
import { SpeculativeLane } from './lane';
import { SpeculativeSession, type SpeculativeSessionOptions, type SpeculativeStepReport } from './session';
import { tinyPair } from './testing';
import type { SpeculativeMethod } from './types';

const SAMPLING = { greedy: false, temperature: 1, draftTemperature: 1 };
const PROMPT = [0, 2, 3, 4, 2, 3];
const TOKENS = 12;

describe('SpeculativeSession on the WGSL engine', () => {
  const ready = testGpu().then(async (gpu) => ({
    gpu,
    pair: await tinyPair(gpu, { vocab: 12, draftNoise: 0.6 }),
  }));
  afterAll(async () => (await ready).pair.dispose());

  async function options(method: SpeculativeMethod, seed = 7): Promise<SpeculativeSessionOptions> {
    const { gpu, pair } = await ready;
    return { gpu, target: pair.target, draft: pair.draft, method, sampling: SAMPLING, seed, prompt: PROMPT, maxTokens: TOKENS, eosTokenIds: [] }; // prettier-ignore
  }

  async function runSession(method: SpeculativeMethod, seed = 7) {
    const session = await SpeculativeSession.create(await options(method, seed));
    try {
      const reports: SpeculativeStepReport[] = [];
      await session.run(undefined, (report) => reports.push(report));
      return { trace: session.trace(), reports };
    } finally {
      session.dispose();
    }
  }

  // Compiling the pipelines takes one to three minutes on a loaded SwiftShader: done here, once.
  beforeAll(async () => void (await runSession(METHOD_DEFAULTS.speculative)), 300_000);

  test('lanes side by side: deterministic, the baseline is a baseline run alone, rounds add up', async () => {
    const { trace, reports } = await runSession({ name: 'speculative', draftLength: 3 });
    const again = await runSession({ name: 'speculative', draftLength: 3 });
    expect(again.trace.speculative.tokens).toEqual(trace.speculative.tokens);
    expect(again.trace.baseline!.tokens).toEqual(trace.baseline!.tokens);
    const other = await runSession({ name: 'speculative', draftLength: 3 }, 8);
    expect(other.trace.speculative.tokens).not.toEqual(trace.speculative.tokens);

    const { gpu, pair } = await ready;
    const alone = await AutoregressiveLane.create({ gpu, target: pair.target, sampling: SAMPLING, seed: 7, prompt: PROMPT, maxTokens: TOKENS, eosTokenIds: [] }); // prettier-ignore
    await alone.run();
    expect(trace.baseline!.tokens.map((t) => t.id)).toEqual(alone.tokens);
    alone.dispose();

    const { speculative, baseline } = trace;
    expect(speculative.tokens).toHaveLength(TOKENS);
    expect(baseline!.tokens).toHaveLength(TOKENS);
    expect(speculative.rounds.flatMap((r) => r.emitted)).toEqual(speculative.tokens);
    // Every step's baseline tokens catch up with the speculative text.
    let spec = 0;
    let base = 0;
    for (const report of reports) {
      spec += report.round?.emitted.length ?? 0;
      base += report.baseline.length;
      expect(base).toBe(Math.min(spec, TOKENS));
    }
    const s = speculative.statistics;
    expect(s.tokens).toBe(TOKENS);
    expect(s.targetCalls).toBe(speculative.rounds.length);
    expect(s.draftCalls).toBe(speculative.rounds.reduce((n, r) => n + r.draftLength, 0));
    expect(s.targetCallsPerToken).toBeLessThan(1);
    expect(s.theoreticalTokensPerCall).toBeGreaterThan(1);
    expect(baseline!.statistics.targetCalls).toBe(TOKENS);
    expect(trace.speedup).toBeGreaterThan(0);
    for (const round of speculative.rounds) {
      expect(round.exact).toBe(true);
      for (const token of round.tokens.filter((t) => t.status === 'accepted' || t.status === 'rejected')) {
        expect(token.p).toBeGreaterThanOrEqual(0);
        expect(token.q).toBeGreaterThan(0);
      }
    }
  });

  test('every mapped byte is counted against a lane, and it is ids, summaries and verification results', async () => {
    const session = await SpeculativeSession.create(await options({ name: 'speculative', draftLength: 3 }));
    const mapAsync = GPUBuffer.prototype.mapAsync;
    let mapped = 0;
    GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode, offset = 0, size?: number) {
      mapped += size ?? this.size - offset;
      return mapAsync.call(this, mode, offset, size);
    };
    try {
      await session.run();
    } finally {
      GPUBuffer.prototype.mapAsync = mapAsync;
    }
    const { speculative, baseline } = session.trace();
    session.dispose();
    expect(speculative.statistics.readbackBytes + baseline!.statistics.readbackBytes).toBe(mapped);
    // Baseline: one fused step per token (2 x 128-byte summaries, 32-byte decision, 8-byte token).
    expect(baseline!.statistics.readbackBytesPerToken).toBe(296);
    // Speculative: a fused step per drafted token plus (5 + 4K) words per verification.
    const drafted = speculative.statistics.drafted;
    const verifications = speculative.rounds.filter((r) => r.draftLength > 0);
    const kernelBytes = verifications.reduce((sum, r) => sum + (5 + 4 * r.draftLength) * 4, 0);
    const plainTarget = speculative.rounds.length - verifications.length;
    expect(speculative.statistics.readbackBytes).toBe((drafted + plainTarget) * 296 + kernelBytes);
  });

  test('Entropy Adaptive Decoding and FoReaL: not exact, tokens counted per model', async () => {
    const ead = (await runSession({ name: 'entropy-switch', window: 3, threshold: 1.75 })).trace.speculative;
    expect(ead.statistics.exact).toBe(false);
    const { smallTokens, largeTokens } = ead.methodStatistics as Record<string, number>;
    expect(smallTokens + largeTokens).toBe(TOKENS);
    // The threshold sits inside this model's rolling entropies (1.6-2.0 nats), so both models write.
    expect(smallTokens).toBeGreaterThan(0);
    expect(largeTokens).toBeGreaterThan(0);
    ead.rounds.forEach((r) =>
      expect(r.tokens[0].source).toBe(Number(r.extra!.rollingEntropy) > 1.75 ? 'target' : 'draft'),
    );
    expect(ead.statistics.tokensBySource.draft).toBe(smallTokens);
    expect(ead.statistics.draftCalls).toBe(TOKENS);
    expect(ead.rounds.every((r) => typeof r.extra?.rollingEntropy === 'number')).toBe(true);

    // Sentences end at token 2 here; the leader writes the first 2 tokens of each.
    const { pair } = await ready;
    const session = await SpeculativeSession.create({ ...(await options({ name: 'foreal', leaderTokens: 2, gate: 1 })), sentenceEndTokenIds: [2] }); // prettier-ignore
    await session.run();
    const foreal = session.trace().speculative;
    session.dispose();
    const sources = foreal.rounds.map((r) => r.tokens[0].source);
    expect(sources.slice(0, 2)).toEqual(['target', 'target']);
    foreal.tokens.forEach((_, i) => {
      // A token right after a sentence end is the leader's.
      if (i > 0 && foreal.tokens[i - 1] === 2) expect(sources[i]).toBe('target');
    });
    expect(foreal.statistics.exact).toBe(false);
    expect(foreal.statistics.targetCalls + foreal.statistics.draftCalls).toBe(TOKENS);
    expect(pair.target.info.name).toBe('tiny-target');
  });

  test('Judge decoding is labelled not exact; at threshold 0 the judge accepts every draft', async () => {
    const judge = (await runSession({ name: 'judge', draftLength: 3, threshold: 0.5, learningRate: 0.5 })).trace.speculative; // prettier-ignore
    expect(judge.statistics.exact).toBe(false);
    expect(judge.rounds.every((r) => r.exact === false)).toBe(true);
    expect(judge.methodStatistics.headUpdates).toBeGreaterThan(0);
    const lenient = (await runSession({ name: 'judge', draftLength: 3, threshold: 0, learningRate: 0.5 })).trace.speculative; // prettier-ignore
    expect(lenient.statistics.acceptanceRate).toBe(1);
    expect(lenient.rounds.flatMap((r) => r.tokens).some((t) => t.judged)).toBe(true);
  });

  test('a model that fails mid-run ends the lane with its message; the lane never hangs', async () => {
    const { gpu, pair } = await ready;
    let calls = 0;
    const failing: LanguageModel = Object.create(pair.target, {
      forward: {
        value: (request: Parameters<LanguageModel['forward']>[0]) =>
          ++calls === 3 ? Promise.reject(new Error('out of KV cache pages')) : pair.target.forward(request),
      },
    });
    const lane = await SpeculativeLane.create({ ...(await options(METHOD_DEFAULTS.speculative)), gpu, target: failing }); // prettier-ignore
    await expect(lane.run()).rejects.toThrow('out of KV cache pages');
    expect(lane.stopReason).toBe('error');
    expect(lane.trace().error).toBe('out of KV cache pages');
    expect(await lane.round()).toBeNull();
    lane.dispose();
  });
});
