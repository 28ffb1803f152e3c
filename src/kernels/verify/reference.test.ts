// The spec on hand-computed cases, K-SEQ's output distribution by exact enumeration, and the
// exactness experiment (./exactness.ts) run on the reference itself.
import { describe, expect, it } from 'vitest';
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import { philoxBits24, philoxUniform, seedFromNumber } from '../random/philox';
import { modelResidual, sampleFixedPoint, selectRho } from './distributions';
import { runExactness, type ExactnessCase } from './exactness';
import { RHO_UNITS, type VerifyParams } from './params';
import { verifyReference, type ReferenceOptions } from './reference';

const SAMPLE: VerifyParams = { mode: 'sample', targetTemperature: 1, draftTemperature: 1, seed: 11, stream: 3, counter: 100 }; // prettier-ignore
const seed = seedFromNumber(SAMPLE.seed);
const ln3 = Math.log(3);

describe('speculative sampling (K = 1, V = 2)', () => {
  // p_0 = (3/4, 1/4), q_0 = (1/4, 3/4); drafted token 1 is accepted with probability 1/3; the
  // residual max(0, p - q) = (1/2, 0) makes the correction 0; the bonus row is uniform.
  const logits = { target: Float32Array.from([ln3, 0, 0, 0]), draft: Float32Array.from([0, ln3]) };
  const trials = 200;
  const results = verifyReference({ draftLength: 1, vocab: 2, trials }, logits, [1], SAMPLE);

  it('accepts exactly when u < p/q, corrects to the residual, draws the bonus from p_1', () => {
    results.forEach(({ result }, t) => {
      const base = SAMPLE.counter + t * 2 * 2; // (t (K+1) + j) (k+1)
      const accept = philoxUniform(seed, SAMPLE.stream, base) < 1 / 3;
      expect(result.accepted).toBe(accept ? 1 : 0);
      if (accept) {
        const bonus = philoxBits24(seed, SAMPLE.stream, base + 2 + 1) < 2 ** 23 ? 0 : 1;
        expect(result).toMatchObject({ tokens: [1, bonus], bonus: true });
      } else {
        expect(result).toMatchObject({ tokens: [0], bonus: false });
      }
      expect(result.p[0]).toBeCloseTo(0.25, 6);
      expect(result.q[0]).toBeCloseTo(0.75, 6);
      expect(result.candidate).toBe(0);
    });
    const rate = results.filter((r) => r.result.accepted === 1).length / trials;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.47);
  });

  it('always accepts when p == q and always rejects a token of target probability 0', () => {
    const same = { target: Float32Array.from([0.3, -1, 0.3, -1]), draft: Float32Array.from([0.3, -1]) };
    for (const { result } of verifyReference({ draftLength: 1, vocab: 2, trials: 50 }, same, [1], SAMPLE)) {
      expect(result.accepted).toBe(1);
    }
    const zero = { target: Float32Array.from([0, -Infinity, 0, 0]), draft: Float32Array.from([0, 0]) };
    for (const { result } of verifyReference({ draftLength: 1, vocab: 2, trials: 50 }, zero, [1], SAMPLE)) {
      expect(result).toMatchObject({ accepted: 0, tokens: [0] });
    }
  });
});

describe('deterministic draft (q one-hot)', () => {
  it('accepts with probability p(x); the correction is p without x', () => {
    const target = Float32Array.from([0, 0, -Infinity, 0, 0, 0]); // p_0 = (1/2, 1/2, 0)
    const results = verifyReference({ draftLength: 1, vocab: 3, trials: 100 }, { target }, [0], SAMPLE);
    results.forEach(({ result }, t) => {
      const accept = philoxUniform(seed, SAMPLE.stream, SAMPLE.counter + t * 4) < 0.5;
      expect(result.tokens[0]).toBe(accept ? 0 : 1);
      expect(result.q).toEqual([1]);
    });
    // A token of probability 0 is never accepted.
    for (const { result } of verifyReference(
      { draftLength: 1, vocab: 3, trials: 20 },
      { target },
      [2],
      SAMPLE,
    )) {
      expect(result.accepted).toBe(0);
      expect(result.tokens[0]).not.toBe(2);
    }
  });
});

