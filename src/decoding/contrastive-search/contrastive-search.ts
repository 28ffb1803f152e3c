// Contrastive search: Su et al., "A Contrastive Framework for Neural Text Generation" (NeurIPS 2022)
// and Su & Collier, "Contrastive Search Is What You Need For Neural Text Generation" (TMLR 2023).
//
//   x_t = argmax_{v in V(k)} (1 - alpha) p(v | x_<t) - alpha max_{1<=j<=t-1} cos(h_v, h_{x_j})
//
// V(k): the k most probable tokens of p(. | x_<t); h_v: the last-layer hidden state of x_<t + v at
// v's position; h_{x_j}: that of every previous token, prompt included (Hugging Face's
// _contrastive_search keeps the prompt's last hidden states as the first context). Paper defaults:
// k = 5, alpha = 0.6 (CONTRASTIVE_SEARCH_DEFAULTS); deterministic, no sampling.
// As in Hugging Face, one token costs one batched forward of the k candidates: the winner's forward
// already holds its KV cache and the logits of the next step, so nothing is recomputed.
// Interpretations:
// - h is the residual stream after the last block (ForwardCapture.hiddenStates[numLayers]), before
//   the final norm; Hugging Face's hidden_states[-1] is after it. For RMSNorm the two cosines differ
//   only by the norm's per-channel gain (the 1/rms scale cancels in a cosine); the model interface
//   exposes no post-norm state.
// - cos with a zero vector is 0; p is the full softmax probability (not renormalised over V(k));
//   score ties go to the more probable candidate; k is at most 10 (the step summary's top list).
//
// Per lane: prefill() (or begin() on a prompt forward run with logits 'all'), then per token
// prepare() -> one forward of the k candidates -> finish() (or step() for the three); release() at
// the end. The lane's sequence is the last winner's candidate sequence: it replaces the one the
// lane started from (a runner that keeps its own lane sequence lets prefill() fork it).
// GPU work per token: one submission (normalise k hidden rows, max cosine against the stored
// context, summaries of the k candidates' next-token distributions) and one readback of k * 136
// bytes: 8 per candidate (max cosine, position) + 128 (its logits summary; the winner's gives the
// next step's candidates). No full-vocabulary or hidden-state readback.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { CosineKernels, decodeMaxCosine, MAX_COSINE_WORDS } from '../../kernels/cosine/cosine';
import type { MaxCosine } from '../../kernels/cosine/reference';
import { parseSummary, SUMMARY_WORDS, type RowSummary } from '../../kernels/logits/layout';
import { RowStatsKernel } from '../../kernels/logits/stats';
import type { ForwardCapture, ForwardResult, ForwardSequence, SequenceId } from '../../model/interface';
import {
  bestCandidate,
  checkContrastiveSearchConfig,
  CONTRASTIVE_SEARCH_DEFAULTS,
  contrastiveScore,
  type ContrastiveSearchConfig,
} from './config';
import { HiddenContext } from './context';
import { ReadbackBuffers } from './readback';
import {
  checkCandidateRows,
  checkPromptRows,
  stepExtra,
  type CandidateModel,
  type ContrastiveStepResult,
} from './types';

export type { Candidate, CandidateModel, ContrastiveStepResult } from './types';

interface Pending {
  sequences: SequenceId[];
  ids: number[];
  probabilities: number[];
}

export class ContrastiveSearch {
  /** Capture of the prompt's forward, which must also ask for logits: 'all'. */
  static readonly prefillCapture: ForwardCapture = { hiddenStates: true };
  /** Capture of each candidate forward (logits: 'last'). */
  static readonly candidateCapture: ForwardCapture = { hiddenStates: true };

  private lane: SequenceId | null = null;
  private distribution: RowSummary | null = null;
  private pending: Pending | null = null;
  /** Row of the last winner in `buffers.candidateUnits`, appended to the context at the next step. */
  private winnerRow: number | null = null;

  private constructor(
    private readonly gpu: Gpu,
    private readonly model: { vocab: number; hiddenSize: number; numLayers: number },
    readonly config: ContrastiveSearchConfig,
    private readonly cosine: CosineKernels,
    private readonly stats: RowStatsKernel,
    private readonly context: HiddenContext,
    private readonly buffers: ReadbackBuffers,
  ) {}

