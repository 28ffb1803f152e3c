// Verifiable tasks from the Shapes world (src/world): a scene, a prompt, a reference answer and a
// reward that checks any response exactly, for GRPO/TEMPO rollouts and for the offline preference
// sets (./preferences.ts).
//
//   object   POPE-style "is there a star ?" → yes | no, balanced (yes with probability 1/2 when the
//            scene has both present and absent shapes); reward 1 when the first word is the answer
//            (readYesNo, as the POPE metric reads answers).
//   count    "how many [colour] circles are there ?" → zero..six; reward 1 when the first word is the
//            count (a count word, or its digits).
//   caption  the caption prompt "the picture shows" → a caption; reward 1 when the caption mentions
//            no absent object (mentionedShapes, the parser CHAIR uses). Like CHAIR_i this is blind to
//            omissions: a caption that mentions nothing earns 1. `requireMention` closes that gap
//            (reward 0 for a caption that names no object), `allClaims` also checks counts and
//            relations (isCaptionTrue).
//   vicrit   ViCrit ("ViCrit: A Verifiable Reinforcement Learning Proxy Task for Visual Perception in
//            VLMs", 2025): a true caption with one injected error (corruptCaption) → the changed
//            words; reward 1 on an exact match of the response's words with the error span.
//   critic   LLaVA-Critic-R1's recast preference pair: a correct and a corrupted caption in a seeded
//            order → "one" or "two", the position of the correct one; reward 1 on the first word.
// Prompts use only the Shapes vocabulary (it has no "which", "or" or "wrong"): ViCrit asks
// "<corrupted caption> what ?" and the critic "one , <caption> two , <caption> what is right ?".
// Interpretation: the "A or B" is "one or two" for that reason.
//
// A task is plain JSON (scene, strings, numbers), so tasks go into share links and fixtures as they
// are. sampleTask(kind, seed, index) draws scene `index` of the seed exactly as sampleSceneAt does,
// then the task's choices from the same stream: the same (kind, seed, index) gives the same task.
import { CAPTION_PROMPT } from '../defaults/data';
import {
  DEFAULT_WORLD,
  SHAPES,
  WorldRandom,
  answerQuestion,
  captionFor,
  corruptCaption,
  countQuestion,
  denotation,
  groupObjects,
  isCaptionTrue,
  mentionedShapes,
  objectQuestion,
  readYesNo,
  sampleScene,
  shapesIn,
  splitWords,
  type CorruptedCaption,
  type Scene,
  type WorldDistribution,
} from '../world';

