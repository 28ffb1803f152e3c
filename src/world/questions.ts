// Questions about a scene and their answers: training pairs for the VLM and the text LMs, and an
// exact answer key for evaluation. Templates (all answers are one word):
//   object     "is there a star ?"                 → yes | no
//   attribute  "is there a blue star ?"            → yes | no
//   count      "how many circles are there ?"      → zero..six   (also "how many red circles …")
//   colour     "what colour is the square ?"       → a colour     (only asked when there is one square)
// answerQuestion reads these templates back (with the parser's synonyms) and answers from the scene,
// so a model's free answer can be scored against any scene.
import { parseCaption } from './parse';
import type { WorldRandom } from './random';
import { denotation, groupObjects, shapesIn } from './scene';
import { COLOURS, SHAPES, type Colour, type Scene, type Shape } from './types';
import { COUNT_WORDS, PLURALS, article, splitWords } from './words';

export type QuestionKind = 'object' | 'attribute' | 'count' | 'colour';

export interface QuestionAnswer {
  kind: QuestionKind;
  question: string;
  answer: string;
}

export function objectQuestion(shape: Shape): string {
  return `is there ${article(shape)} ${shape} ?`;
}

export function attributeQuestion(colour: Colour, shape: Shape): string {
  return `is there ${article(colour)} ${colour} ${shape} ?`;
}

export function countQuestion(shape: Shape, colour: Colour | null = null): string {
  return `how many ${colour === null ? '' : `${colour} `}${PLURALS[shape]} are there ?`;
}

export function colourQuestion(shape: Shape): string {
  return `what colour is the ${shape} ?`;
}

/**
 * The answer to a templated question about the scene, or null when the text is not one of the
 * templates or has no single answer ("what colour is the circle ?" with two circles).
 */
export function answerQuestion(scene: Scene, question: string): string | null {
  const words = splitWords(question).map((w) => w.text);
  const parsed = parseCaption(question);
  if (parsed.mentions.length !== 1) return null;
  const found = denotation(scene, parsed.mentions[0]);
  if (words[0] === 'is' && words[1] === 'there') return found.length > 0 ? 'yes' : 'no';
  if (words[0] === 'how' && words[1] === 'many') {
    return found.length < COUNT_WORDS.length ? COUNT_WORDS[found.length] : String(found.length);
  }
  if (words[0] === 'what' && (words[1] === 'colour' || words[1] === 'color')) {
    return found.length === 1 ? found[0].colour : null;
  }
  return null;
}

/**
 * A mix of question–answer pairs about the scene: `count` pairs, kinds drawn in turn, yes/no
 * questions balanced (each is a yes or a no with probability ½ when both exist).
 */
export function questionsFor(scene: Scene, rng: WorldRandom, count = 4): QuestionAnswer[] {
  const present = [...shapesIn(scene)];
  const absent = SHAPES.filter((s) => !present.includes(s));
  const groups = groupObjects(scene);
  const single = present.filter((s) => denotation(scene, { shape: s }).length === 1);
  const out: QuestionAnswer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.pick<QuestionKind>(
      single.length > 0 ? ['object', 'attribute', 'count', 'colour'] : ['object', 'attribute', 'count'],
    );
    let question: string;
    if (kind === 'object') {
      const yes = absent.length === 0 || (present.length > 0 && rng.chance(0.5));
      question = objectQuestion(rng.pick(yes ? present : absent));
    } else if (kind === 'attribute') {
      const yes = groups.length > 0 && rng.chance(0.5);
      if (yes) {
        const g = rng.pick(groups);
        question = attributeQuestion(g.colour, g.shape);
      } else {
        // A wrong colour for a present shape when there is one (the hard negative), else any pair.
        const shape = present.length > 0 ? rng.pick(present) : rng.pick(SHAPES);
        const colours = COLOURS.filter((c) => denotation(scene, { shape, colour: c }).length === 0);
        question = attributeQuestion(rng.pick(colours), shape);
      }
    } else if (kind === 'count') {
      const shape = rng.chance(0.8) && present.length > 0 ? rng.pick(present) : rng.pick(SHAPES);
      const colour = rng.chance(0.3) && groups.length > 0 ? rng.pick(groups).colour : null;
      question = countQuestion(shape, colour);
    } else {
      question = colourQuestion(rng.pick(single));
    }
    out.push({ kind, question, answer: answerQuestion(scene, question) as string });
  }
  return out;
}
