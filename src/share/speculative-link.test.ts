// The Speculative share link: round trips (every method, pinned and unpinned models, key order not
// mattering), refusals that say what is wrong (damaged, newer, Decode links, the engine's ranges),
// and a seeded fuzz of 3,000 mutations: nothing throws, and every result is either a valid setup
// that re-encodes to itself or an error with a short message (never 'internal').
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { METHOD_DEFAULTS } from '../speculative/defaults';
import type { SpeculativeMethodName } from '../speculative/types';
import { methodProblems, samplingProblems } from '../speculative/validate';
import { canonicalJson, encodeBase64Url } from './bytes';
import { encodeLink } from './codec';
import { defaultExperiment } from './methods';
import {
  decodeSpeculativeLink,
  defaultModelRef,
  encodeSpeculativeLink,
  SpeculativeLinkEncodeError,
  type SetupCheck,
  type SpeculativeSetup,
} from './speculative-link';
import { mutateJson, seededRandom, shuffleKeys, type Random } from './testing';

const check: SetupCheck = (setup) => [...methodProblems(setup.method), ...samplingProblems(setup.sampling)];
const HASH = 'ab'.repeat(32);

function setup(overrides: Partial<SpeculativeSetup> = {}): SpeculativeSetup {
  return {
    version: 1,
    models: { target: defaultModelRef('shapes-expert'), draft: defaultModelRef('shapes-draft') },
    prompt: 'the picture shows',
    method: { ...METHOD_DEFAULTS.speculative },
    sampling: { greedy: true, temperature: 1, draftTemperature: 1 },
    seed: 0,
    maxTokens: 16,
    ...overrides,
  };
}

const textLink = (json: string) => `x1.${encodeBase64Url(deflateSync(new TextEncoder().encode(json)))}`;

function randomSetup(random: Random): SpeculativeSetup {
  const name = random.pick(Object.keys(METHOD_DEFAULTS) as SpeculativeMethodName[]);
  const pinned: Record<string, string> = random.bool()
    ? { 'model.safetensors': HASH, 'tokenizer.json': 'cd'.repeat(32) }
    : {};
  return setup({
    models: {
      target: random.bool() ? { source: 'hub', id: 'owner/model', revision: 'main', sha256: pinned } : { ...defaultModelRef('shapes-expert'), sha256: pinned }, // prettier-ignore
      draft: random.bool() ? { source: 'url', id: 'https://example.org/draft/', sha256: {} } : defaultModelRef('shapes-draft'), // prettier-ignore
    },
    prompt: random.pick(['', 'the picture shows', 'é 🙂 "quoted" \\ %23', 'a'.repeat(200)]),
    method: { ...METHOD_DEFAULTS[name] },
    sampling: { greedy: random.bool(), temperature: random.pick([0.1, 0.7, 1, 2.5]), draftTemperature: random.pick([0.5, 1]) }, // prettier-ignore
    seed: random.int(0, 2 ** 40),
    maxTokens: random.int(1, 512),
  });
}

