// Evaluation links: round trips (whatever the key order), refusals with messages, a fuzz of seeded
// mutations that never throws and never yields an invalid config, and exampleLink's Decode links.
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { canonicalJson, encodeBase64Url } from '../share/bytes';
import { decodeLink } from '../share/codec';
import { defaultLane } from '../share/methods';
import { mutateJson, randomLane, seededRandom, shuffleKeys, type Random } from '../share/testing';
import { POPE_SPLITS } from '../world';
import { defaultEvaluationConfig, type EvaluationConfig } from './config';
import { decodeEvaluationLink, encodeEvaluationLink, evaluationUrl, exampleLink } from './link';
import { validateEvaluationConfig } from './schema';

const textLink = (json: string, prefix = 'x1.') =>
  prefix + encodeBase64Url(deflateSync(new TextEncoder().encode(json)));

/** A random valid config: random catalog lanes (with an amateur when one needs it), benchmarks, seeds. */
function randomConfig(random: Random): EvaluationConfig {
  const lanes = Array.from({ length: random.int(1, 6) }, (_, i) => randomLane(random, `lane-${i + 1}`));
  const config: EvaluationConfig = {
    ...defaultEvaluationConfig(),
    lanes,
    benchmarks: {
      ...(random.bool(0.8)
        ? {
            pope: {
              splits: POPE_SPLITS.filter(() => random.bool(0.7)).concat([]),
              scenes: random.int(1, 500),
              questionsPerScene: random.int(1, 4),
              maxTokens: random.int(1, 8),
            },
          }
        : {}),
      chair: { scenes: random.int(1, 500), maxTokens: random.int(1, 64), prompt: 'the picture shows' },
    },
    decodeSeed: random.int(0, 2 ** 40),
    bootstrap: { resamples: random.int(10, 2000), seed: random.int(0, 1000), confidence: 0.9 },
  };
  if (config.benchmarks.pope && config.benchmarks.pope.splits.length === 0)
    config.benchmarks.pope.splits = ['adversarial'];
  config.models.amateur = { source: 'default', id: 'shapes-amateur', sha256: {} };
  if (random.bool(0.4)) {
    const lane = lanes[random.int(0, lanes.length - 1)];
    config.sweep = {
      lane: lane.id,
      parameter: 'sampling.temperature',
      values: [0.5, 1, 1.5].slice(0, random.int(1, 3)),
    };
  }
  const checked = validateEvaluationConfig(config);
  if (!checked.ok) throw new Error(`randomConfig made an invalid config:\n${checked.issues.join('\n')}`);
  return checked.config;
}

