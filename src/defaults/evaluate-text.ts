// Teacher-forced evaluation of the Shapes text LMs on held-out captions (<bos> caption <eos>,
// data.ts captionExample; seeds: ./evaluate-data.ts). Only a few floats per position leave the GPU.
//
// Held-out perplexity: PPL = exp(-(1/N) sum_t m_t log p(y_t | y_<t)), N = sum_t m_t, with m the
//   example's mask (every next token of a caption, <eos> included). log p comes from the fused
//   cross-entropy kernel (src/kernels/cross-entropy) on the forward's per-token logits.
// Draft-vs-expert agreement, per position t with p = expert(. | y_<t) (the target), q = draft:
//   greedy agreement       share of positions with argmax p = argmax q
//   acceptance rate        mean of alpha_t = sum_v min(p(v), q(v)) = 1 - TV(p, q): the probability
//                          that speculative sampling accepts one token drafted from q (Leviathan et
//                          al., "Fast Inference from Transformers via Speculative Decoding", 2023,
//                          where alpha = E[alpha_t] sets the expected tokens per target call,
//                          (1 - alpha^(K+1)) / (1 - alpha) for K drafted tokens)
//   greedy-draft acceptance  mean of p(argmax q): the same for a draft that proposes its argmax
//   All from the row-divergence kernel (src/kernels/divergence: TV and both argmaxes per pair).
//   Interpretation: positions are the caption's teacher-forced positions, not the draft's own
//   continuations, so the rates describe drafting along held-out text.
import { readFloat32, readUint32 } from '../gpu/readback';
import { submitPass } from '../gpu/dispatch';
import type { Gpu } from '../gpu/runtime';
import {
  checkTargets,
  clearCrossEntropyStatus,
  CROSS_ENTROPY_STATUS_BYTES,
  CrossEntropyKernel,
  crossEntropyStatusError,
  parseCrossEntropyStatus,
} from '../kernels/cross-entropy/cross-entropy';
import { RowDivergence, type DivergencePair } from '../kernels/divergence/divergence';
import { rowWorkgroupSize } from '../kernels/norm/row-workgroup';
import type { ForwardResult, LanguageModel } from '../model/interface';
import type { Example } from './data';
import {
  checkCount,
  checkSeeds,
  checkShapesVocabulary,
  heldOutCaptions,
  type SeedOptions,
} from './evaluate-data';

/** Captions per forward. */
export const TEXT_BATCH = 32;

export interface TextEvaluationOptions extends SeedOptions {
  /** Held-out captions (scenes and wording from the evaluation seed `seed`). */
  captions: number;
}

export interface DraftAgreement {
  /** Share of positions where the draft's argmax is the expert's. */
  greedyAgreement: number;
  /** Mean of sum_v min(p, q) = 1 - TV(p, q): speculative sampling's acceptance of a drafted token. */
  acceptanceRate: number;
  /** Mean of p_expert(argmax draft): acceptance of a greedily drafted token. */
  greedyDraftAcceptance: number;
  /** Positions scored. */
  positions: number;
}

/** The held-out examples, after checking the options and that every model can read them. */
function checkTextOptions(
  where: string,
  models: readonly LanguageModel[],
  options: TextEvaluationOptions,
): Example[] {
  checkCount(where, 'captions', options.captions);
  checkSeeds(where, options);
  const examples = heldOutCaptions(options.seed, options.captions);
  const longest = Math.max(...examples.map((e) => e.tokens.length - 1));
  for (const model of models) {
    checkShapesVocabulary(where, model);
    if (longest > model.info.config.maxPositions) {
      throw new RangeError(
        `${where}: a held-out caption needs ${longest} positions but ${model.info.name} reads at most ` +
          `${model.info.config.maxPositions} (max_position_embeddings)`,
      );
    }
  }
  return examples;
}

/** One teacher-forced forward over a batch: inputs are every token but the last, a logits row each. */
async function forwardAll(model: LanguageModel, batch: readonly Example[]): Promise<ForwardResult> {
  const sequences = batch.map(() => model.createSequence());
  try {
    return await model.forward({
      sequences: batch.map((e, b) => ({ sequence: sequences[b], tokens: e.tokens.slice(0, -1) })),
      logits: 'all',
    });
  } finally {
    // The logits stay valid until the model's next forward; the caches are not needed again.
    for (const sequence of sequences) model.releaseSequence(sequence);
  }
}

function batches<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

