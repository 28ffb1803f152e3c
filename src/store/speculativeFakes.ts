// A scripted GPU worker for the speculative slice's unit tests: it answers `init`, `listChecks` and
// `describeWorkbenchModel`, and runs a setup the way speculativeTypes.ts describes
// (speculativeStarted, speculativeRounds batches, speculativeEnded with the whole trace), honouring
// pause / resume / step / stop. Round r accepts two drafts then rejects (odd r) or accepts all and
// adds a bonus (even r); the baseline writes the same ids. Every request is recorded.
import type { ModelRef } from '../share/experiment';
import type { SpeculativeSetup } from '../share/speculative-link';
import type { SpeculativeTrace } from '../speculative/session';
import type { BaselineToken, RoundRecord, SpeculativeStatistics } from '../speculative/types';
import type { GpuWorkerEndpoint } from '../worker/client';
import type { WorkerEvent, WorkerRequest } from '../worker/protocol';
import { fakeAdapter } from '../worker/test-fakes';

export const FAKE_PINS = { 'config.json': 'cd'.repeat(32), 'model.safetensors': 'ab'.repeat(32) };

/** Round `index` of a lane drafting K = 4: ids count up from 10 + 5·index. */
export function fakeRound(index: number, budget: number): RoundRecord {
  const base = 10 + 5 * index;
  const bonus = index % 2 === 0;
  const status = (i: number) => (bonus || i < 2 ? 'accepted' : i === 2 ? 'rejected' : 'discarded');
  const tokens: RoundRecord['tokens'] = [0, 1, 2, 3].map((i) => ({ id: base + i, status: status(i), source: 'draft', p: 0.5, q: 0.6 })); // prettier-ignore
  const last = bonus ? base + 4 : base + 40;
  tokens.push({ id: last, status: bonus ? 'bonus' : 'resampled', source: 'target', p: null, q: null });
  const produced = bonus ? [base, base + 1, base + 2, base + 3, last] : [base, base + 1, last];
  return {
    round: index,
    draftLength: 4,
    tokens,
    emitted: produced.slice(0, budget),
    accepted: bonus ? 4 : 2,
    targetCalls: 1,
    draftCalls: 4,
    exact: true,
    ms: 5,
  };
}

export function fakeStatistics(rounds: readonly RoundRecord[]): SpeculativeStatistics {
  const tokens = rounds.reduce((n, r) => n + r.emitted.length, 0);
  const accepted = rounds.reduce((n, r) => n + r.accepted, 0);
  const drafted = 4 * rounds.length;
  return {
    rounds: rounds.length,
    tokens,
    drafted,
    accepted,
    acceptanceRate: drafted ? accepted / drafted : NaN,
    alphaEstimate: drafted ? 0.8 : NaN,
    meanAcceptedLength: rounds.length ? accepted / rounds.length : NaN,
    meanDraftLength: rounds.length ? 4 : NaN,
    targetCalls: rounds.length,
    draftCalls: drafted,
    targetCallsPerToken: tokens ? rounds.length / tokens : NaN,
    theoreticalTokensPerCall: drafted ? 3.36 : NaN,
    tokensPerTargetCall: rounds.length ? tokens / rounds.length : NaN,
    tokensBySource: { target: rounds.length, draft: tokens - rounds.length, lookup: 0 },
    exact: true,
    ms: 5 * rounds.length,
    msPerToken: tokens ? (5 * rounds.length) / tokens : NaN,
    readbackBytes: 40 * rounds.length,
    readbackBytesPerToken: tokens ? (40 * rounds.length) / tokens : NaN,
  };
}

interface Run {
  id: number;
  setup: SpeculativeSetup;
  paused: boolean;
  stopping: boolean;
  rounds: RoundRecord[];
  sentRounds: number;
}

const tokensOf = (run: Run) => run.rounds.flatMap((r) => r.emitted);
const baselineOf = (run: Run): BaselineToken[] => tokensOf(run).map((id) => ({ id, probability: 0.9 }));

