import { deflateSync } from 'fflate';
import { describe, expect, test } from 'vitest';
import { canonicalJson, decodeBase64Url, encodeBase64Url } from './bytes';
import {
  ExperimentEncodeError,
  MAX_INFLATED_BYTES,
  MAX_LINK_CHARS,
  decodeLink,
  encodeLink,
  shareUrl,
  type DecodeLinkResult,
  type ShareLinkErrorCode,
} from './codec';
import type { Experiment } from './experiment';
import { METHOD_NAMES, defaultExperiment, defaultLane } from './methods';
import { CURRENT_FORMAT, MIGRATIONS } from './migrations';
import { randomExperiment, randomHex64, seededRandom, shuffleKeys } from './testing';

/** A versioned link around arbitrary bytes, as a tampered or hand-made link would be. */
function rawLink(json: string, format = 1): string {
  return `x${format}.${encodeBase64Url(deflateSync(new TextEncoder().encode(json)))}`;
}

function expectError(result: DecodeLinkResult, code: ShareLinkErrorCode): string {
  if (result.ok) throw new Error(`expected a ${code} error, got an experiment`);
  expect(result.error.code, result.error.message).toBe(code);
  expect(result.error.message.length).toBeGreaterThan(10);
  return result.error.message;
}

function expectOk(result: DecodeLinkResult): Experiment {
  if (!result.ok)
    throw new Error(`expected an experiment, got ${result.error.code}: ${result.error.message}`);
  return result.experiment;
}

describe('encodeLink / decodeLink round trip', () => {
  test("reads the app's own Decode-tab links (#decode/<payload>), as a hash or a full URL", () => {
    const experiment = defaultExperiment();
    const url = shareUrl(experiment, 'https://example.org/logitlab/#train');
    expect(url.startsWith(`https://example.org/logitlab/#decode/x1.`)).toBe(true);
    expect(decodeLink(url)).toEqual({ ok: true, experiment });
    expect(decodeLink(`#decode/${encodeLink(experiment)}`)).toEqual({ ok: true, experiment });
  });

  test('the default experiment round-trips through a short x1 link', () => {
    const experiment = defaultExperiment();
    const link = encodeLink(experiment);
    expect(link).toMatch(/^x1\.[A-Za-z0-9_-]+$/);
    expect(link.length).toBeLessThan(400);
    expect(decodeLink(link)).toEqual({ ok: true, experiment });
  });

  test('every method round-trips with its defaults and edited parameters, Debias (calibrated) included', () => {
    for (const name of METHOD_NAMES) {
      const experiment = defaultExperiment();
      experiment.models.amateur = { source: 'default', id: 'shapes-amateur', sha256: {} };
      experiment.lanes = [defaultLane(name, 'lane-1')];
      expect(decodeLink(encodeLink(experiment)), name).toEqual({ ok: true, experiment });
    }
    const experiment = defaultExperiment();
    experiment.prompt = 'is there a red star ?';
    experiment.lanes.push({ ...defaultLane('plain', 'lane-4'), method: { method: 'debias-calibrate', answers: 'Yes  No', reference: 'noise' } }); // prettier-ignore
    expect(decodeLink(encodeLink(experiment))).toEqual({ ok: true, experiment });
  });

  test('300 random valid experiments round-trip exactly', () => {
    const random = seededRandom(20240611);
    for (let i = 0; i < 300; i++) {
      const experiment = randomExperiment(random);
      const link = encodeLink(experiment);
      expect(decodeLink(link), `experiment ${i}`).toEqual({ ok: true, experiment });
    }
  }, 60_000);

  test('encoding is stable: the same experiment gives the same link whatever its key order', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 50; i++) {
      const experiment = randomExperiment(random);
      const link = encodeLink(experiment);
      expect(encodeLink(shuffleKeys(experiment, random))).toBe(link);
      expect(encodeLink(expectOk(decodeLink(link)))).toBe(link);
    }
    // Frozen: a change here means links made by earlier builds no longer compare equal to new ones.
    expect(canonicalJson({ b: 1, a: [{ d: undefined, c: 'x' }] })).toBe('{"a":[{"c":"x"}],"b":1}');
  });

  test('accepts a full URL, a "#..." hash or the bare payload, with surrounding whitespace', () => {
    const experiment = defaultExperiment();
    const link = encodeLink(experiment);
    for (const input of [
      link,
      `#${link}`,
      `https://logitlab.example/app/?tab=decode#${link}`,
      `  ${link}\n`,
    ]) {
      expect(expectOk(decodeLink(input))).toEqual(experiment);
    }
    expect(shareUrl(experiment, 'https://a.example/#old')).toBe(`https://a.example/#decode/${link}`);
  });

  test('encodeLink refuses an invalid experiment with the schema lines', () => {
    const experiment = defaultExperiment();
    (experiment.lanes[1].method as { alpha: number }).alpha = 7;
    expect(() => encodeLink(experiment)).toThrow(ExperimentEncodeError);
    try {
      encodeLink(experiment);
    } catch (error) {
      expect((error as ExperimentEncodeError).issues).toEqual([
        'lanes[1].method.alpha: 7 is above the maximum 5 (VCD alpha allows 0 to 5)',
      ]);
    }
  });
});

