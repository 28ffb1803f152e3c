// Preference sets for the offline objectives (DPO, robust DPO, D2O), generated from the Shapes
// tasks (./tasks.ts): chosen = the correct answer or caption, rejected = a wrong one of the same
// form, so the pair differs only where it matters.
//   object   the other of yes/no
//   count    a neighbouring count (one more or one fewer, within zero..six)
//   caption  the caption with one object hallucinated: a mention's noun becomes a shape the scene
//            does not have ("a large red heart" → "a large red star"), so the rejected caption
//            fails the caption reward under every rule (ViCrit's colour, count and relation errors
//            would pass the default "no absent object" reward)
//   vicrit   another phrase of the corrupted caption (a mention or relation outside the error
//            span), else the mention around the span, else the words the error replaced
//   critic   the other label
// With flip rate e each pair's labels are swapped with probability e (one seeded draw per pair,
// taken after the pair is built, so the same seed gives the same pairs for every e; `flipped` says
// which were swapped, for robustness studies with robust DPO). e may be anything in [0, 1]:
// 0.5 is random labels, above it mostly wrong ones.
import {
  COUNT_WORDS,
  DEFAULT_WORLD,
  PLURALS,
  SHAPES,
  parseCaption,
  sampleScene,
  shapesIn,
  type Scene,
  type WorldDistribution,
  type WorldRandom,
} from '../world';
import { ObjectiveInputError, requireInRange } from './errors';
import { taskFor, taskRandom, type ShapesTask, type TaskKind, type VicritTask } from './tasks';

export interface PreferenceExample {
  task: ShapesTask;
  chosen: string;
  rejected: string;
  /** The labels were swapped by the flip rate: `chosen` is the wrong response. */
  flipped: boolean;
}

export interface PreferenceSetOptions {
  kind: TaskKind;
  seed: number;
  /** Number of pairs, at least 1. */
  count: number;
  /** Label flip rate e in [0, 1] (default 0). */
  flipRate?: number;
  /** Scene index of the first pair (default 0): held-out sets use another range of the same seed. */
  firstIndex?: number;
  world?: WorldDistribution;
}

/** A wrong vicrit answer: another phrase of the corrupted caption, never the error span itself. */
function wrongSpan(task: VicritTask, rng: WorldRandom): string {
  const { text, span } = task.corrupted;
  const parsed = parseCaption(text);
  const phrase = (start: number, end: number) =>
    parsed.words
      .slice(start, end)
      .map((w) => w.text)
      .join(' ');
  const outside = [...parsed.mentions, ...parsed.relations].filter(
    (p) => p.wordEnd <= span.wordStart || p.wordStart >= span.wordEnd,
  );
  if (outside.length > 0) {
    const p = rng.pick(outside);
    return phrase(p.wordStart, p.wordEnd);
  }
  const around = parsed.mentions.find((m) => m.wordStart <= span.wordStart && m.wordEnd >= span.wordEnd);
  if (around && phrase(around.wordStart, around.wordEnd) !== task.answer) {
    return phrase(around.wordStart, around.wordEnd);
  }
  return task.corrupted.originalWords;
}

/** The caption with one mention's noun swapped for a shape absent from the scene. */
export function hallucinatedCaption(scene: Scene, caption: string, rng: WorldRandom): string {
  const parsed = parseCaption(caption);
  const present = shapesIn(scene);
  const absent = SHAPES.filter((s) => !present.has(s));
  if (parsed.mentions.length === 0 || absent.length === 0) {
    throw new RangeError(
      `preferences: cannot hallucinate an object in "${caption}" (no mention, or no absent shape)`,
    );
  }
  const mention = rng.pick(parsed.mentions);
  const shape = rng.pick(absent);
  const nounWord = parsed.words[mention.wordEnd - 1];
  return (
    caption.slice(0, nounWord.start) + (mention.plural ? PLURALS[shape] : shape) + caption.slice(nounWord.end)
  );
}

/** A response of the task's form with reward 0. */
export function rejectedResponse(task: ShapesTask, rng: WorldRandom): string {
  switch (task.kind) {
    case 'object':
      return task.answer === 'yes' ? 'no' : 'yes';
    case 'count': {
      const options = [task.count - 1, task.count + 1].filter((c) => c >= 0 && c < COUNT_WORDS.length);
      return COUNT_WORDS[rng.pick(options)];
    }
    case 'caption':
      return hallucinatedCaption(task.scene, task.answer, rng);
    case 'vicrit':
      return wrongSpan(task, rng);
    case 'critic':
      return task.answer === 'one' ? 'two' : 'one';
  }
}

export function preferenceSet(options: PreferenceSetOptions): PreferenceExample[] {
  const { kind, seed, count } = options;
  const flipRate = options.flipRate ?? 0;
  const firstIndex = options.firstIndex ?? 0;
  if (!Number.isInteger(count) || count < 1) {
    throw new ObjectiveInputError(
      `preferences: count must be a whole number >= 1, got ${count}; an empty preference set cannot be trained on`,
    );
  }
  if (!Number.isInteger(firstIndex) || firstIndex < 0) {
    throw new ObjectiveInputError(`preferences: firstIndex must be a whole number >= 0, got ${firstIndex}`);
  }
  requireInRange('preferences', 'flip rate', flipRate, {
    min: 0,
    minIncluded: true,
    max: 1,
    maxIncluded: true,
  });
  return Array.from({ length: count }, (_, i) => {
    const rng = taskRandom(seed, firstIndex + i);
    const task = taskFor(kind, sampleScene(options.world ?? DEFAULT_WORLD, rng), rng);
    const rejected = rejectedResponse(task, rng);
    const flipped = rng.chance(flipRate);
    return flipped
      ? { task, chosen: rejected, rejected: task.answer, flipped }
      : { task, chosen: task.answer, rejected, flipped };
  });
}
