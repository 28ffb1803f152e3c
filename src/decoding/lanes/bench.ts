// Bench rows for the Decode workbench (issue 6, "Benchmarks"): the per-token cost of each decoding
// method against a greedy lane on the same model in the same run, and its readback bytes per token.
// Model: the committed Shapes VLM (public/models/shapes-vlm, loaded through the app's loader from
// the bench page's server), prompt "the picture shows" about Shapes scene (seed 1, index 0).
// One run = a fresh DecodeSession with one lane of the method generating TOKENS tokens (prefill
// included, as a user's Run is); the baseline is the same session with a greedy plain lane.
// ratio = greedy ms / method ms (below 1: the method costs more per token). CD and LOL run on the
// expert/amateur caption models instead (they need two text models), against greedy on the expert;
// LOL needs an amateur with a lower layer, and the 1-layer amateur has none, so its amateur is the
// 2-layer VLM read without an image (same vocabulary): a latency row, not a quality claim.
// The shape column reports what the lane's trace counted: readback bytes per token.
import type { BenchCase, BenchInstance } from '../../bench/types';
import type { Gpu } from '../../gpu/runtime';
import type { LanguageModel } from '../../model/interface';
import type { TextTokenizer } from '../../model/tokenizer';
import type { Experiment, MethodName } from '../../share/experiment';
import { defaultLane, defaultMethodConfig } from '../../share/methods';
import { scenePixels } from '../../worker/decodeSetup';
import { ModelHost } from '../../worker/modelHost';
import { DecodeSession } from './session';

const TOKENS = 8;
const SCENE = { seed: 1, index: 0 };

interface Loaded {
  model: LanguageModel;
  tokenizer: TextTokenizer;
  host: ModelHost;
}

async function loadDefault(gpu: Gpu, name: string): Promise<Loaded> {
  const host = new ModelHost();
  const url = `${location.origin}/models/${name}/`;
  await host.load(gpu, 0, { kind: 'url', url, useCache: false }, () => undefined);
  const loaded = host.loadedModel();
  if (!loaded) throw new Error(`decode bench: ${name} did not load`);
  return { model: loaded.model, tokenizer: loaded.tokenizer, host };
}

const amateurOf = (method: MethodName) => (method === 'lol' ? 'shapes-vlm' : 'shapes-amateur');

function experiment(method: MethodName, text: boolean): Experiment {
  const lane = defaultLane(method, 'lane-1');
  return {
    version: 1,
    models: text
      ? {
          main: { source: 'default', id: 'shapes-expert', sha256: {} },
          ...(method === 'cd' || method === 'lol'
            ? { amateur: { source: 'default', id: amateurOf(method), sha256: {} } }
            : {}),
        }
      : { main: { source: 'default', id: 'shapes-vlm', sha256: {} } },
    prompt: text ? '' : 'the picture shows',
    image: text ? null : { kind: 'scene', ...SCENE },
    seed: 0,
    maxTokens: TOKENS,
    lanes: [{ ...lane, method: defaultMethodConfig(method) }],
  };
}

function methodCase(method: MethodName): BenchCase {
  const text = method === 'cd' || method === 'lol';
  let readbackPerToken = NaN;
  return {
    name: `decode/${method}`,
    get shape() {
      const model = text ? `expert+${amateurOf(method).replace('shapes-', '')}` : 'shapes-vlm';
      return `${model}, ms per ${TOKENS}-token run, readback ${Number.isFinite(readbackPerToken) ? Math.round(readbackPerToken) : '?'} B/token`;
    },
    baseline: 'greedy-lane',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      const main = await loadDefault(gpu, text ? 'shapes-expert' : 'shapes-vlm');
      const amateur = text ? await loadDefault(gpu, amateurOf(method)) : null;
      const image = text ? null : scenePixels(SCENE.seed, SCENE.index);
      const runLane = async (exp: Experiment) => {
        const session = await DecodeSession.create({
          gpu,
          models: { main: main.model, ...(amateur ? { amateur: amateur.model } : {}) },
          tokenizer: main.tokenizer,
          experiment: exp,
          image,
        });
        try {
          await session.run();
          return session.laneTraces()[0];
        } finally {
          session.dispose();
        }
      };
      const methodExperiment = experiment(method, text);
      const greedy = experiment('plain', text);
      const first = await runLane(methodExperiment);
      if (first.error) throw new Error(`decode/${method}: ${first.error}`);
      readbackPerToken = first.statistics.readbackBytesPerToken;
      return {
        run: async () => void (await runLane(methodExperiment)),
        runBaseline: async () => void (await runLane(greedy)),
        dispose() {
          main.host.reset();
          amateur?.host.reset();
        },
      };
    },
  };
}

export const benchCases: BenchCase[] = (
  ['vcd', 'icd', 'ritual', 'debias', 'debias-calibrate', 'dola', 'lol', 'contrastive-search', 'cd'] as const
).map(methodCase);