  /** `capacity`: expected prompt + generated tokens (the context grows past it when needed). */
  static async create(
    gpu: Gpu,
    model: { vocab: number; hiddenSize: number; numLayers: number },
    config: ContrastiveSearchConfig = CONTRASTIVE_SEARCH_DEFAULTS,
    capacity = 256,
  ): Promise<ContrastiveSearch> {
    checkContrastiveSearchConfig(config);
    const [cosine, stats] = await Promise.all([
      CosineKernels.create(gpu, 'contrastive-search'),
      RowStatsKernel.create(gpu, 'contrastive-search:stats'),
    ]);
    const context = new HiddenContext(gpu, model.hiddenSize, capacity, 'contrastive-search');
    const buffers = new ReadbackBuffers(gpu, config.k, model.hiddenSize, model.vocab);
    return new ContrastiveSearch(gpu, model, config, cosine, stats, context, buffers);
  }

  /** The lane's current sequence (it changes every step: the winner's candidate sequence). */
  get sequence(): SequenceId {
    if (this.lane === null) throw new Error('contrastive search: call begin() first');
    return this.lane;
  }

  /** Bytes mapped back per generated token. */
  get readbackBytes(): number {
    return this.config.k * (MAX_COSINE_WORDS + SUMMARY_WORDS) * 4;
  }

  /** Row of forward row `row`'s last-layer state in hiddenStates [numLayers + 1, rows, d]. */
  private lastLayerRow(forward: ForwardResult, row: number): number {
    return this.model.numLayers * forward.rows.length + row;
  }