describe('greedy', () => {
  it('accepts the argmax (lowest index among ties) and corrects to it', () => {
    const target = Float32Array.from([1, 3, 3, 0, 5, 0, 0, 5]); // argmax 1, then 0 (tie 0/3)
    const greedy = { ...SAMPLE, mode: 'greedy' as const };
    const [hit] = verifyReference({ draftLength: 1, vocab: 4 }, { target }, [1], greedy);
    expect(hit.result).toMatchObject({ accepted: 1, tokens: [1, 0], bonus: true });
    const [miss] = verifyReference({ draftLength: 1, vocab: 4 }, { target }, [2], greedy);
    expect(miss.result).toMatchObject({ accepted: 0, tokens: [1], bonus: false });
  });
});

/** K-SEQ's output distribution, by enumerating every draw y_1..y_m ~ q and summing the paths. */
function kSeqOutput(p: Float64Array, q: Float64Array, m: number, rho: number): Float64Array {
  const V = p.length;
  const accept = Array.from(p, (px, x) => (q[x] > 0 ? Math.min(1, px / (rho * q[x])) : 1));
  const residual = modelResidual(p, q, rho, m);
  const mass = residual.reduce((a, b) => a + b, 0);
  const out = new Float64Array(V);
  const walk = (depth: number, weight: number, reach: number) => {
    if (depth === m) {
      residual.forEach((r, x) => (out[x] += (weight * reach * r) / mass));
      return;
    }
    for (let y = 0; y < V; y++) {
      if (q[y] === 0) continue;
      out[y] += weight * q[y] * reach * accept[y];
      walk(depth + 1, weight * q[y], reach * (1 - accept[y]));
    }
  };
  walk(0, 1, 1);
  return out;
}

describe('fixed-point sampling', () => {
  it('draws by the integer inverse CDF and reports its distance to the interval edges', () => {
    // weights (1, 3): n = (2^29, 3 * 2^29), r = floor(u24 * 2^31 / 2^24) = 128 u24.
    expect(sampleFixedPoint([1, 3], 2 ** 21)).toEqual({ token: 0, margin: 0.125 });
    expect(sampleFixedPoint([1, 3], 2 ** 22)).toEqual({ token: 1, margin: 0 });
    expect(sampleFixedPoint([1, 3], 3 * 2 ** 22)).toEqual({ token: 1, margin: 0.25 });
  });

  it('returns null for a residual without mass (the caller then samples p)', () => {
    expect(sampleFixedPoint([0, 0, 0], 12345)).toBeNull();
  });
});

describe('SpecTr k-sequential selection', () => {
  it('finds rho* = 1.5 for p = (1, 0), q = (1/2, 1/2), m = 2 (acceptance 1 - (1 - beta)^2 = 3/4)', () => {
    const p = Float64Array.from([1, 0]);
    const q = Float64Array.from([0.5, 0.5]);
    expect(selectRho(p, q, 2, RHO_UNITS).units).toBe(1.5 * RHO_UNITS);
    expect(Array.from(modelResidual(p, q, 1.5, 2))).toEqual([0.25, 0]);
    expect(selectRho(p, q, 1, RHO_UNITS).units).toBe(RHO_UNITS); // m = 1: speculative sampling
  });

  it('outputs exactly p at rho* and at any larger rho, but not below rho*', () => {
    const p = Float64Array.from([0.5, 0.3, 0.15, 0.05]);
    const q = Float64Array.from([0.1, 0.2, 0.3, 0.4]);
    for (const m of [1, 2, 3]) {
      const { rho } = selectRho(p, q, m, RHO_UNITS);
      for (const r of [rho, Math.max(rho, 2.5), m]) {
        kSeqOutput(p, q, m, r).forEach((y, x) => expect(y).toBeCloseTo(p[x], 12));
      }
    }
    const { rho } = selectRho(p, q, 3, RHO_UNITS);
    expect(rho).toBeGreaterThan(1.2);
    const tooSmall = kSeqOutput(p, q, 3, 1);
    expect(Math.max(...tooSmall.map((y, x) => Math.abs(y - p[x])))).toBeGreaterThan(0.01);
  });
});

