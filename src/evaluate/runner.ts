// The evaluation runner: every job (a distinct scene and prompt, ./plan.ts) is one Decode
// experiment run by DecodeSession with the evaluation's lanes side by side (at most MAX_LANES per
// session, so they share the prompt prefill), exactly as the Decode workbench runs it. The lanes'
// answers are scored per example, then summarised with bootstrap intervals (./summary.ts).
// Progress is reported after every job with an ETA from the measured rate of each benchmark.
// Cancelling (AbortSignal) stops between two decoding steps: the session cancels its lanes, is
// disposed (its sequences and pipelines released), and runEvaluation rejects with
// EvaluationCancelledError. A lane's own error (an empty plausible set) ends that lane on that
// example and is recorded; a lost device rejects the whole run.
import { DecodeSession, type DecodeSessionOptions } from '../decoding/lanes/session';
import { sessionProblems, type SessionModels } from '../decoding/lanes/validate';
import type { Gpu } from '../gpu/runtime';
import type { TextTokenizer } from '../model/tokenizer';
import type { ModelRef } from '../share/experiment';
import type { LaneTrace } from '../share/trace';
import { mentionedShapes, parseCaption, readYesNo } from '../world';
import type { EvaluationConfig } from './config';
import { exampleExperiment, laneChunks } from './experiments';
import type { FolderImages } from './folder';
import { planEvaluation, type EvaluationJob, type EvaluationPlan } from './plan';
import { ProgressMeter, type EvaluationProgress } from './progress';
import type { ChairAnswer, EvaluationResult, LaneOutcome, ModelRecord, PopeAnswer } from './result';
import { validateEvaluationConfig } from './schema';
import { summariseChair, summarisePope } from './summary';

/** What the runner needs of a Decode session (DecodeSession has it). */
export interface EvaluationSession {
  run(signal?: AbortSignal): Promise<void>;
  laneTraces(): LaneTrace[];
  dispose(): void;
}

export interface EvaluationDeps {
  gpu: Gpu;
  /** The loaded models the config names (their file hashes are checked against its pins). */
  models: SessionModels;
  /** The main model's tokenizer. */
  tokenizer: TextTokenizer;
  /** A folder dataset's images and pixels (config.dataset.kind === 'folder'). */
  folder?: FolderImages;
  /** Ids that end a generation; default the tokenizer's. */
  eosTokenIds?: readonly number[];
  /** Default DecodeSession.create (tests pass scripted sessions). */
  createSession?: (options: DecodeSessionOptions) => Promise<EvaluationSession>;
  /** Milliseconds, for rates and the ETA; default performance.now. */
  clock?: () => number;
}

export interface RunEvaluationOptions {
  signal?: AbortSignal;
  onProgress?: (progress: EvaluationProgress) => void;
}

/** The run was cancelled through its AbortSignal (name 'AbortError', as fetch's). */
export class EvaluationCancelledError extends Error {
  constructor() {
    super('the evaluation was cancelled');
    this.name = 'AbortError';
  }
}

/** An evaluation that cannot start; every problem is listed, worded for the user. */
export class EvaluationSetupError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `This evaluation cannot run: ${problems[0]}`
        : `This evaluation cannot run:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
    this.name = 'EvaluationSetupError';
  }
}

function pinProblems(role: string, ref: ModelRef | undefined, models: SessionModels): string[] {
  const model = role === 'main' ? models.main : models.amateur;
  if (!ref) return [];
  if (!model) return [`the config names an amateur model (${ref.id}), but none was given`];
  return Object.entries(ref.sha256)
    .filter(([file, hash]) => model.info.fileHashes[file] !== hash)
    .map(([file, hash]) =>
      model.info.fileHashes[file] === undefined
        ? `the ${role} model ${model.info.name} has no file ${file}, which the config pins (${hash.slice(0, 12)}…)`
        : `the ${role} model's ${file} is ${model.info.fileHashes[file].slice(0, 12)}…, the config pins ${hash.slice(0, 12)}…: load the pinned files`,
    );
}

/** The text of generated ids up to the first end id; ids the tokenizer lacks show as <id>. */
export function outcomeOf(trace: LaneTrace, tokenizer: TextTokenizer, eos: ReadonlySet<number>): LaneOutcome {
  const ids = trace.tokens.map((t) => t.id);
  const end = ids.findIndex((id) => eos.has(id));
  const kept = end < 0 ? ids : ids.slice(0, end);
  const pieces: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length > 0) pieces.push(tokenizer.decode(run));
    run = [];
  };
  for (const id of kept) {
    if (tokenizer.idToToken(id) === undefined) {
      flush();
      pieces.push(`<${id}>`);
    } else run.push(id);
  }
  flush();
  return {
    text: pieces.join(' '),
    tokens: ids.length,
    stopReason: trace.stopReason,
    ...(trace.error !== undefined ? { error: trace.error } : {}),
  };
}

function popeAnswer(outcome: LaneOutcome): PopeAnswer {
  return { ...outcome, said: readYesNo(outcome.text) };
}

function chairAnswer(outcome: LaneOutcome, objects: readonly string[]): ChairAnswer {
  const mentioned: string[] = mentionedShapes(outcome.text);
  return {
    ...outcome,
    mentioned,
    hallucinated: mentioned.filter((shape) => !objects.includes(shape)),
    words: parseCaption(outcome.text).words.length,
  };
}

function modelRecord(model: SessionModels['main']): ModelRecord {
  return { name: model.info.name, fileHashes: { ...model.info.fileHashes } };
}

