// Fuzz test of decodeLink: 5,000 seeded mutations of valid links. Properties: nothing throws; every
// result is either a schema-valid experiment that re-encodes to itself, or a ShareLinkError with a
// short, non-empty message and never the 'internal' code. Bounded by iteration count, not by time.
import { deflateSync } from 'fflate';
import { expect, test } from 'vitest';
import { canonicalJson, encodeBase64Url } from './bytes';
import { MAX_LINK_CHARS, decodeLink, encodeLink, type DecodeLinkResult } from './codec';
import { defaultExperiment } from './methods';
import { validateExperiment } from './schema';
import { mutateJson, randomExperiment, seededRandom, type Random } from './testing';

const ITERATIONS = 5000;
const SEED = 0x5eed;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ODD_CHARS = ['%', '#', '.', '=', '+', '/', ' ', '\n', '{', '}', '"', 'é', '🙂', '\u0000', 'x'];

function randomChar(random: Random): string {
  return random.bool(0.8) ? BASE64URL[random.int(0, 63)] : random.pick(ODD_CHARS);
}

function deflatedLink(bytes: Uint8Array, prefix = 'x1.'): string {
  return prefix + encodeBase64Url(deflateSync(bytes));
}

function textLink(json: string, prefix = 'x1.'): string {
  return deflatedLink(new TextEncoder().encode(json), prefix);
}

/** DEFLATE streams that expand far past the inflate limit, from a few kilobytes of link. */
function zipBombs(): string[] {
  const spaces = new Uint8Array(4 * 1024 * 1024).fill(32);
  const prefix = new TextEncoder().encode('{"version":1,"prompt":"');
  const inString = new Uint8Array(3 * 1024 * 1024).fill(97);
  inString.set(prefix);
  const deep = new TextEncoder().encode('['.repeat(200_000));
  return [deflatedLink(spaces), deflatedLink(inString), deflatedLink(deep)];
}

type Mutation = (link: string, random: Random) => string;

function charEdit(edit: (chars: string[], at: number, random: Random) => void): Mutation {
  return (link, random) => {
    const chars = [...link];
    edit(chars, random.int(0, Math.max(0, chars.length - 1)), random);
    return chars.join('');
  };
}

function formatZeroJson(random: Random): unknown {
  const { version: _version, models, ...rest } = randomExperiment(random);
  return { ...rest, model: models.main, ...(models.amateur ? { amateur: models.amateur } : {}) };
}

