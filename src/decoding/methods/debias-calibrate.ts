// Debias, post-hoc calibration (Zhang et al., "Debiasing Large Visual Language Models", 2024; v3:
// "Debiasing Multimodal Large Language Models via Penalization of Language Priors"; reference code
// yfzhang114/LLaVA-Align, experiments/eval/eval_pope_calibrate.py) as a lane: for a closed-form
// question (yes/no, multiple choice) the answer the model gives without looking is its bias; divide
// it out at the step where the answer is given:
//
//   p_k    = P(answer k | v, x)       renormalised over the K answers (src/decoding/inputs/calibration.ts)
//   p_cf_k = P(answer k | v_cf, x)    v_cf = no image, or a meaningless one ("content-free")
//   q_k    = (p_k / p_cf_k) / sum_j (p_j / p_cf_j)        i.e. W = diag(p_cf)^-1, b = 0
//
// so the content-free input itself is mapped to uniform answers. An answer sums the probabilities
// of the single-token forms of its word ("yes", " yes", "Yes", " Yes"; ./answers.ts), as the
// reference sums "Yes" and "yes".
//
// Components: [the image (base), the reference]; both are prefilled and both distributions are in
// every record (the lane inspection: top-10, the chosen token's rank, KL/JS between them).
// Interpretations:
//  - The answer step is step 0, and only when the base distribution's argmax is one of the answer
//    tokens (the model is answering the question). Otherwise, and at every later step, the lane is
//    plain decoding on the base (weights [1, 0], no mask, the lane's sampling settings): the
//    calibration corrects an answer, it does not rewrite the rest of the sentence.
//  - Greedy takes argmax_k q_k; sampling draws k from q itself with the lane's Philox draw
//    (experiment seed, lane stream, counter = 0): q is already the calibrated answer distribution,
//    so temperature and top-k/top-p/min-p are not applied to it.
//  - The emitted token is the chosen answer's form the base distribution likes best (highest logit,
//    lowest id on ties): if the calibration keeps the model's answer the token is exactly the base
//    argmax (the text equals a greedy lane's), and changedByMethod says whether the ANSWER changed.
//  - The reference's default content-free input is the question without image tokens ('no-image');
//    'mean-colour' (the reference's all-zero normalised image) and 'noise' (N(0, 1) in CLIP space,
//    seeded by the experiment) are meaninglessImage at the model's image size.
//  - p_cf_k = 0 (an answer impossible without the image) has no inverse: the lane ends with an error
//    rather than adding the reference's 1e-4 floor, so the correction stays exactly uniform.
// Record at the answer step: combined = q over the answers (each listed by its emitted form),
// plausibleCount = K, extra = 'p(word)', 'p_cf(word)', 'q(word)' per answer. Readback per token:
// the fused step's summaries and the inspection as a plain lane, plus 2 x (answer ids) x 4 bytes at
// the answer step (AnswerLogitReader): no vocabulary row.
import { LogitPipeline, type StepRow } from '../../kernels/logits/fused';
import { philoxUniform } from '../../kernels/random/philox';
import type { CalibrationReference } from '../../share/experiment';
import type { DistributionSummary, TokenRecord } from '../../share/trace';
import {
  answerDistribution,
  applyDebiasCalibration,
  fitDebiasCalibration,
  meaninglessImage,
} from '../inputs';
import { stepParams } from '../lanes/combine-step';
import { LaneInspector, type RowRef } from '../lanes/inspect';
import { combinationDecision, distributionSummary, pairDivergences } from '../lanes/record';
import { AnswerLogitReader } from './answer-logits';
import { resolveAnswers, type ResolvedAnswer } from './answers';
import { requireImage } from './images';
import type { ComponentSpec, DecodingMethod, MethodContext, StepDecision } from './types';

const NAME = 'Debias (calibrated)';
export const NOT_APPLIED = 'not applied: the base argmax is not an answer';

/** The answer distributions of one answer step: with the image, content-free, calibrated. */
export interface CalibratedAnswers {
  p: number[];
  pCf: number[];
  q: number[];
}