describe('speculative links', () => {
  it('round-trip every method, in any key order, to the same link', () => {
    const random = seededRandom(7);
    for (const name of Object.keys(METHOD_DEFAULTS) as SpeculativeMethodName[]) {
      const original = setup({ method: { ...METHOD_DEFAULTS[name] }, seed: 123_456_789_012 });
      const link = encodeSpeculativeLink(original, check);
      expect(link).toMatch(/^x1\.[A-Za-z0-9_-]+$/);
      expect(decodeSpeculativeLink(link, check)).toEqual({ ok: true, setup: original });
      expect(encodeSpeculativeLink(shuffleKeys(original, random), check)).toBe(link);
      // The forms a user pastes: the hash, the full URL.
      expect(decodeSpeculativeLink(`#speculative/${link}`, check)).toEqual({ ok: true, setup: original });
      expect(decodeSpeculativeLink(`https://host/app/?q=1#speculative/${link}`, check)).toEqual({ ok: true, setup: original }); // prettier-ignore
    }
    const spectr = setup({ method: { name: 'spectr', draftLength: 3, candidates: 4, rho: 2.5 } });
    expect(decodeSpeculativeLink(encodeSpeculativeLink(spectr, check), check)).toEqual({
      ok: true,
      setup: spectr,
    });
  });

  it('refuses damaged, foreign and newer links with what to do', () => {
    const link = encodeSpeculativeLink(setup(), check);
    const error = (text: string) => {
      const result = decodeSpeculativeLink(text, check);
      expect(result.ok).toBe(false);
      return result.ok ? null : result.error;
    };
    expect(error(link.slice(0, -3))).toMatchObject({ code: 'corrupted', message: expect.stringMatching(/^the link is damaged: .*Copy the whole link again\.$/) }); // prettier-ignore
    expect(error('x2.abc')?.message).toContain('newer LogitLab');
    expect(error('x01.abc')?.code).toBe('unknown-version');
    expect(error('#speculative/')?.code).toBe('empty');
    expect(error('https://example.org/page')?.code).toBe('not-logitlab');
    expect(error(`#decode/${encodeLink(defaultExperiment())}`)?.message).toContain(
      'open it in the Decode tab',
    );
    expect(error(encodeLink(defaultExperiment()))?.message).toContain('holds a Decode experiment');
    expect(error(textLink('{"version":1'))?.code).toBe('invalid-json');
    expect(error(textLink(JSON.stringify({ ...setup(), version: 2 })))?.message).toContain('it was edited');
  });

  it("refuses a setup the engine refuses, in the engine's words, and never encodes one", () => {
    const tooLong = JSON.stringify({ ...setup(), method: { name: 'speculative', draftLength: 17 } });
    expect(decodeSpeculativeLink(textLink(tooLong), check)).toMatchObject({
      ok: false,
      error: {
        code: 'invalid-experiment',
        message:
          "the link's setup is not valid: speculative draft length K must be an integer in 1..16, got 17",
      },
    });
    const threshold = JSON.stringify({ ...setup(), method: { ...METHOD_DEFAULTS.judge, threshold: 1.5 } });
    expect(decodeSpeculativeLink(textLink(threshold), check)).toMatchObject({ ok: false, error: { message: expect.stringContaining('judge threshold must be in [0, 1], got 1.5') } }); // prettier-ignore
    const unknown = JSON.stringify({ ...setup(), method: { name: 'beam', width: 4 } });
    expect(decodeSpeculativeLink(textLink(unknown), check)).toMatchObject({ ok: false, error: { message: expect.stringContaining('method.name: "beam" is unknown') } }); // prettier-ignore
    const extra = JSON.stringify({ ...setup(), lanesX: 1 });
    expect(decodeSpeculativeLink(textLink(extra), check)).toMatchObject({ ok: false, error: { message: expect.stringContaining('unknown field "lanesX"') } }); // prettier-ignore
    expect(() => encodeSpeculativeLink(setup({ method: { name: 'spectr', draftLength: 4, candidates: 0 } }), check)).toThrow(SpeculativeLinkEncodeError); // prettier-ignore
    expect(() => encodeSpeculativeLink(setup({ seed: Number.NaN }), check)).toThrow(
      SpeculativeLinkEncodeError,
    );
  });

  it('survives 3,000 seeded mutations: nothing throws, results are valid setups or clear errors', () => {
    const random = seededRandom(0x5bec);
    const setups = Array.from({ length: 12 }, () => randomSetup(random));
    const links = setups.map((s) => encodeSpeculativeLink(s, check));
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_%#.=é🙂 ';
    let valid = 0;
    for (let i = 0; i < 3000; i++) {
      const link = random.pick(links);
      let mutated: string;
      switch (random.int(0, 4)) {
        case 0: {
          const at = random.int(0, link.length - 1);
          mutated = link.slice(0, at) + random.pick([...chars]) + link.slice(at + 1);
          break;
        }
        case 1:
          mutated = link.slice(0, random.int(0, link.length - 1));
          break;
        case 2: {
          const at = random.int(0, link.length - 1);
          mutated = link.slice(0, at) + link.slice(at + random.int(1, 6));
          break;
        }
        case 3: {
          let value: unknown = JSON.parse(canonicalJson(random.pick(setups)));
          for (let n = random.int(1, 3); n > 0; n--) value = mutateJson(value, random);
          mutated = textLink(JSON.stringify(value));
          break;
        }
        default:
          mutated = link + link.slice(random.int(3, link.length - 1));
      }
      const result = decodeSpeculativeLink(mutated, check);
      if (result.ok) {
        valid++;
        expect(check(result.setup)).toEqual([]);
        expect(decodeSpeculativeLink(encodeSpeculativeLink(result.setup, check), check)).toEqual(result);
      } else {
        expect(result.error.code, `mutation ${i}: ${mutated}`).not.toBe('internal');
        expect(result.error.message.length).toBeGreaterThan(10);
        expect(result.error.message.length).toBeLessThan(600);
      }
    }
    // Some mutations (a duplicated key order, a replaced number) still decode: the test saw both kinds.
    expect(valid).toBeGreaterThan(0);
    expect(valid).toBeLessThan(3000);
  }, 180_000);
});
