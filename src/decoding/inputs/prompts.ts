// The disturbed prompt of the text-contrast methods: same image, a prompt that pushes the model
// toward its language prior, subtracted like VCD's noised image:
//   softmax[ (1 + a) l(y | v, x) - a l(y | v, x') ]  on V_head (beta),  x' = the disturbed prompt.
//
// ICD: "Mitigating Hallucinations in Large Vision-Language Models with Instruction Contrastive
// Decoding" (Wang et al., Findings of ACL 2024). x' = a *disturbance instruction* put in front of
// the user's instruction, right after the image; the released evaluation scripts use
//   "You are a confused object detector."   (text_cd), with a = 1, beta = 0.1.
// LQCD: "Towards Analyzing and Mitigating Sycophancy in Large Vision-Language Models" (Zhao et al.,
// 2024). x' = a *leading query*: the neutral question followed by a cue that suggests the answer,
// e.g. "Is there a dog in the image? It seems like there isn't." (the paper's example, as summarised
// in public reviews; we have not read its full template list). Contrasting against the leading
// query suppresses the tokens the cue promotes ("sycophancy tokens").
//
// Interpretations:
//  - Placement: ICD's instruction is a prefix of the prompt text, LQCD's cue a suffix; the chat or
//    image template wraps the result as it wraps the prompt. Both are joined with one space after
//    trimming, so "  q " and "q" give the same disturbed text.
//  - The Shapes models read only their own 62-token vocabulary (src/world/vocabulary.ts) and have
//    never seen an instruction. What they have seen is sequences of answered questions about one
//    image, "<image> q1 ? a1 q2 ? a2 ..." (src/defaults/data.ts). So the in-vocabulary leading
//    query is an earlier turn that already answered the same question:
//      "is there a star ?"  ->  "is there a star ? yes is there a star ?"
//    The model's own context then asserts the object, the closest thing the vocabulary allows to
//    LQCD's leading cue. A cue after the question is impossible here: the token after "?" is read
//    as the answer. For yes/no questions the asserted answer defaults to "yes", the hallucination
//    direction POPE measures; other questions (counts, colours) need it spelled out.
import { COLOURS } from '../../world/types';
import { SPECIAL_TOKENS, tokenId } from '../../world/vocabulary';
import { ANSWER_WORDS, COUNT_WORDS, splitWords } from '../../world/words';

export type DisturbancePlacement = 'prefix' | 'suffix';

/** ICD's disturbance instruction (the reference scripts' text_cd). */
export const ICD_DISTURBANCE = 'You are a confused object detector.';

/** Leading cues in the style of LQCD's example; "no" is the paper's example, "yes" its mirror. */
export const LEADING_CUES = {
  no: "It seems like there isn't.",
  yes: 'It seems like there is.',
} as const;

function nonEmpty(what: string, name: string, text: string, hint: string): string {
  if (typeof text !== 'string') {
    throw new TypeError(`${what}: the ${name} must be a string, got ${typeof text}`);
  }
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new RangeError(
      `${what}: the ${name} is empty${text.length > 0 ? ' (only whitespace)' : ''}; ${hint}`,
    );
  }
  return trimmed;
}

const CONTRAST_HINT = `a contrast prompt needs both the prompt and a disturbance, e.g. "${ICD_DISTURBANCE}"`;
const SHAPES_HINT = 'type a Shapes question such as "is there a star ?"';

/** The prompt with the disturbance before it (ICD) or after it (LQCD's leading cue). */
export function disturbedPrompt(
  prompt: string,
  disturbance: string,
  placement: DisturbancePlacement = 'prefix',
): string {
  const what = 'disturbedPrompt';
  const p = nonEmpty(what, 'prompt', prompt, CONTRAST_HINT);
  const d = nonEmpty(what, 'disturbance', disturbance, CONTRAST_HINT);
  if (placement === 'prefix') return `${d} ${p}`;
  if (placement === 'suffix') return `${p} ${d}`;
  throw new RangeError(`${what}: placement must be 'prefix' or 'suffix', got ${JSON.stringify(placement)}`);
}