describe('evaluation links', () => {
  it('round trip the default and 30 random configs, whatever the key order', () => {
    const random = seededRandom(0xe7a1);
    for (const config of [
      defaultEvaluationConfig(),
      ...Array.from({ length: 30 }, () => randomConfig(random)),
    ]) {
      const link = encodeEvaluationLink(config);
      expect(link).toMatch(/^x1\.[A-Za-z0-9_-]+$/);
      expect(encodeEvaluationLink(shuffleKeys(config, random))).toBe(link);
      expect(decodeEvaluationLink(`#evaluate/${link}`)).toEqual({ ok: true, config });
      expect(decodeEvaluationLink(`https://logitlab.example/app?x=1#evaluate/${link}`)).toEqual({
        ok: true,
        config,
      });
      expect(decodeEvaluationLink(link)).toEqual({ ok: true, config });
    }
    expect(evaluationUrl(defaultEvaluationConfig(), 'https://a.b/c#decode/x1.zz')).toBe(
      `https://a.b/c#evaluate/${encodeEvaluationLink(defaultEvaluationConfig())}`,
    );
  });

  it('refuse other links and damage with a message and a code', () => {
    const code = (link: string) => {
      const result = decodeEvaluationLink(link);
      return result.ok ? 'ok' : result.error.code;
    };
    const good = encodeEvaluationLink(defaultEvaluationConfig());
    expect(code('')).toBe('empty');
    expect(code('#evaluate/')).toBe('empty');
    expect(code('https://example.org/page')).toBe('not-logitlab');
    expect(code('#decode/x1.abc')).toBe('decode-link');
    expect(code('#evaluate/x9.abc')).toBe('newer-version');
    expect(code('#evaluate/x0.abc')).toBe('unknown-version');
    expect(code('#evaluate/x1')).toBe('corrupted');
    expect(code(`#evaluate/${good.slice(0, -5)}`)).toBe('corrupted');
    expect(code(`#evaluate/${good}!`)).toBe('corrupted');
    expect(code(textLink('{"version":1'))).toBe('invalid-json');
    expect(code(textLink('{"version":2}'))).toBe('corrupted');
    expect(code('x'.repeat(70_000))).toBe('too-long');
    const invalid = decodeEvaluationLink(
      textLink(canonicalJson({ ...defaultEvaluationConfig(), lanes: [] })),
    );
    expect(invalid).toEqual({
      ok: false,
      error: {
        code: 'invalid-evaluation',
        message: "the link's evaluation is not valid: lanes: has 0 entries; at least 1 allowed",
        details: ['lanes: has 0 entries; at least 1 allowed'],
      },
    });
    expect(() => encodeEvaluationLink({ ...defaultEvaluationConfig(), lanes: [] })).toThrow(
      /cannot share an invalid evaluation/,
    );
  });

  it('fuzz: 1,000 seeded mutations never throw; each decodes to a valid config or a non-internal error', () => {
    const random = seededRandom(0xf022);
    const configs = [defaultEvaluationConfig(), ...Array.from({ length: 8 }, () => randomConfig(random))];
    const links = configs.map(encodeEvaluationLink);
    const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_%#.=+/ é{}"';
    for (let i = 0; i < 1000; i++) {
      let link: string;
      const kind = i % 4;
      if (kind === 0) {
        const chars = [...random.pick(links)];
        for (let n = random.int(1, 4); n > 0; n--)
          chars[random.int(0, chars.length - 1)] = CHARS[random.int(0, CHARS.length - 1)];
        link = chars.join('');
      } else if (kind === 1) {
        const base = random.pick(links);
        link = base.slice(0, random.int(0, base.length - 1));
      } else {
        let value: unknown = JSON.parse(canonicalJson(random.pick(configs)));
        for (let n = random.int(1, 3); n > 0; n--) value = mutateJson(value, random);
        link = textLink(JSON.stringify(value));
      }
      const result = decodeEvaluationLink(`#evaluate/${link}`);
      if (result.ok) {
        expect(validateEvaluationConfig(result.config)).toEqual({ ok: true, config: result.config });
      } else {
        expect(result.error.code).not.toBe('internal');
        expect(result.error.message.length).toBeGreaterThan(10);
        expect(result.error.message.length).toBeLessThan(2000);
      }
    }
    // Bounded by iterations, not time; a few seconds on a loaded 2-core machine.
  }, 60_000);
});

describe('exampleLink', () => {
  it('is the Decode link of one example with one lane (after the sweep): models, prompt, image, seed, budget', () => {
    const config: EvaluationConfig = {
      ...defaultEvaluationConfig(),
      decodeSeed: 100,
      lanes: [defaultLane('plain', 'greedy'), defaultLane('vcd', 'vcd')],
      sweep: { lane: 'vcd', parameter: 'alpha', values: [0, 2] },
    };
    const link = exampleLink(config, 2, {
      benchmark: 'pope',
      sceneIndex: 7,
      prompt: 'is there a star ?',
      image: { kind: 'scene', seed: config.seed, index: 7 },
    });
    expect(link.startsWith('#decode/x1.')).toBe(true);
    expect(decodeLink(link)).toEqual({
      ok: true,
      experiment: {
        version: 1,
        models: config.models,
        prompt: 'is there a star ?',
        image: { kind: 'scene', seed: config.seed, index: 7 },
        seed: 107,
        maxTokens: 3,
        lanes: [{ ...defaultLane('vcd', 'vcd-2'), method: { ...defaultLane('vcd').method, alpha: 2 } }],
      },
    });
    const caption = decodeLink(
      exampleLink(config, 0, {
        benchmark: 'chair',
        sceneIndex: 0,
        prompt: 'the picture shows',
        image: { kind: 'scene', seed: 5, index: 0 },
      }),
    );
    expect(caption.ok && caption.experiment.maxTokens).toBe(40);
    expect(() =>
      exampleLink(config, 3, {
        benchmark: 'pope',
        sceneIndex: 0,
        prompt: 'x',
        image: { kind: 'scene', seed: 1, index: 0 },
      }),
    ).toThrow(/lane 3 does not exist/);
  });
});
