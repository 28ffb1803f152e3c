import { describe, expect, it } from 'vitest';
import type { RoundRecord, RoundToken } from '../../speculative/types';
import { warmSpeedup } from './StatisticsBar';
import { extraText, perDraftNumbers, roundRows, tokenTitle } from './tokens';

const token = (status: RoundToken['status'], extra: Partial<RoundToken> = {}): RoundToken => ({ id: 7, status, source: 'draft', p: null, q: null, ...extra }); // prettier-ignore

function round(index: number, tokens: RoundToken[], extra?: RoundRecord['extra']): RoundRecord {
  return { round: index, draftLength: tokens.length, tokens, emitted: tokens.map((t) => t.id), accepted: 0, targetCalls: 1, draftCalls: 1, exact: true, ms: 10 * (index + 1), ...(extra ? { extra } : {}) }; // prettier-ignore
}

describe('speculative round view helpers', () => {
  it('titles a chip with p, q and the chance speculative sampling keeps it', () => {
    expect(tokenTitle(token('rejected', { p: 0.1, q: 0.4 }), 'star')).toBe(
      [
        '"star" · id 7',
        'rejected: the first drafted token the verifier refused',
        'from the draft model',
        'p(x) = 0.1000 (target)',
        'q(x) = 0.4000 (draft)',
        'min(1, p/q) = 0.2500: the chance speculative sampling keeps it',
      ].join('\n'),
    );
    const judged = tokenTitle(
      token('accepted', { p: 2e-5, q: 1, source: 'lookup', judged: true }),
      undefined,
    );
    expect(judged).toContain('"⟨7⟩" · id 7');
    expect(judged).toContain('p(x) = 2.00e-5 (target)\nq(x) = 1.0000 (one-hot draft)');
    expect(judged).toContain('kept by the judge although verification refused it (not exact)');
  });

  it('groups rounds written without verification, keeps verification rounds on their own rows', () => {
    const generated = (i: number) => round(i, [token('generated')]);
    const rows = roundRows([generated(0), generated(1), round(2, [token('accepted'), token('bonus')]), generated(3), generated(4), generated(5)], 2); // prettier-ignore
    expect(rows.map((row) => (row.kind === 'round' ? `r${row.round.round}` : row.rounds.map((r) => r.round).join('+')))).toEqual(['0+1', 'r2', '3+4', '5']); // prettier-ignore
  });

  it("reads the engine's per-draft numbers and other extras", () => {
    expect(perDraftNumbers(round(0, [], { predictedReject: [0.1, 0.4], headUpdates: 3 }))).toEqual({ label: 'r', values: [0.1, 0.4] }); // prettier-ignore
    expect(perDraftNumbers(round(0, [], { judgeScores: [0.9], judged: 1 }))).toEqual({
      label: 's',
      values: [0.9],
    });
    expect(perDraftNumbers(round(0, []))).toBeNull();
    expect(extraText(round(0, [], { rollingEntropy: 1.234567, entropy: 2, headUpdates: 4, judgeScores: [1] }))).toEqual(['rollingEntropy 1.2346', 'entropy 2']); // prettier-ignore
  });

  it('measures the speed-up after the first round', () => {
    const rounds = [
      round(0, [token('bonus')]),
      round(1, [token('accepted'), token('bonus')]),
      round(2, [token('resampled')]),
    ]; // rounds 2 and 3: 50 ms for 3 tokens
    expect(warmSpeedup(rounds, 25)).toBeCloseTo(25 / (50 / 3), 12);
    expect(warmSpeedup(rounds.slice(0, 1), 25)).toBeNaN();
  });
});