/**
 * p, p_cf and q from the answer tokens' logits of both rows; `logits[i]` is the logit of
 * `ids[i]`, the answers' ids concatenated in order.
 */
export function calibrateAnswers(
  answers: readonly ResolvedAnswer[],
  baseLogits: readonly number[],
  referenceLogits: readonly number[],
): CalibratedAnswers {
  let at = 0;
  const positions = answers.map((answer) => answer.ids.map(() => at++));
  const p = answerDistribution(baseLogits, positions);
  const pCf = answerDistribution(referenceLogits, positions);
  return { p, pCf, q: applyDebiasCalibration(fitDebiasCalibration(pCf), p) };
}

/** argmax_k q_k (first on ties) when greedy, else the k whose cumulative q first exceeds u. */
export function chooseAnswer(q: readonly number[], uniform: number | null): number {
  if (uniform === null) return q.reduce((best, v, k) => (v > q[best] ? k : best), 0);
  let cumulative = 0;
  for (let k = 0; k < q.length; k++) {
    cumulative += q[k];
    if (uniform < cumulative) return k;
  }
  // Rounding can leave the total a hair below 1: the last answer that has probability.
  for (let k = q.length - 1; k > 0; k--) if (q[k] > 0) return k;
  return 0;
}

/** The answer's form with the highest base logit (lowest id on ties): the token it is said with. */
function spokenForm(answer: ResolvedAnswer, offset: number, baseLogits: readonly number[]): number {
  let best = 0;
  answer.ids.forEach((id, i) => {
    const l = baseLogits[offset + i];
    const b = baseLogits[offset + best];
    if (l > b || (l === b && id < answer.ids[best])) best = i;
  });
  return answer.ids[best];
}

/** The calibrated answer distribution as the record's combined distribution. */
function calibratedSummary(
  forms: readonly number[],
  q: readonly number[],
  chosen: number,
): DistributionSummary {
  const order = q.map((_, k) => k).sort((a, b) => q[b] - q[a] || a - b);
  return {
    label: 'calibrated answers',
    top: order.map((k) => [forms[k], q[k]]),
    entropy: -q.reduce((sum, v) => sum + (v > 0 ? v * Math.log(v) : 0), 0),
    chosenProbability: q[chosen],
    chosenRank: 1 + q.filter((v) => v > q[chosen]).length,
  };
}

function referenceComponent(
  reference: CalibrationReference,
  context: MethodContext,
  image: Float32Array,
): ComponentSpec {
  const { prompt, seed } = context;
  if (reference === 'no-image') {
    return { label: 'no image', model: 'main', prompt, image: null, distortion: { kind: 'no-image' } };
  }
  const size = context.imageSize as number;
  const pixels = meaninglessImage(reference, size, size, { seed });
  if (pixels.length !== image.length) {
    throw new Error(
      `the meaningless image has ${pixels.length} values (${size} x ${size} x 3) but the image has ${image.length}: ` +
        "the calibration's meaningless images are RGB; use the 'no-image' reference",
    );
  }
  return {
    label:
      reference === 'mean-colour'
        ? 'meaningless image (mean colour)'
        : `meaningless image (noise, seed ${seed})`,
    model: 'main',
    prompt,
    image: pixels,
    distortion: { kind: 'meaningless', image: reference, seed },
  };
}