describe('exactness experiment on the reference (chi-square, p-value > 1e-3)', () => {
  const referenceRunner =
    (options: ReferenceOptions = {}) =>
    async (...args: Parameters<typeof verifyReference>) =>
      verifyReference(args[0], args[1], args[2], args[3], options).map((r) => r.result);
  const base: ExactnessCase = { draftLength: 2, candidates: 1, mode: 'sample', draftModel: true, trials: 6000, seed: 5 }; // prettier-ignore

  it.each<[string, Partial<ExactnessCase>]>([
    ['speculative sampling K=2', {}],
    ['SpecTr k=3 K=2', { candidates: 3, seed: 6 }],
    ['deterministic draft k=2 K=3', { candidates: 2, draftModel: false, draftLength: 3, seed: 8 }],
  ])('%s', async (_name, change) => {
    const outcome = await runExactness(referenceRunner(), { ...base, ...change });
    console.warn(`reference, ${_name}: p-values token 1 ${outcome.first.pValue.toPrecision(3)}, tokens 1-2 ${outcome.joint.pValue.toPrecision(3)}`); // prettier-ignore
    expect(outcome.first.pValue).toBeGreaterThan(1e-3);
    expect(outcome.joint.pValue).toBeGreaterThan(1e-3);
  });

  it('rejects the negative control (correction from p)', async () => {
    const outcome = await runExactness(referenceRunner({ negativeControlCorrectionFromP: true }), base);
    console.warn(`reference, negative control: p-value token 1 ${outcome.first.pValue.toPrecision(3)}`);
    expect(outcome.first.pValue).toBeLessThan(1e-6);
  });
});

describe('validation (the same messages as the kernel)', () => {
  const logits = { target: new Float32Array(8), draft: new Float32Array(4) };
  const run = (shape: object, params: Partial<VerifyParams> = {}, tokens = [0]) =>
    verifyReference({ draftLength: 1, vocab: 4, ...shape }, logits, tokens, { ...SAMPLE, ...params });

  it('refuses bad shapes, parameters and tokens, naming the range', () => {
    expect(() => run({ draftLength: 0 })).toThrow(/draftLength \(K\) must be an integer in 1\.\.16, got 0/);
    expect(() => run({ draftLength: 17 })).toThrow(/1\.\.16, got 17/);
    expect(() => run({ candidates: 9 })).toThrow(/candidates \(SpecTr k\) must be an integer in 1\.\.8/);
    expect(() => run({}, { targetTemperature: 0 })).toThrow(
      /targetTemperature must be a finite number > 0, got 0/,
    );
    expect(() => run({}, { draftTemperature: NaN })).toThrow(/draftTemperature .* got NaN/);
    expect(() => run({}, {}, [4])).toThrow(/draft token 0 is 4; the vocabulary has ids 0\.\.3/);
    expect(() => run({}, {}, [0, 1])).toThrow(/got 2 draft tokens/);
    expect(() => run({ candidates: 2 }, { rho: 2.5 }, [0, 0])).toThrow(
      /rho must be a number in \[1, candidates = 2\]/,
    );
    expect(() => run({}, { counter: 2 ** 32 - 2 })).toThrow(/run past 2\^32-1/);
    expect(() => run({}, { seed: -1 })).toThrow(KernelInputError);
  });

  it('throws on an empty or invalid visited row', () => {
    const empty = { target: Float32Array.from([-Infinity, -Infinity, 0, 0]) };
    expect(() => verifyReference({ draftLength: 1, vocab: 2 }, empty, [0], SAMPLE)).toThrow(
      EmptyDistributionError,
    );
    const nan = { target: Float32Array.from([0, NaN, 0, 0]) };
    expect(() => verifyReference({ draftLength: 1, vocab: 2 }, nan, [0], SAMPLE)).toThrow(/row 0 holds NaN/);
  });
});