describe('decodeLink errors', () => {
  test('empty, too long and not a LogitLab link', () => {
    expect(expectError(decodeLink('https://x.example/#'), 'empty')).toMatch(/nothing after "#"/);
    expect(expectError(decodeLink(''), 'empty')).toBeTruthy();
    expect(expectError(decodeLink(`#x1.${'A'.repeat(MAX_LINK_CHARS)}`), 'too-long')).toMatch(/at most 65536/);
    expect(expectError(decodeLink('https://x.example/page'), 'not-logitlab')).toMatch(/no "#\.\.\." part/);
    expect(expectError(decodeLink('#section-2'), 'not-logitlab')).toBe(
      '"#section-2" is not a LogitLab experiment link: those start with "#x1."',
    );
    expect(expectError(decodeLink(42 as unknown as string), 'not-logitlab')).toMatch(/must be text/);
  });

  test('a newer format asks to update the app; format tags that never existed are unknown', () => {
    expect(expectError(decodeLink(rawLink('{"version":2}', 2)), 'newer-version')).toBe(
      'this link was made by a newer LogitLab (format x2); update the app to open it',
    );
    expect(expectError(decodeLink(`x${'9'.repeat(40)}.AAAA`), 'newer-version')).toMatch(
      /format x9{12}\.\.\./,
    );
    expect(expectError(decodeLink('x0.AAAA'), 'unknown-version')).toMatch(
      /"x0\." is not a LogitLab link format/,
    );
    expect(expectError(decodeLink('x01.AAAA'), 'unknown-version')).toBeTruthy();
    expect(expectError(decodeLink('#{"version":3}'), 'newer-version')).toMatch(/format x3/);
  });

  test('damaged links: bad characters, cut base64, broken compression, cut after the tag', () => {
    const link = encodeLink(defaultExperiment());
    expect(expectError(decodeLink(`${link.slice(0, 20)}%${link.slice(21)}`), 'corrupted')).toMatch(
      /character "%" at position 17 cannot appear/,
    );
    expect(expectError(decodeLink(link.slice(0, 3 + 4 * 20 + 1)), 'corrupted')).toMatch(
      /cannot encode whole bytes/,
    );
    expect(expectError(decodeLink(link.slice(0, 3 + 56)), 'corrupted')).toMatch(
      /compressed data is damaged \(unexpected EOF\)/,
    );
    expect(
      expectError(decodeLink(`x1.${encodeBase64Url(new Uint8Array([0xff, 0xff, 0xff, 0xff]))}`), 'corrupted'),
    ).toMatch(/damaged/);
    expect(expectError(decodeLink('x1'), 'corrupted')).toMatch(/cut when copied/);
    expect(expectError(decodeLink('x1.AB'), 'corrupted')).toMatch(/stray bits/);
    expect(
      expectError(
        decodeLink(`x1.${encodeBase64Url(deflateSync(new Uint8Array([0xc3, 0x28])))}`),
        'corrupted',
      ),
    ).toMatch(/not valid UTF-8/);
  });

  test('a zip bomb is cut off at the inflate limit', () => {
    const bomb = deflateSync(new Uint8Array(20 * 1024 * 1024).fill(32), { level: 9 });
    const link = `x1.${encodeBase64Url(bomb)}`;
    expect(link.length).toBeLessThan(MAX_LINK_CHARS);
    expect(expectError(decodeLink(link), 'too-large')).toBe(
      `the link's content inflates to more than ${MAX_INFLATED_BYTES} bytes; real experiments are far smaller, so the link is damaged or malicious`,
    );
  });

  test('content that is not JSON, or JSON that is not a valid experiment', () => {
    expect(expectError(decodeLink(rawLink('{"version": 1,')), 'invalid-json')).toMatch(
      /^the link's content is not valid JSON/,
    );
    expect(expectError(decodeLink(rawLink('{"version": 5}')), 'corrupted')).toMatch(
      /says format x1 but its content says version 5/,
    );
    const experiment = defaultExperiment() as unknown as Record<string, unknown>;
    (experiment.lanes as { method: { alpha?: number } }[])[1].method.alpha = 7;
    experiment.seed = -1;
    const result = decodeLink(rawLink(JSON.stringify(experiment)));
    expect(expectError(result, 'invalid-experiment')).toBe(
      "the link's experiment is not valid: seed: -1 is below the minimum 0 (seed allows integers 0 to 9007199254740991) (and 1 more)",
    );
    expect(!result.ok && result.error.details).toEqual([
      'seed: -1 is below the minimum 0 (seed allows integers 0 to 9007199254740991)',
      'lanes[1].method.alpha: 7 is above the maximum 5 (VCD alpha allows 0 to 5)',
    ]);
    expect(expectError(decodeLink(rawLink('[1,2]')), 'invalid-experiment')).toMatch(
      /expected an object, got an array/,
    );
  });
});

