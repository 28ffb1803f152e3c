// Greedy speculative decoding is greedy decoding: on a tiny target and a noisy copy of it as the
// draft, every greedy method (speculative K = 1..4, SpecTr, SpecDec++, prompt lookup, ADED)
// writes exactly the target's greedy tokens (a full-row argmax chain with fresh prefills), with
// rejections along the way; after those rejections the caches hold exactly the text, and
// continuing from them gives the logits of a fresh prefill.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFloat32 } from '../gpu/readback';
import { testGpu } from '../testing/gpu';
import { METHOD_DEFAULTS } from './defaults';
import { SpeculativeLane } from './lane';
import { freshLogits, greedyReference, tinyPair } from './testing';
import type { SpeculativeMethod } from './types';

const GREEDY = { greedy: true, temperature: 1, draftTemperature: 1 };
const PROMPT = [0, 2, 3, 4, 2, 3];
const TOKENS = 16;

describe('greedy speculative decoding on the WGSL engine', () => {
  const ready = testGpu().then(async (gpu) => ({
    gpu,
    pair: await tinyPair(gpu, { vocab: 12, draftNoise: 0.6 }),
  }));
  const reference = ready.then(({ gpu, pair }) => greedyReference(gpu, pair.target, PROMPT, TOKENS));
  afterAll(async () => (await ready).pair.dispose());
  // Compiling the pipelines takes one to three minutes on a loaded SwiftShader: done here, once.
  beforeAll(async () => (await runLane({ name: 'speculative', draftLength: 2 })).dispose(), 300_000);

  async function runLane(method: SpeculativeMethod) {
    const { gpu, pair } = await ready;
    const lane = await SpeculativeLane.create({
      gpu,
      target: pair.target,
      draft: pair.draft,
      method,
      sampling: GREEDY,
      seed: 1,
      prompt: PROMPT,
      maxTokens: TOKENS,
      eosTokenIds: [],
    });
    await lane.run();
    return lane;
  }

  test.each([1, 2, 3, 4])(
    'speculative K = %i gives the greedy tokens, with rejections',
    async (draftLength) => {
      const lane = await runLane({ name: 'speculative', draftLength });
      try {
        const trace = lane.trace();
        expect(trace.tokens).toEqual(await reference);
        expect(trace.stopReason).toBe('max-tokens');
        const statuses = trace.rounds.flatMap((r) => r.tokens.map((t) => t.status));
        expect(statuses).toContain('accepted');
        expect(statuses).toContain('rejected');
        expect(trace.statistics.targetCalls).toBe(trace.rounds.length);
        expect(trace.statistics.targetCallsPerToken).toBeLessThan(1);
      } finally {
        lane.dispose();
      }
    },
  );

  test('after rejections the caches hold the text, and continuing equals a fresh prefill', async () => {
    const { gpu, pair } = await ready;
    const lane = await runLane({ name: 'speculative', draftLength: 3 });
    try {
      const rounds = lane.trace().rounds;
      expect(rounds.some((r) => r.tokens.some((t) => t.status === 'rejected'))).toBe(true);
      const text = [...PROMPT, ...lane.tokens];
      const { target, draft } = lane.sequences;
      // The last token is the next round's input; a round that ended in a bonus leaves the draft
      // one more behind (it never read the last draft).
      const bonus = rounds[rounds.length - 1].tokens.some((t) => t.status === 'bonus');
      expect(pair.target.sequenceLength(target)).toBe(text.length - 1);
      expect(pair.draft.sequenceLength(draft!)).toBe(text.length - (bonus ? 2 : 1));
      for (const [model, sequence] of [
        [pair.target, target],
        [pair.draft, draft!],
      ] as const) {
        const pending = text.slice(model.sequenceLength(sequence));
        const { logits } = await model.forward({
          sequences: [{ sequence, tokens: pending }],
          logits: 'last',
        });
        const continued = await readFloat32(gpu, logits, 12);
        const fresh = await freshLogits(gpu, model, text);
        continued.forEach((v, i) => expect(v).toBeCloseTo(fresh[i], 4));
      }
    } finally {
      lane.dispose();
    }
  });

  test.each<SpeculativeMethod>([
    { name: 'spectr', draftLength: 3, candidates: 3 },
    { ...METHOD_DEFAULTS.specdecpp, maxDraftLength: 4 },
    { ...METHOD_DEFAULTS.specdecpp, stopRule: 'confidence', threshold: 0.5 },
    { name: 'prompt-lookup', draftLength: 4, maxNgram: 3, minNgram: 1 },
    { name: 'aded', draftLength: 4 },
  ])('$name gives the greedy tokens', async (method) => {
    const lane = await runLane(method);
    try {
      const trace = lane.trace();
      expect(trace.tokens).toEqual(await reference);
      expect(trace.rounds.some((r) => r.accepted > 0)).toBe(true);
      expect(trace.statistics.exact).toBe(true);
    } finally {
      lane.dispose();
    }
  });
});