export const debiasCalibrate: DecodingMethod<'debias-calibrate'> = {
  name: 'debias-calibrate',
  components: ({ answers, reference }, context) => {
    const image = requireImage(context, NAME);
    // Resolved here too, so a bad answer word is a setup problem naming the lane.
    resolveAnswers(answers, context.tokenizer, Infinity);
    return [
      { label: 'image', model: 'main', prompt: context.prompt, image, distortion: null },
      referenceComponent(reference, context, image),
    ];
  },
  // Plain decoding on the base; the answer step is the stepper's own.
  combination: () => ({ weights: [1, 0], beta: 0 }),
  async createStepper({ answers }, setup) {
    const { gpu, vocab, sampling } = setup;
    const resolved = resolveAnswers(answers, setup.tokenizer, vocab);
    const ids = resolved.flatMap((answer) => answer.ids);
    const offsets = resolved.map((_, k) => resolved.slice(0, k).reduce((n, a) => n + a.ids.length, 0));
    const labels = setup.components.map((c) => c.label);
    const params = stepParams(setup);
    const label = `decode:${setup.laneId}`;
    const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab }, setup.components.length);
    let inspector: LaneInspector | null = null;
    let reader: AnswerLogitReader;
    try {
      inspector = await LaneInspector.create(gpu, vocab, setup.components.length + 1, label);
      reader = new AnswerLogitReader(gpu, vocab, ids, setup.components.length, label);
    } catch (cause) {
      pipeline.destroy();
      inspector?.dispose();
      throw cause;
    }
    const lens = inspector;

    /** The plain step's decision (the default step's record), as combinationStepper makes it. */
    async function plainDecision(rows: RowRef[], row: StepRow, countReadback: (bytes: number) => void) {
      const inspection = await lens.inspect({
        rows,
        extraRows: params.greedy ? [] : [{ logits: pipeline.combinedScores, row: 0, rows: 1 }],
        token: row.tokens[0],
      });
      countReadback(inspection.bytes);
      const combinedRank = params.greedy ? 1 : inspection.extraRanks[0].rank;
      return combinationDecision(labels, row, inspection.ranks, combinedRank, inspection.divergences);
    }

    return {
      async observe({ step, components: outputs, countReadback }): Promise<StepDecision> {
        const result = await pipeline.step(
          outputs.map((output) => ({ buffer: output.logits, rowOffset: output.row })),
          { ...params, counter: step },
        );
        countReadback(pipeline.readbackBytes);
        const row = result.rows[0];
        const rows: RowRef[] = outputs.map(({ logits, row: r, rows: n }) => ({ logits, row: r, rows: n }));
        const baseArgmax = row.inputs[0].argmax;
        if (step > 0 || baseArgmax === null || !ids.includes(baseArgmax)) {
          const decision = await plainDecision(rows, row, countReadback);
          if (step === 0) decision.record.extra = { calibration: NOT_APPLIED, ...decision.record.extra };
          return decision;
        }
        // The answer step: only the answer tokens' logits come back.
        const [base, reference] = await reader.read(
          outputs.map(({ logits, row: r }) => ({ logits, row: r })),
        );
        countReadback(reader.bytes(outputs.length));
        let calibrated: CalibratedAnswers;
        try {
          calibrated = calibrateAnswers(resolved, base, reference);
        } catch (cause) {
          throw new Error(`${NAME}: ${cause instanceof Error ? cause.message : String(cause)}`);
        }
        const { p, pCf, q } = calibrated;
        const uniform = sampling.greedy ? null : philoxUniform(setup.seed, setup.stream, step);
        const chosen = chooseAnswer(q, uniform);
        const forms = resolved.map((answer, k) => spokenForm(answer, offsets[k], base));
        const token = forms[chosen];
        const inspection = await lens.inspect({ rows, token });
        countReadback(inspection.bytes);
        const extra: NonNullable<TokenRecord['extra']> = { calibration: 'applied' };
        resolved.forEach(({ word }, k) => {
          extra[`p(${word})`] = p[k];
          extra[`p_cf(${word})`] = pCf[k];
          extra[`q(${word})`] = q[k];
        });
        return {
          token,
          record: {
            components: labels.map((l, j) => distributionSummary(l, row.inputs[j], inspection.ranks[j])),
            combined: calibratedSummary(forms, q, chosen),
            plausibleCount: resolved.length,
            divergences: pairDivergences(inspection.divergences),
            changedByMethod: !resolved[chosen].ids.includes(baseArgmax),
            extra,
          },
        };
      },
      dispose() {
        pipeline.destroy();
        lens.dispose();
        reader.dispose();
      },
    };
  },
};