export const TASK_KINDS = ['object', 'count', 'caption', 'vicrit', 'critic'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const VICRIT_QUESTION = 'what ?';
export const CRITIC_QUESTION = 'what is right ?';
export const CRITIC_LABELS = ['one', 'two'] as const;

interface TaskBase {
  scene: Scene;
  /** The text after the image placeholders. */
  prompt: string;
  /** A response with reward 1. */
  answer: string;
}

export interface ObjectTask extends TaskBase {
  kind: 'object';
  answer: 'yes' | 'no';
}
export interface CountTask extends TaskBase {
  kind: 'count';
  count: number;
}
export interface CaptionTask extends TaskBase {
  kind: 'caption';
}
export interface VicritTask extends TaskBase {
  kind: 'vicrit';
  corrupted: CorruptedCaption;
}
export interface CriticTask extends TaskBase {
  kind: 'critic';
  captions: [string, string];
  answer: (typeof CRITIC_LABELS)[number];
}
export type ShapesTask = ObjectTask | CountTask | CaptionTask | VicritTask | CriticTask;

const CAPTION_OPTIONS = { openerProbability: 0 };

function trueAndCorrupted(scene: Scene, rng: WorldRandom): CorruptedCaption {
  const caption = captionFor(scene, rng, CAPTION_OPTIONS);
  const corrupted = corruptCaption(scene, caption, rng);
  if (corrupted === null) {
    throw new RangeError(
      `tasks: "${caption}" has nothing an error can be injected into; use a scene with objects`,
    );
  }
  return corrupted;
}

/** A task of `kind` about `scene`, its choices drawn from `rng`. */
export function taskFor(kind: TaskKind, scene: Scene, rng: WorldRandom): ShapesTask {
  const present = [...shapesIn(scene)];
  const absent = SHAPES.filter((s) => !present.includes(s));
  switch (kind) {
    case 'object': {
      const yes = present.length > 0 && (absent.length === 0 || rng.chance(0.5));
      const prompt = objectQuestion(rng.pick(yes ? present : absent));
      return { kind, scene, prompt, answer: yes ? 'yes' : 'no' };
    }
    case 'count': {
      const shape = present.length > 0 && rng.chance(0.8) ? rng.pick(present) : rng.pick(SHAPES);
      const groups = groupObjects(scene).filter((g) => g.shape === shape);
      const colour = groups.length > 0 && rng.chance(0.3) ? rng.pick(groups).colour : null;
      const prompt = countQuestion(shape, colour);
      const answer = answerQuestion(scene, prompt) as string;
      return { kind, scene, prompt, answer, count: denotation(scene, { shape, colour }).length };
    }
    case 'caption':
      return { kind, scene, prompt: CAPTION_PROMPT, answer: captionFor(scene, rng, CAPTION_OPTIONS) };
    case 'vicrit': {
      const corrupted = trueAndCorrupted(scene, rng);
      return {
        kind,
        scene,
        prompt: `${corrupted.text} ${VICRIT_QUESTION}`,
        answer: corrupted.replacement,
        corrupted,
      };
    }
    case 'critic': {
      const corrupted = trueAndCorrupted(scene, rng);
      const correctFirst = rng.chance(0.5);
      const captions: [string, string] = correctFirst
        ? [corrupted.original, corrupted.text]
        : [corrupted.text, corrupted.original];
      const prompt = `one , ${captions[0]} two , ${captions[1]} ${CRITIC_QUESTION}`;
      return { kind, scene, prompt, captions, answer: CRITIC_LABELS[correctFirst ? 0 : 1] };
    }
  }
}

/** The generator of task `index` of a seed: scene `index` is drawn from it first (as sampleSceneAt). */
export function taskRandom(seed: number, index: number): WorldRandom {
  return WorldRandom.fromNumber(seed, index);
}

export function sampleTask(
  kind: TaskKind,
  seed: number,
  index: number,
  world: WorldDistribution = DEFAULT_WORLD,
): ShapesTask {
  const rng = taskRandom(seed, index);
  return taskFor(kind, sampleScene(world, rng), rng);
}

export function sampleTasks(
  kind: TaskKind,
  seed: number,
  count: number,
  firstIndex = 0,
  world: WorldDistribution = DEFAULT_WORLD,
): ShapesTask[] {
  return Array.from({ length: count }, (_, i) => sampleTask(kind, seed, firstIndex + i, world));
}

export interface RewardOptions {
  /** caption: a caption that names no object earns 0 (default false: the plain CHAIR-style rule). */
  requireMention?: boolean;
  /** caption: every claim must hold (counts, relations), not only the objects' presence. */
  allClaims?: boolean;
}

function words(text: string): string[] {
  return splitWords(text).map((w) => w.text);
}

/** The verifiable reward of a response (text, without <eos>): 1 or 0. */
export function taskReward(task: ShapesTask, response: string, options: RewardOptions = {}): 0 | 1 {
  const first = words(response)[0] ?? '';
  switch (task.kind) {
    case 'object':
      return readYesNo(response) === task.answer ? 1 : 0;
    case 'count':
      return first === task.answer || first === String(task.count) ? 1 : 0;
    case 'caption': {
      const mentioned = mentionedShapes(response);
      const present = shapesIn(task.scene);
      if (options.requireMention && mentioned.length === 0) return 0;
      if (!mentioned.every((s) => present.has(s))) return 0;
      return !options.allClaims || isCaptionTrue(task.scene, response) ? 1 : 0;
    }
    case 'vicrit':
      return words(response).join(' ') === words(task.answer).join(' ') ? 1 : 0;
    case 'critic':
      return first === task.answer ? 1 : 0;
  }
}
