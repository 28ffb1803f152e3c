// Parsing of the fused step's readback: summaries, decisions and tokens, checked for errors.
// Layout (u32 words): input summaries [inputs * rows, 32], combined summaries [rows, 32],
// decisions [rows, 8], tokens [rows, draws, 2] (id, logit bits).
import { EmptyDistributionError, KernelInputError } from '../../gpu/errors';
import {
  bitsToFloat,
  DECISION_WORDS,
  MASS_SCALE,
  NO_TOKEN,
  parseDecision,
  parseSummary,
  SUMMARY_WORDS,
  type RowDecision,
  type RowSummary,
} from './layout';

export interface StepRow {
  /** One token per draw. */
  tokens: number[];
  /** Probability of each token under the final (filtered, renormalised) distribution. */
  tokenProbs: number[];
  /** Summary of every input distribution (top-10, entropy, ...). */
  inputs: RowSummary[];
  /** Summary of the combined, masked, tempered distribution. */
  combined: RowSummary;
  /** |V_head|: tokens left by the plausibility mask (and -Inf exclusions). */
  plausibleCount: number;
  /** Filter thresholds and the kept set's size and mass (sampling only). */
  decision: RowDecision | null;
}

export interface StepResult {
  rows: StepRow[];
}

/** Turns the step readback into per-row results; throws for invalid inputs and empty rows. */
export function parseStep(
  words: Uint32Array,
  rows: number,
  inputCount: number,
  greedy: boolean,
  draws: number,
): StepResult {
  const combinedBase = inputCount * rows;
  const decisionBase = (inputCount + 1) * rows * SUMMARY_WORDS;
  const tokenBase = decisionBase + rows * DECISION_WORDS;
  const inputSummaries = Array.from({ length: inputCount * rows }, (_, r) => parseSummary(words, r));
  const problems: string[] = [];
  inputSummaries.forEach((s, r) => {
    const where = `input ${Math.floor(r / rows)} row ${r % rows}`;
    if (s.invalidCount > 0) problems.push(`${where} contains ${s.invalidCount} NaN or +Infinity logits`);
    else if (s.finiteCount === 0) problems.push(`${where} has no finite logit`);
  });
  if (problems.length > 0) throw new KernelInputError(`invalid logits: ${problems.join('; ')}`);
  const empty: number[] = [];
  const result: StepRow[] = [];
  for (let row = 0; row < rows; row++) {
    const combined = parseSummary(words, combinedBase + row);
    if (combined.finiteCount === 0 || combined.invalidCount > 0) {
      empty.push(row);
      continue;
    }
    const inputs = Array.from({ length: inputCount }, (_, j) => inputSummaries[j * rows + row]);
    if (greedy) {
      result.push({
        tokens: [combined.argmax as number],
        tokenProbs: [combined.top[0].prob],
        inputs,
        combined,
        plausibleCount: combined.finiteCount,
        decision: null,
      });
      continue;
    }
    const decision = parseDecision(words.subarray(decisionBase), row);
    const tokens: number[] = [];
    const tokenProbs: number[] = [];
    for (let d = 0; d < draws; d++) {
      const o = tokenBase + (row * draws + d) * 2;
      if (words[o] === NO_TOKEN) {
        empty.push(row);
        break;
      }
      tokens.push(words[o]);
      // p under the kept set = exp(l - lse) / (kept mass as a fraction of all mass).
      tokenProbs.push(Math.exp(bitsToFloat(words[o + 1]) - combined.lse) / (decision.keptMass / MASS_SCALE));
    }
    result.push({ tokens, tokenProbs, inputs, combined, plausibleCount: combined.finiteCount, decision });
  }
  if (empty.length > 0) throw new EmptyDistributionError([...new Set(empty)], 'logit pipeline');
  return { rows: result };
}