function environmentOf(gpu: Gpu): EvaluationResult['environment'] {
  const s = (gpu as Partial<Gpu>).summary;
  const adapter = s
    ? [s.vendor, s.architecture, s.device, s.description].filter((part) => part).join(' / ')
    : '';
  return {
    adapter: adapter || 'unknown adapter',
    userAgent: typeof navigator === 'undefined' ? 'unknown' : navigator.userAgent,
    createdAt: new Date().toISOString(),
  };
}

/** Jobs come in scene order, so remembering the last scene's pixels makes each once per benchmark. */
function withPixelCache(plan: EvaluationPlan): EvaluationPlan {
  let scene = -1;
  let pixels: Promise<Float32Array> | null = null;
  return {
    ...plan,
    pixels(sceneIndex) {
      if (sceneIndex !== scene || !pixels) {
        scene = sceneIndex;
        pixels = plan.pixels(sceneIndex);
      }
      return pixels;
    },
  };
}

/** Problems a session would refuse, found before any decoding (first job of each benchmark). */
async function sessionSetupProblems(config: EvaluationConfig, plan: EvaluationPlan, deps: EvaluationDeps) {
  const firsts = (['pope', 'chair'] as const).flatMap((b) =>
    plan.jobs.filter((j) => j.benchmark === b).slice(0, 1),
  );
  const problems = new Set<string>();
  for (const job of firsts) {
    const image = await plan.pixels(job.input.sceneIndex);
    for (const chunk of laneChunks(plan.lanes.map((l) => l.config))) {
      const experiment = exampleExperiment(config, chunk, job.input);
      for (const problem of sessionProblems(experiment, deps.models, image)) problems.add(problem);
    }
  }
  return [...problems];
}

/** Runs an evaluation; rejects with EvaluationSetupError, EvaluationCancelledError or a GPU error. */
export async function runEvaluation(
  input: EvaluationConfig,
  deps: EvaluationDeps,
  options: RunEvaluationOptions = {},
): Promise<EvaluationResult> {
  const { signal, onProgress } = options;
  const validation = validateEvaluationConfig(input);
  if (!validation.ok) throw new EvaluationSetupError(validation.issues);
  const config = validation.config;
  const setup = [
    ...pinProblems('main', config.models.main, deps.models),
    ...pinProblems('amateur', config.models.amateur, deps.models),
  ];
  if (setup.length > 0) throw new EvaluationSetupError(setup);
  const plan = withPixelCache(planEvaluation(config, deps.folder));
  const sessionSetup = await sessionSetupProblems(config, plan, deps);
  if (sessionSetup.length > 0) throw new EvaluationSetupError(sessionSetup);

  const clock = deps.clock ?? (() => performance.now());
  const createSession = deps.createSession ?? ((o: DecodeSessionOptions) => DecodeSession.create(o));
  const eosTokenIds = deps.eosTokenIds ?? deps.tokenizer.eosTokenIds;
  const eos = new Set(eosTokenIds);
  const laneCount = plan.lanes.length;
  const popeAnswers: PopeAnswer[][] = plan.lanes.map(() => []);
  const chairAnswers: ChairAnswer[][] = plan.lanes.map(() => []);
  const meter = new ProgressMeter(plan.jobs, clock);
  const chunks = laneChunks(plan.lanes.map((l) => l.config));
  const started = clock();

  const runJob = async (job: EvaluationJob, image: Float32Array) => {
    const outcomes: LaneOutcome[] = [];
    for (const chunk of chunks) {
      if (signal?.aborted) throw new EvaluationCancelledError();
      const experiment = exampleExperiment(config, chunk, job.input);
      const session = await createSession({
        gpu: deps.gpu,
        models: deps.models,
        tokenizer: deps.tokenizer,
        experiment,
        image,
        eosTokenIds,
      });
      try {
        await session.run(signal);
        if (signal?.aborted) throw new EvaluationCancelledError();
        for (const trace of session.laneTraces()) outcomes.push(outcomeOf(trace, deps.tokenizer, eos));
      } finally {
        session.dispose();
      }
    }
    for (let lane = 0; lane < laneCount; lane++) {
      for (const index of job.examples) {
        if (job.benchmark === 'pope') popeAnswers[lane][index] = popeAnswer(outcomes[lane]);
        else chairAnswers[lane][index] = chairAnswer(outcomes[lane], plan.chair!.examples[index].objects);
      }
    }
  };

  if (signal?.aborted) throw new EvaluationCancelledError();
  for (const job of plan.jobs) {
    if (signal?.aborted) throw new EvaluationCancelledError();
    const jobStarted = clock();
    await runJob(job, await plan.pixels(job.input.sceneIndex));
    onProgress?.(meter.done(job, clock() - jobStarted));
  }

  const { pope, chair } = config.benchmarks;
  const popeSummaries =
    plan.pope && pope ? summarisePope(plan.pope, popeAnswers, pope.splits, config.bootstrap) : null;
  const chairSummaries = plan.chair
    ? summariseChair(plan.chair.examples, chairAnswers, plan.chair.scenes, config.bootstrap)
    : null;
  return {
    kind: 'logitlab-evaluation',
    version: 1,
    config,
    models: {
      main: modelRecord(deps.models.main),
      ...(deps.models.amateur && config.models.amateur ? { amateur: modelRecord(deps.models.amateur) } : {}),
    },
    lanes: plan.lanes.map((lane, l) => ({
      lane: lane.config,
      sweepValue: lane.sweepValue,
      pope: popeSummaries ? popeSummaries[l] : null,
      chair: chairSummaries ? chairSummaries[l] : null,
    })),
    pope: plan.pope && pope ? { examples: plan.pope, answers: popeAnswers } : null,
    chair: plan.chair && chair ? { examples: plan.chair.examples, answers: chairAnswers } : null,
    environment: environmentOf(deps.gpu),
    durationMs: clock() - started,
    examplesRun: plan.jobs.length,
  };
}
