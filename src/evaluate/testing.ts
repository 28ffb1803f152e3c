// Scripted lanes over the real DecodeSession and a fake model, for the runner's Node tests (no GPU):
// each lane's tokens are a function of its id and the example's experiment, so expected metrics can
// be computed from the scenes. The test file passes DecodeSession in after defining the WebGPU
// constants its modules read at load.
import type { DecodeSession as DecodeSessionClass, DecodeSessionOptions } from '../decoding/lanes/session';
import { fakeModel, scriptedMethods, SHAPES_VLM_CONFIG } from '../decoding/lanes/test-fakes';
import { TextTokenizer } from '../model/tokenizer';
import type { Experiment } from '../share/experiment';
import { defaultLane } from '../share/methods';
import {
  DEFAULT_WORLD,
  mentionedShapes,
  sampleSceneAt,
  shapesIn,
  shapesTokenizerConfig,
  shapesTokenizerJson,
} from '../world';
import { defaultEvaluationConfig, type EvaluationConfig } from './config';

export interface Harness {
  sessions: Experiment[];
  main: ReturnType<typeof fakeModel>;
  createSession: (o: DecodeSessionOptions) => Promise<DecodeSessionClass>;
}

export function testing(DecodeSession: typeof DecodeSessionClass) {
  const tokenizer = TextTokenizer.fromJson(shapesTokenizerJson(), shapesTokenizerConfig());
  const id = (word: string) => tokenizer.tokenToId(word)!;
  const EOS = tokenizer.eosTokenIds[0];
  const gpu = { isLost: false, assertAlive() {} } as never;

  const sceneOf = (experiment: Experiment) => {
    const image = experiment.image!;
    if (image.kind !== 'scene') throw new Error('scene expected');
    return sampleSceneAt(DEFAULT_WORLD, image.seed, image.index);
  };

  /**
   * Scripted lanes: "yes" always says yes; "truth" answers from the scene; "mute" says "two".
   * Captions: "yes" writes "a star", "truth" names the scene's first shape. Then <eos>.
   */
  function answerWords(laneId: string, experiment: Experiment): string[] {
    // A folder image: the scripted lanes always say yes.
    if (experiment.image?.kind === 'upload') return ['yes'];
    const scene = sceneOf(experiment);
    const caption = experiment.prompt === 'the picture shows';
    const kind = laneId.split('-')[0];
    if (caption) return kind === 'truth' ? ['a', scene.objects[0].shape] : ['a', 'star'];
    const asked = mentionedShapes(experiment.prompt)[0];
    if (kind === 'mute') return ['two'];
    if (kind === 'truth') return [shapesIn(scene).has(asked) ? 'yes' : 'no'];
    return ['yes'];
  }

  function harness(onStep?: (experiment: Experiment, laneId: string, step: number) => void): Harness {
    const main = fakeModel('shapes-vlm', SHAPES_VLM_CONFIG);
    const sessions: Experiment[] = [];
    return {
      sessions,
      main,
      createSession(options) {
        const experiment = options.experiment;
        sessions.push(experiment);
        const script = (laneId: string, observed: { step: number }) => {
          onStep?.(experiment, laneId, observed.step);
          if (laneId.startsWith('broken') && experiment.prompt.includes('star'))
            return new Error('empty plausible set');
          const words = answerWords(laneId, experiment);
          return observed.step < words.length ? id(words[observed.step]) : EOS;
        };
        return DecodeSession.create({
          ...options,
          models: { main },
          methods: scriptedMethods(script, new Map()),
        });
      },
    };
  }

  function config(overrides: Partial<EvaluationConfig> = {}): EvaluationConfig {
    return {
      ...defaultEvaluationConfig(),
      lanes: [defaultLane('plain', 'yes'), defaultLane('vcd', 'truth')],
      benchmarks: {
        pope: { splits: ['random', 'popular', 'adversarial'], scenes: 3, questionsPerScene: 3, maxTokens: 3 },
        chair: { scenes: 3, maxTokens: 4, prompt: 'the picture shows' },
      },
      decodeSeed: 40,
      bootstrap: { resamples: 50, seed: 1, confidence: 0.95 },
      ...overrides,
    };
  }

  let clockNow = 0;
  const clock = () => (clockNow += 10);

  return { harness, config, tokenizer, gpu, clock };
}