function main(): void {
  const random = seededRandom(SEED);
  const experiments = [defaultExperiment(), ...Array.from({ length: 20 }, () => randomExperiment(random))];
  const links = experiments.map(encodeLink);
  const bombs = zipBombs();

  const mutations: Record<string, Mutation> = {
    flip: charEdit((chars, at, r) => (chars[at] = randomChar(r))),
    insert: charEdit((chars, at, r) => chars.splice(at, 0, randomChar(r))),
    delete: charEdit((chars, at, r) => chars.splice(at, r.int(1, 8))),
    truncate: (link, r) => link.slice(0, r.int(0, link.length - 1)),
    swap: charEdit((chars, at, r) => {
      const other = r.int(0, chars.length - 1);
      [chars[at], chars[other]] = [chars[other], chars[at]];
    }),
    duplicate: (link, r) => link + link.slice(r.int(3, link.length - 1)),
    mutatedJson: (_, r) => {
      let value: unknown = JSON.parse(canonicalJson(r.pick(experiments)));
      for (let n = r.int(1, 3); n > 0; n--) value = mutateJson(value, r);
      return textLink(JSON.stringify(value));
    },
    mutatedJsonText: (_, r) => {
      const chars = [...canonicalJson(r.pick(experiments))];
      for (let n = r.int(1, 3); n > 0; n--)
        chars[r.int(0, chars.length - 1)] = r.pick(['"', '{', ']', ',', '9', '-', 'e', ' ']);
      return textLink(chars.join(''));
    },
    garbage: (_, r) => {
      const prefix = r.pick([
        'x1.',
        'x2.',
        'x0.',
        'x1',
        'j.',
        '{',
        '#',
        '',
        '%7B',
        'https://a.example/#x1.',
        'x9999999999.',
      ]);
      return prefix + Array.from({ length: r.int(0, 200) }, () => randomChar(r)).join('');
    },
    randomBytes: (_, r) => {
      const bytes = Uint8Array.from({ length: r.int(0, 300) }, () => r.int(0, 255));
      return r.bool() ? deflatedLink(bytes) : `x1.${encodeBase64Url(bytes)}`;
    },
    huge: (_, r) => {
      const length = MAX_LINK_CHARS + r.int(-10, 10);
      return `x1.${Array.from({ length: Math.ceil((length - 3) / 64) }, () => BASE64URL)
        .join('')
        .slice(0, length - 3)}`;
    },
    zipBomb: (_, r) => {
      const bomb = r.pick(bombs);
      return r.bool(0.3) ? bomb.slice(0, r.int(4, bomb.length)) : bomb;
    },
    formatZero: (_, r) => {
      let value = formatZeroJson(r);
      if (r.bool(0.7)) value = mutateJson(value, r);
      const json = JSON.stringify(value);
      const form = r.int(0, 2);
      if (form === 0) return `#${json}`;
      if (form === 1) return `#${encodeURIComponent(json)}`;
      return `#j.${encodeBase64Url(new TextEncoder().encode(json))}`;
    },
    versionTag: (link, r) => `x${r.pick(['0', '1', '2', '01', '10', '', '-1', '1e0'])}${link.slice(2)}`,
  };
  // How often each mutation runs, relative to the others; the expensive ones (zip bombs, 64 KB links) are rarer.
  const weights: Record<string, number> = {
    flip: 4,
    mutatedJson: 4,
    formatZero: 3,
    duplicate: 1,
    huge: 1,
    zipBomb: 1,
    versionTag: 1,
  };
  const names = Object.keys(mutations);
  const schedule = names.flatMap((name) => Array<string>(weights[name] ?? 2).fill(name));
  const perMutation = Object.fromEntries(names.map((name) => [name, 0]));
  const outcomes: Record<string, number> = {};
  let iterations = 0;

  for (let i = 0; i < ITERATIONS; i++) {
    const name = schedule[i % schedule.length];
    const input = mutations[name](random.pick(links), random);
    let result: DecodeLinkResult;
    try {
      result = decodeLink(input);
    } catch (error) {
      throw new Error(
        `iteration ${i} (${name}, seed ${SEED}) threw ${String(error)} for ${input.slice(0, 120)}`,
      );
    }
    const where = `iteration ${i} (${name})`;
    if (result.ok) {
      expect(validateExperiment(result.experiment).ok, where).toBe(true);
      expect(decodeLink(encodeLink(result.experiment)), where).toEqual({
        ok: true,
        experiment: result.experiment,
      });
      outcomes.ok = (outcomes.ok ?? 0) + 1;
    } else {
      const { code, message, details } = result.error;
      expect(code, `${where}: ${message}`).not.toBe('internal');
      expect(typeof message === 'string' && message.length > 0 && message.length < 1000, where).toBe(true);
      expect(details.length, where).toBeLessThanOrEqual(21);
      expect(
        details.every((line) => typeof line === 'string' && line.length > 0 && line.length < 1000),
        where,
      ).toBe(true);
      outcomes[code] = (outcomes[code] ?? 0) + 1;
    }
    perMutation[name]++;
    iterations++;
  }

  expect(iterations).toBe(ITERATIONS);
  for (const name of names) {
    const expected = Math.floor(ITERATIONS / schedule.length) * (weights[name] ?? 2);
    expect(perMutation[name], name).toBeGreaterThanOrEqual(expected);
    expect(perMutation[name], name).toBeGreaterThanOrEqual(100);
  }
  // Every outcome class was reached, so the fuzzer exercises each branch of the decoder.
  for (const code of [
    'ok',
    'corrupted',
    'too-large',
    'too-long',
    'invalid-json',
    'invalid-experiment',
    'not-logitlab',
    'newer-version',
    'unknown-version',
  ]) {
    expect(outcomes[code] ?? 0, `outcome ${code} in ${JSON.stringify(outcomes)}`).toBeGreaterThan(0);
  }
}

test(`decodeLink survives ${ITERATIONS} seeded mutations of valid links`, main, 180_000);
