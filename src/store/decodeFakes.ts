// A scripted GPU worker for the decode slice's unit tests: it answers `init` and `listChecks`, and
// runs a Decode experiment the way decodeTypes.ts describes (decodeStarted, decodeTokens batches,
// decodeEnded with the whole trace), honouring pause / resume / step / stop. Lane k > 0 chooses a
// different token from step 2 on, so divergence has something to find. Every request is recorded.
import type { Experiment } from '../share/experiment';
import type { LaneTrace, TokenRecord, Trace } from '../share/trace';
import type { GpuWorkerEndpoint } from '../worker/client';
import type { ModelCard } from '../worker/modelTypes';
import type { WorkerEvent, WorkerRequest } from '../worker/protocol';
import { fakeAdapter } from '../worker/test-fakes';

export const FAKE_HASH = 'ab'.repeat(32);

/** A loaded model's card as the decode slice reads it (only the name and the file hashes). */
export function fakeCard(name: string, fileHashes: Record<string, string>): ModelCard {
  return { name, fileHashes } as unknown as ModelCard;
}

export function fakeToken(lane: number, step: number): TokenRecord {
  const id = 10 + step + (lane > 0 && step >= 2 ? lane : 0);
  const summary = (label: string, p: number) => ({
    label,
    top: [
      [id, p],
      [id + 100, 1 - p],
    ] as [number, number][],
    entropy: 0.5 + step / 10,
    chosenProbability: p,
    chosenRank: 1,
  });
  return {
    step,
    id,
    piece: `w${id}`,
    components: [summary('original image', 0.6)],
    combined: summary('combined', 0.7),
    plausibleCount: 3,
    divergences: [],
    changedByMethod: lane > 0 && step >= 2,
  };
}

interface Run {
  id: number;
  experiment: Experiment;
  paused: boolean;
  stopping: boolean;
  tokens: TokenRecord[][];
}

export function fakeDecodeWorker(options: { refuse?: string } = {}) {
  const requests: WorkerRequest[] = [];
  const listeners: ((event: MessageEvent<WorkerEvent>) => void)[] = [];
  let run: Run | null = null;
  const post = (event: WorkerEvent): void => {
    setTimeout(() => {
      for (const listener of listeners)
        listener({ data: structuredClone(event) } as MessageEvent<WorkerEvent>);
    }, 0);
  };

  const statistics = (tokens: number) => ({
    tokens,
    forwardPasses: { main: tokens + 1 },
    tokensPerSecond: 10,
    meanEntropy: 0.6,
    readbackBytes: 96 * tokens,
    readbackBytesPerToken: tokens ? 96 : 0,
  });

  /** One token in every lane that has not reached max tokens. */
  function produce(current: Run): void {
    const lanes = current.experiment.lanes.map((lane, index) => {
      const done = current.tokens[index];
      const fresh = done.length < current.experiment.maxTokens ? [fakeToken(index, done.length)] : [];
      done.push(...fresh);
      const finished = done.length >= current.experiment.maxTokens;
      return { laneId: lane.id, tokens: fresh, statistics: statistics(done.length), stopReason: finished ? ('max-tokens' as const) : null }; // prettier-ignore
    });
    post({ type: 'decodeTokens', requestId: current.id, lanes });
  }

  function finish(current: Run, status: 'completed' | 'stopped'): void {
    run = null;
    const lanes = current.experiment.lanes.map((lane, index): LaneTrace => ({
      laneId: lane.id,
      inputs: [{ label: 'original image', model: 'main', distortion: null }],
      tokens: current.tokens[index],
      text: current.tokens[index].map((t) => t.piece).join(' '),
      stopReason: status === 'stopped' ? 'cancelled' : 'max-tokens',
      statistics: statistics(current.tokens[index].length),
    }));
    const trace: Trace = {
      version: 1,
      experiment: current.experiment,
      promptTokens: [2, 5],
      lanes,
      environment: { adapter: 'fake', userAgent: 'node', createdAt: '2025-01-31T12:00:00.000Z' },
    };
    post({ type: 'decodeEnded', requestId: current.id, trace, status });
  }

  function advance(current: Run): void {
    if (run !== current || current.paused) return;
    if (current.stopping) return finish(current, 'stopped');
    if (current.tokens.every((t) => t.length >= current.experiment.maxTokens))
      return finish(current, 'completed');
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
      case 'startDecode': {
        if (options.refuse) return reply({ type: 'error', kind: 'failed', message: options.refuse });
        const current: Run = {
          id: request.id,
          experiment: request.experiment,
          paused: request.paused,
          stopping: false,
          tokens: request.experiment.lanes.map(() => []),
        };
        run = current;
        reply({
          type: 'decodeStarted',
          promptTokens: [2, 5],
          promptPieces: ['<bos>', 'the'],
          lanes: request.experiment.lanes.map((lane) => ({
            laneId: lane.id,
            inputs: [{ label: 'original image', model: 'main', distortion: null }],
          })),
        });
        setTimeout(() => advance(current), 0);
        return;
      }
      case 'pauseDecode':
        reply({ type: 'decodePaused', wasRunning: run !== null && !run.paused });
        if (run) run.paused = true;
        return;
      case 'resumeDecode': {
        const current = run;
        reply({ type: 'decodeResumed', wasPaused: current?.paused ?? false });
        if (current?.paused) {
          current.paused = false;
          setTimeout(() => advance(current), 0);
        }
        return;
      }
      case 'stepDecode':
        if (run?.paused) produce(run);
        return reply({ type: 'decodeStepped', wasPaused: run?.paused ?? false });
      case 'stopDecode': {
        const current = run;
        reply({ type: 'decodeStopping', wasRunning: current !== null });
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
  return { endpoint, requests, decodeRequests: () => requests.filter((r) => r.type.endsWith('Decode')) };
}