/** ICD's contrast prompt: the disturbance instruction, then the user's prompt. */
export function icdPrompt(prompt: string, disturbance: string = ICD_DISTURBANCE): string {
  return disturbedPrompt(prompt, disturbance, 'prefix');
}

/** LQCD's leading query: the question, then a cue suggesting the answer. */
export function leadingQuery(question: string, cue: string = LEADING_CUES.no): string {
  return disturbedPrompt(question, cue, 'suffix');
}

/** The words a Shapes answer can be: yes / no, a count, a colour. */
export const SHAPES_ANSWER_WORDS: readonly string[] = [...ANSWER_WORDS, ...COUNT_WORDS, ...COLOURS];

/**
 * The text as the Shapes tokenizer reads it (lowercase words and punctuation joined by single
 * spaces); throws naming every piece outside the vocabulary.
 */
export function shapesText(what: string, name: string, text: string): string {
  const trimmed = nonEmpty(what, name, text, SHAPES_HINT);
  const special = SPECIAL_TOKENS.find((token) => trimmed.includes(token));
  if (special !== undefined) {
    throw new RangeError(
      `${what}: the ${name} "${trimmed}" contains the special token ${special}; give the words only ` +
        '(the prompt template adds <bos> and the image placeholders itself)',
    );
  }
  const words = splitWords(trimmed);
  const unknown = words.filter((w) => tokenId(w.text) === undefined);
  if (unknown.length > 0) {
    const shown = unknown.map((w) => JSON.stringify(trimmed.slice(w.start, w.end))).join(', ');
    throw new RangeError(
      `${what}: the ${name} "${trimmed}" has ${unknown.length === 1 ? 'a word' : 'words'} the Shapes models ` +
        `cannot read: ${shown}; use only the Shapes vocabulary (src/world/words.ts), e.g. "is there a star ?"`,
    );
  }
  return words.map((w) => w.text).join(' ');
}

function shapesQuestion(what: string, question: string): string {
  const text = shapesText(what, 'question', question);
  if (!text.endsWith('?')) {
    throw new RangeError(
      `${what}: "${text}" is not a question: Shapes questions end with "?" (e.g. "is there a star ?"), ` +
        'and the leading turn must be a question–answer pair the model has seen',
    );
  }
  return text;
}

/** "q a" after checking the question and the answer; `what` names the public caller in errors. */
function leadingTurn(what: string, question: string, assertedAnswer: string | undefined): string {
  const q = shapesQuestion(what, question);
  let answer = assertedAnswer;
  if (answer === undefined) {
    const [first, second] = q.split(' ');
    if ((first === 'is' || first === 'are') && second === 'there') answer = 'yes';
    else {
      throw new RangeError(
        `${what}: "${q}" is not a yes/no "is there" question, so there is no default answer to assert; ` +
          `pass the answer the leading turn should give (one of ${SHAPES_ANSWER_WORDS.join(', ')})`,
      );
    }
  }
  const a = nonEmpty(what, 'asserted answer', answer, `use one of ${SHAPES_ANSWER_WORDS.join(', ')}`);
  if (!SHAPES_ANSWER_WORDS.includes(a.toLowerCase())) {
    throw new RangeError(
      `${what}: the asserted answer "${a}" is not a Shapes answer word; use one of ${SHAPES_ANSWER_WORDS.join(', ')}`,
    );
  }
  return `${q} ${a.toLowerCase()}`;
}

/**
 * The in-vocabulary disturbance for a Shapes question: the same question, already answered
 * ("is there a star ? yes"). Put it before the question (placement 'prefix'); this is the string an
 * 'icd' lane stores as its `disturbance`. `assertedAnswer` defaults to "yes" for "is there" /
 * "are there" questions and is required otherwise.
 */
export function shapesLeadingDisturbance(question: string, assertedAnswer?: string): string {
  return leadingTurn('shapesLeadingDisturbance', question, assertedAnswer);
}

/** The leading Shapes query: "is there a star ?" -> "is there a star ? yes is there a star ?". */
export function leadingShapesPrompt(question: string, assertedAnswer?: string): string {
  const what = 'leadingShapesPrompt';
  return `${leadingTurn(what, question, assertedAnswer)} ${shapesQuestion(what, question)}`;
}
