// The Decode tab's reading of speculative records and lanes: the view the inspector draws is what the
// record writer wrote, the lane summary is the last token's, and the amateur slot's role and the
// engine's refusals show before a run.
import { describe, expect, test } from 'vitest';
import { addRound, roundDecisions } from '../../decoding/methods/speculative-record';
import type { Experiment, LaneConfig } from '../../share/experiment';
import { defaultExperiment, defaultLane, defaultMethodConfig, defaultSampling } from '../../share/methods';
import type { LaneTrace } from '../../share/trace';
import type { RoundRecord } from '../../speculative/types';
import {
  amateurInUse,
  emittedIndex,
  parseRoundToken,
  speculativeLaneProblems,
  speculativeLaneSummary,
  speculativeView,
} from './speculative';

const ROUND: RoundRecord = {
  round: 2,
  draftLength: 2,
  tokens: [
    { id: 5, status: 'accepted', source: 'draft', p: 0.5, q: 0.25, judged: true },
    { id: 6, status: 'accepted', source: 'draft', p: 0.75, q: 0.5 },
    { id: 9, status: 'bonus', source: 'target', p: null, q: null },
  ],
  emitted: [5, 6, 9],
  accepted: 2,
  candidates: { chosen: 1, drafts: [[4, 4], [5, 6]] }, // prettier-ignore
  targetCalls: 1,
  draftCalls: 2,
  exact: true,
  ms: 1,
};
// Rounds before this one: 3 drafted, 2 kept, 3 target calls, 7 tokens.
const totals = addRound({ drafted: 3, accepted: 2, draftingRounds: 2, targetCalls: 3 }, ROUND);

const records =
  roundDecisions(ROUND, { variant: 'spectr', exact: true, greedy: true, vocab: 62, totals, tokensBefore: 7, theoreticalTokensPerCall: 2.4, summary: {} }) // prettier-ignore
    .map(({ token, record }, step) => ({ step, id: token, piece: `t${token}`, ...record }));

const speculativeLane = (method: Partial<LaneConfig['method']> = {}, sampling = defaultSampling()): LaneConfig => ({ ...defaultLane('speculative', 'spec'), method: { ...defaultMethodConfig('speculative'), ...method } as LaneConfig['method'], sampling }); // prettier-ignore

describe('the inspector reads what the record writer wrote', () => {
  test('round, status, p and q, the round tokens and the candidates', () => {
    const view = speculativeView(records[1])!;
    expect(view).toMatchObject({ round: 2, status: 'accepted', source: 'draft', p: 0.75, q: 0.5, position: 2, emitted: 3, drafted: 2, accepted: 2, exact: true, variant: 'spectr' }); // prettier-ignore
    expect(view.tokens.map((t) => [t.id, t.status, t.judged])).toEqual([
      [5, 'accepted', true],
      [6, 'accepted', false],
      [9, 'bonus', false],
    ]);
    expect(view.candidates).toEqual({ chosen: 1, drafts: [[4, 4], [5, 6]] }); // prettier-ignore
    expect(view.lane).toMatchObject({
      acceptanceRate: 0.8,
      targetCallsPerToken: 4 / 9,
      theoreticalTokensPerCall: 2.4,
    });
    expect(emittedIndex(view)).toBe(1);
    const bonus = speculativeView(records[2])!;
    expect([bonus.status, bonus.p, emittedIndex(bonus)]).toEqual(['bonus', null, 2]);
    expect(speculativeView(records[0])!.judged).toBe(true);
  });

  test('round tokens parse; a record of another method has no round', () => {
    expect(parseRoundToken('7:rejected:draft:0.01:-')).toEqual({ id: 7, status: 'rejected', judged: false, source: 'draft', p: 0.01, q: null }); // prettier-ignore
    expect(parseRoundToken('nonsense')).toBeNull();
    expect(speculativeView({ ...records[0], extra: { keptTokens: 3 } })).toBeNull();
  });

  test("the lane summary is its last token's running statistics", () => {
    const trace = { tokens: records } as unknown as LaneTrace;
    expect(speculativeLaneSummary(trace)?.map(([label, value]) => [label, value])).toEqual([
      ['acceptance', '0.80'],
      ['mean kept', '1.33'],
      ['target fwd/token', '0.40'],
    ]);
    expect(speculativeLaneSummary(null)).toBeNull();
  });
});

describe('before a run', () => {
  const experiment = (lanes: LaneConfig[], amateur = false): Experiment => ({
    ...defaultExperiment(),
    ...(amateur ? { models: { main: defaultExperiment().models.main, amateur: { source: 'default', id: 'shapes-draft', sha256: {} } } } : {}), // prettier-ignore
    lanes,
  });

  test('the amateur slot is a draft for drafting variants, unused by model-free ones', () => {
    expect(amateurInUse(experiment([speculativeLane()]))).toEqual({ contrast: false, draft: true });
    expect(amateurInUse(experiment([speculativeLane({ variant: 'aded' }), defaultLane('cd')]))).toEqual({ contrast: true, draft: false }); // prettier-ignore
  });

  test("the engine's refusals in its own words; none while a field has a range problem", () => {
    const lane = speculativeLane({ variant: 'spectr', candidates: 2, rho: 4 }, { ...defaultSampling(), greedy: false, topK: 3 }); // prettier-ignore
    expect(speculativeLaneProblems(lane, experiment([lane]), false)).toEqual([
      "the spectr variant drafts with the amateur slot's model: choose a draft under Models (shapes-draft for shapes-expert)",
      "spectr rho must be in [1, candidates = 2] (or unset for the paper's rho*), got 4",
      expect.stringMatching(/^top-k is 3, but speculative verification/),
    ]);
    expect(speculativeLaneProblems(lane, experiment([lane], true), true)).toEqual([]);
    expect(speculativeLaneProblems(defaultLane('plain'), experiment([lane]), false)).toEqual([]);
  });
});