export function fakeSpeculativeWorker(options: { refuse?: string; workbench?: ModelRef | null } = {}) {
  const requests: WorkerRequest[] = [];
  const listeners: ((event: MessageEvent<WorkerEvent>) => void)[] = [];
  let run: Run | null = null;
  const post = (event: WorkerEvent): void => {
    setTimeout(() => {
      for (const listener of listeners)
        listener({ data: structuredClone(event) } as MessageEvent<WorkerEvent>);
    }, 0);
  };
  const done = (current: Run) => tokensOf(current).length >= current.setup.maxTokens;

  function trace(current: Run, stopped: boolean): SpeculativeTrace {
    const statistics = fakeStatistics(current.rounds);
    const stopReason = stopped ? 'cancelled' : 'max-tokens';
    return {
      version: 1,
      models: { target: 'shapes-expert', draft: 'shapes-draft' },
      prompt: [2, 11, 16, 17],
      maxTokens: current.setup.maxTokens,
      speculative: { method: current.setup.method, sampling: current.setup.sampling, seed: current.setup.seed, tokens: tokensOf(current), rounds: current.rounds, statistics, methodStatistics: {}, stopReason }, // prettier-ignore
      baseline: { tokens: baselineOf(current), statistics: { tokens: tokensOf(current).length, targetCalls: tokensOf(current).length + 1, ms: 20, msPerToken: 2, readbackBytes: 8, readbackBytesPerToken: 8 / Math.max(1, tokensOf(current).length) }, stopReason }, // prettier-ignore
      speedup: 2,
    };
  }

  /** One round, posted as a batch. */
  function produce(current: Run): void {
    const have = tokensOf(current).length;
    current.rounds.push(fakeRound(current.rounds.length, current.setup.maxTokens - have));
    const t = trace(current, false);
    const rounds = current.rounds.slice(current.sentRounds);
    current.sentRounds = current.rounds.length;
    const finished = done(current) ? ('max-tokens' as const) : null;
    const pieces = rounds.flatMap((r) =>
      r.tokens.map((token): [number, string] => [token.id, `w${token.id}`]),
    );
    post({ type: 'speculativeRounds', requestId: current.id, rounds, baseline: baselineOf(current).slice(have), statistics: t.speculative.statistics, baselineStatistics: t.baseline!.statistics, methodStatistics: {}, speculativeStop: finished, baselineStop: finished, speedup: 2, pieces }); // prettier-ignore
  }

  function finish(current: Run, status: 'completed' | 'stopped'): void {
    run = null;
    post({ type: 'speculativeEnded', requestId: current.id, trace: trace(current, status === 'stopped'), status, pieces: [] }); // prettier-ignore
  }

  function advance(current: Run): void {
    if (run !== current || current.paused) return;
    if (current.stopping) return finish(current, 'stopped');
    if (done(current)) return finish(current, 'completed');
    produce(current);
    setTimeout(() => advance(current), 0);
  }

  function handle(request: WorkerRequest): void {
    const reply = (event: Record<string, unknown>) =>
      post({ requestId: request.id, ...event } as WorkerEvent);
    switch (request.type) {
      case 'init':
        return reply({ type: 'ready', adapter: fakeAdapter('fake') });
      case 'listChecks':
        return reply({ type: 'checkList', checks: [] });
      case 'describeWorkbenchModel': {
        const ref = options.workbench ?? null;
        return reply({ type: 'workbenchModelDescribed', ref, name: ref ? 'owner/model' : null, problem: ref ? null : 'No model is loaded in the Model tab.' }); // prettier-ignore
      }
      case 'startSpeculative': {
        if (options.refuse) return reply({ type: 'error', kind: 'failed', message: options.refuse });
        const current: Run = { id: request.id, setup: request.setup, paused: request.paused, stopping: false, rounds: [], sentRounds: 0 }; // prettier-ignore
        run = current;
        reply({ type: 'modelProgress', file: 'model.safetensors', loadedBytes: 10, totalBytes: 20, percent: 50, from: 'network' }); // prettier-ignore
        const model = { name: 'shapes', fileHashes: FAKE_PINS };
        reply({ type: 'speculativeStarted', promptTokens: [2, 11, 16, 17], promptPieces: ['<bos>', 'the', 'picture', 'shows'], target: model, draft: model, exact: true }); // prettier-ignore
        setTimeout(() => advance(current), 0);
        return;
      }
      case 'pauseSpeculative':
        reply({ type: 'speculativePaused', wasRunning: run !== null && !run.paused });
        if (run) run.paused = true;
        return;
      case 'resumeSpeculative': {
        const current = run;
        reply({ type: 'speculativeResumed', wasPaused: current?.paused ?? false });
        if (current?.paused) {
          current.paused = false;
          setTimeout(() => advance(current), 0);
        }
        return;
      }
      case 'stepSpeculative':
        if (run?.paused && !done(run)) produce(run);
        return reply({ type: 'speculativeStepped', wasPaused: run?.paused ?? false });
      case 'stopSpeculative': {
        const current = run;
        reply({ type: 'speculativeStopping', wasRunning: current !== null });
        if (current) {
          current.stopping = true;
          if (current.paused) finish(current, 'stopped');
        }
        return;
      }
      default:
        return reply({ type: 'error', kind: 'unknown-request', message: `fake worker: ${request.type}` });
    }
  }

  const endpoint: GpuWorkerEndpoint = {
    postMessage(request: WorkerRequest) {
      const copy = structuredClone(request);
      requests.push(copy);
      setTimeout(() => handle(copy), 0);
    },
    addEventListener(type: 'message' | 'error', listener: (event: never) => void) {
      if (type === 'message') listeners.push(listener as (event: MessageEvent<WorkerEvent>) => void);
    },
  };
  const speculativeRequests = () => requests.filter((r) => /Speculative|WorkbenchModel/.test(r.type));
  return { endpoint, requests, speculativeRequests };
}