describe('format 0 (pre-release plain JSON) is upgraded', () => {
  function formatZero(experiment: Experiment): Record<string, unknown> {
    const { version: _version, models, ...rest } = experiment;
    return { ...rest, model: models.main, ...(models.amateur ? { amateur: models.amateur } : {}) };
  }

  test('"#{...}", percent-encoded "#%7B...%7D" and "#j.<base64url>" all read as format 0', () => {
    const experiment = defaultExperiment();
    const json = JSON.stringify(formatZero(experiment));
    const variants = [
      `#${json}`,
      `https://x.example/#${encodeURIComponent(json)}`,
      `#j.${encodeBase64Url(new TextEncoder().encode(json))}`,
    ];
    for (const link of variants) expect(decodeLink(link)).toEqual({ ok: true, experiment, migratedFrom: 0 });
  });

  test('the amateur moves under models; random experiments survive the upgrade', () => {
    const random = seededRandom(99);
    for (let i = 0; i < 100; i++) {
      const experiment = randomExperiment(random);
      const link = `#j.${encodeBase64Url(new TextEncoder().encode(JSON.stringify(formatZero(experiment))))}`;
      expect(decodeLink(link)).toEqual({ ok: true, experiment, migratedFrom: 0 });
    }
  });

  test('plain JSON that declares version 1 is read as format 1, without migration', () => {
    const experiment = defaultExperiment();
    expect(decodeLink(`#${JSON.stringify(experiment)}`)).toEqual({ ok: true, experiment });
  });

  test('format 0 problems are reported as such', () => {
    const experiment = defaultExperiment();
    const zero = formatZero(experiment);
    expect(
      expectError(
        decodeLink(`#${JSON.stringify({ ...zero, models: experiment.models })}`),
        'invalid-experiment',
      ),
    ).toMatch(/cannot be upgraded from format 0: it has both/);
    expect(expectError(decodeLink('#{"prompt":"hi"}'), 'invalid-experiment')).toMatch(
      /no "model" \(format 0\)/,
    );
    expect(
      expectError(decodeLink(`#${JSON.stringify({ ...zero, seed: -1 })}`), 'invalid-experiment'),
    ).toMatch(/not valid \(after upgrading it from format 0\): seed: -1/);
    expect(expectError(decodeLink('#%7B%E0%A4%A'), 'corrupted')).toMatch(/percent-escapes/);
    expect(expectError(decodeLink('#{"prompt": "50% off"'), 'invalid-json')).toMatch(/not valid JSON/);
    const percent = { ...zero, prompt: '100% sure' };
    expect(decodeLink(`#${JSON.stringify(percent)}`)).toMatchObject({ ok: true, migratedFrom: 0 });
    expect(expectError(decodeLink('#{"version":"1"}'), 'invalid-experiment')).toMatch(/"version" is "1"/);
  });

  test('the migration table covers every format below the current one', () => {
    for (let format = 0; format < CURRENT_FORMAT; format++) expect(MIGRATIONS[format]?.from).toBe(format);
  });
});

describe('base64url', () => {
  test('round-trips every length and refuses non-canonical text', () => {
    const random = seededRandom(3);
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, () => random.int(0, 255));
      const text = encodeBase64Url(bytes);
      expect(text).not.toMatch(/[+/=]/);
      expect(decodeBase64Url(text)).toEqual({ ok: true, value: bytes });
    }
    expect(decodeBase64Url('AB').ok).toBe(false);
    expect(decodeBase64Url('AA==').ok).toBe(false);
    expect(decodeBase64Url('A').ok).toBe(false);
  });
});

// Keeps the documented limits honest: a maximal valid experiment still fits in a link.
test('the largest experiment the schema allows fits in a link', () => {
  const experiment = defaultExperiment();
  experiment.prompt = Array.from({ length: 4000 }, (_, i) =>
    String.fromCharCode(0x4e00 + ((i * 7919) % 20000)),
  ).join('');
  experiment.models.amateur = { source: 'hub', id: `a/${'b'.repeat(400)}`, sha256: {} };
  const random = seededRandom(5);
  for (const model of [experiment.models.main, experiment.models.amateur]) {
    for (let f = 0; f < 64; f++) model.sha256[`${'f'.repeat(190)}${f}`] = randomHex64(random);
  }
  experiment.lanes = Array.from({ length: 6 }, (_, i) => {
    const lane = defaultLane('icd', `lane-${i}`);
    (lane.method as { disturbance: string }).disturbance = 'é'.repeat(500);
    return lane;
  });
  const link = encodeLink(experiment);
  expect(link.length).toBeLessThan(MAX_LINK_CHARS);
  expect(decodeLink(link)).toEqual({ ok: true, experiment });
});