  /**
   * After the prompt's forward (logits: 'all', capture prefillCapture): stores the hidden states of
   * rows firstRow .. firstRow + promptRows - 1 (positions 0 .. promptRows - 1 of the lane's prompt)
   * and summarises the last row's distribution. `sequence` is the lane's sequence holding the prompt
   * (it may be a fork of the sequence the rows came from). Maps back 128 bytes.
   */
  async begin(
    forward: ForwardResult,
    firstRow: number,
    promptRows: number,
    sequence: SequenceId,
  ): Promise<RowSummary> {
    const hiddenStates = checkPromptRows(forward, firstRow, promptRows);
    const { hiddenSize: dim, vocab } = this.model;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'contrastive-search:begin' });
    this.context.rows = 0;
    this.winnerRow = null;
    this.context.reserve(encoder, promptRows);
    const last = firstRow + promptRows - 1;
    encoder.copyBufferToBuffer(forward.logits, last * vocab * 4, this.buffers.candidateLogits, 0, vocab * 4);
    const pass = encoder.beginComputePass({ label: 'contrastive-search:begin' });
    this.cosine.encodeNormalize(pass, hiddenStates, this.context.units, {
      dim,
      rows: promptRows,
      inputRow: this.lastLayerRow(forward, firstRow),
      outputRow: 0,
    });
    this.stats.encode(pass, this.buffers.candidateLogits, this.buffers.summaries, 1, vocab);
    pass.end();
    this.context.rows = promptRows;
    const words = await this.buffers.read(encoder, 0, 1, () => this.context.releaseRetired());
    this.lane = sequence;
    this.distribution = parseSummary(words, 0);
    return this.distribution;
  }

  /**
   * Runs the prompt again on a fork of `source` emptied to length 0 (logits 'all', hidden states),
   * so the context holds every prompt token as in Hugging Face, and begins on it: the fork is the
   * lane's sequence from now on. One prompt forward and 128 bytes mapped back.
   */
  async prefill(
    model: CandidateModel,
    source: SequenceId,
    prompt: readonly number[],
    image?: Float32Array,
  ): Promise<RowSummary> {
    const chain = model.fork(source);
    try {
      model.truncate(chain, 0);
      const forward = await model.forward({
        sequences: [{ sequence: chain, tokens: prompt, ...(image ? { image } : {}) }],
        logits: 'all',
        capture: ContrastiveSearch.prefillCapture,
      });
      return await this.begin(forward, 0, prompt.length, chain);
    } catch (cause) {
      model.releaseSequence(chain);
      throw cause;
    }
  }

  /** Releases the lane's sequence (the end of a run); begin() or prefill() starts a new one. */
  release(model: Pick<CandidateModel, 'releaseSequence'>): void {
    if (this.lane !== null) model.releaseSequence(this.lane);
    this.lane = null;
    this.distribution = null;
  }

  /** Forks the lane into one sequence per candidate; returns what the runner must forward. */
  prepare(model: CandidateModel): ForwardSequence[] {
    const distribution = this.distribution;
    if (this.lane === null || distribution === null)
      throw new Error('contrastive search: call begin() first');
    if (this.pending) throw new Error('contrastive search: prepare() called twice without finish()');
    const top = distribution.top.slice(0, this.config.k);
    if (top.length === 0)
      throw new KernelInputError('contrastive search: the distribution has no finite token');
    const lane = this.lane;
    const sequences = top.map((_, i) => (i === 0 ? lane : model.fork(lane)));
    this.pending = { sequences, ids: top.map((t) => t.id), probabilities: top.map((t) => t.prob) };
    return sequences.map((sequence, i) => ({ sequence, tokens: [top[i].id] }));
  }

  /** After the candidates' forward (capture candidateCapture): picks the token, keeps its sequence. */
  async finish(model: CandidateModel, forward: ForwardResult, firstRow = 0): Promise<ContrastiveStepResult> {
    const pending = this.pending;
    const distribution = this.distribution;
    if (!pending || !distribution) throw new Error('contrastive search: call prepare() before finish()');
    const k = pending.ids.length;
    const hiddenStates = checkCandidateRows(forward, firstRow, pending.sequences);
    const { hiddenSize: dim, vocab } = this.model;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'contrastive-search:step' });
    if (this.winnerRow !== null) {
      this.context.reserve(encoder, 1);
      this.context.appendFrom(encoder, this.buffers.candidateUnits, this.winnerRow);
    }
    let logits = forward.logits;
    if (firstRow !== 0) {
      encoder.copyBufferToBuffer(
        forward.logits,
        firstRow * vocab * 4,
        this.buffers.candidateLogits,
        0,
        k * vocab * 4,
      );
      logits = this.buffers.candidateLogits;
    }
    const pass = encoder.beginComputePass({ label: 'contrastive-search:step' });
    this.cosine.encodeNormalize(pass, hiddenStates, this.buffers.candidateUnits, {
      dim,
      rows: k,
      inputRow: this.lastLayerRow(forward, firstRow),
      outputRow: 0,
    });
    this.cosine.encodeMaxCosine(pass, this.buffers.candidateUnits, this.context.units, this.buffers.cosines, {
      dim,
      candidates: k,
      contextRows: this.context.rows,
    });
    this.stats.encode(pass, logits, this.buffers.summaries, k, vocab);
    pass.end();
    this.pending = null;
    let words: Uint32Array;
    let cosines: MaxCosine[];
    try {
      words = await this.buffers.read(encoder, k, k, () => this.context.releaseRetired());
      cosines = decodeMaxCosine(words, k);
    } catch (cause) {
      for (const sequence of pending.sequences.slice(1)) model.releaseSequence(sequence);
      throw cause;
    }
    const candidates = pending.ids.map((id, i) => ({
      id,
      probability: pending.probabilities[i],
      ...cosines[i],
      score: contrastiveScore(pending.probabilities[i], cosines[i].maxCosine, this.config.alpha),
    }));
    const chosen = bestCandidate(candidates.map((c) => c.score));
    pending.sequences.forEach((sequence, i) => {
      if (i !== chosen) model.releaseSequence(sequence);
    });
    this.lane = pending.sequences[chosen];
    this.winnerRow = chosen;
    this.distribution = parseSummary(words.subarray(k * MAX_COSINE_WORDS), chosen);
    const winner = candidates[chosen];
    return {
      token: winner.id,
      probability: winner.probability,
      chosen,
      candidates,
      distribution,
      sequence: this.lane,
      readbackBytes: k * (MAX_COSINE_WORDS + SUMMARY_WORDS) * 4,
      extra: stepExtra(candidates, chosen),
    };
  }

  /** prepare() + one forward of the k candidates + finish(), for a lane forwarded on its own. */
  async step(model: CandidateModel): Promise<ContrastiveStepResult> {
    const sequences = this.prepare(model);
    let forward: ForwardResult;
    try {
      forward = await model.forward({ sequences, capture: ContrastiveSearch.candidateCapture });
    } catch (cause) {
      for (const { sequence } of sequences.slice(1)) model.releaseSequence(sequence);
      this.pending = null;
      throw cause;
    }
    return this.finish(model, forward, 0);
  }

  destroy(): void {
    this.cosine.destroy();
    this.stats.destroy();
    this.context.destroy();
    this.buffers.destroy();
  }
}