/** exp(mean NLL per predicted token) of `model` on `captions` held-out captions. */
export async function heldOutPerplexity(
  gpu: Gpu,
  model: LanguageModel,
  options: TextEvaluationOptions,
): Promise<number> {
  const examples = checkTextOptions('heldOutPerplexity', [model], options);
  const vocab = model.info.config.vocabSize;
  const groups = batches(examples, TEXT_BATCH);
  const rowsOf = (batch: readonly Example[]) => batch.reduce((n, e) => n + e.tokens.length - 1, 0);
  const maxRows = Math.max(...groups.map(rowsOf));
  const kernel = await CrossEntropyKernel.create(gpu, 'evaluate:cross-entropy');
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const targets = gpu.buffers.acquire(maxRows * 4, storage, 'evaluate:targets');
  const weights = gpu.buffers.acquire(maxRows * 4, storage, 'evaluate:weights');
  const logProbs = gpu.buffers.acquire(maxRows * 4, storage, 'evaluate:log-probs');
  const status = gpu.buffers.acquire(CROSS_ENTROPY_STATUS_BYTES, storage, 'evaluate:status');
  try {
    // Weights only scale a gradient, which is not written; zero them so the binding is defined.
    gpu.device.queue.writeBuffer(weights, 0, new Float32Array(maxRows));
    clearCrossEntropyStatus(gpu, status);
    let nll = 0;
    let predicted = 0;
    for (const batch of groups) {
      const rows = rowsOf(batch);
      const targetIds = Uint32Array.from(batch.flatMap((e) => e.tokens.slice(1)));
      const mask = batch.flatMap((e) => e.mask.slice(0, -1));
      checkTargets(targetIds, vocab);
      gpu.device.queue.writeBuffer(targets, 0, targetIds);
      const { logits } = await forwardAll(model, batch);
      await submitPass(gpu, 'evaluate:log-probs', (pass) =>
        kernel.encode(pass, logits, targets, weights, logProbs, status, { tokens: rows, vocab }, false),
      );
      const values = await readFloat32(gpu, logProbs, rows);
      const error = crossEntropyStatusError(parseCrossEntropyStatus(await readUint32(gpu, status, 4)), vocab);
      if (error) throw error;
      values.forEach((logp, r) => {
        if (mask[r] === 0) return;
        nll -= logp;
        predicted++;
      });
    }
    return Math.exp(nll / predicted);
  } finally {
    kernel.destroy();
    for (const buffer of [targets, weights, logProbs, status]) gpu.buffers.release(buffer);
  }
}

/** Teacher-forced agreement of `draft` with `expert` on `captions` held-out captions. */
export async function draftAgreement(
  gpu: Gpu,
  draft: LanguageModel,
  expert: LanguageModel,
  options: TextEvaluationOptions,
): Promise<DraftAgreement> {
  const where = 'draftAgreement';
  const examples = checkTextOptions(where, [expert, draft], options);
  const vocab = expert.info.config.vocabSize;
  if (draft.info.config.vocabSize !== vocab) {
    throw new RangeError(
      `${where}: the draft ${draft.info.name} has vocab_size ${draft.info.config.vocabSize} but the expert ` +
        `${expert.info.name} has ${vocab}; both must score the same vocabulary`,
    );
  }
  // A 62-token row needs few threads: on software adapters a workgroup costs in proportion to its
  // threads (src/kernels/norm/row-workgroup.ts); with 256 threads, 200 captions took 24 s instead of 15.
  const divergence = await RowDivergence.create(gpu, { workgroupSize: rowWorkgroupSize(vocab, 32) });
  try {
    let agreed = 0;
    let acceptance = 0;
    let greedyDraft = 0;
    let positions = 0;
    for (const batch of batches(examples, TEXT_BATCH)) {
      const mask = batch.flatMap((e) => e.mask.slice(0, -1));
      const p = (await forwardAll(expert, batch)).logits;
      // One model drafting for itself: its logits buffer serves both sides (a second forward
      // would overwrite it).
      const q = draft === expert ? p : (await forwardAll(draft, batch)).logits;
      const pairs: DivergencePair[] = [];
      mask.forEach((m, r) => {
        if (m !== 0) pairs.push([r, r]);
      });
      const rows = mask.length;
      const results = await divergence.compute({ p, q, vocab, pRows: rows, qRows: rows, pairs });
      for (const r of results) {
        if (r.argmaxP === r.argmaxQ) agreed++;
        acceptance += 1 - r.totalVariation;
        greedyDraft += r.pOfArgmaxQ;
      }
      positions += results.length;
    }
    return {
      greedyAgreement: agreed / positions,
      acceptanceRate: acceptance / positions,
      greedyDraftAcceptance: greedyDraft / positions,
      positions,
    };
  } finally {
    divergence.dispose();
  }
}
