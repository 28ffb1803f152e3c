// Speculative decoding as a Decode lane: Leviathan, Kalman, Matias, "Fast Inference from
// Transformers via Speculative Decoding" (ICML 2023); Chen et al., "Accelerating Large Language
// Model Decoding with Speculative Sampling" (2023); and the family of src/speculative/ (SpecTr,
// SpecDec++, prompt lookup, ADED, Entropy Adaptive Decoding, FoReaL, judge decoding), whose method
// headers (src/speculative/methods/) carry each paper and its defaults.
//
//   draft x_1 .. x_K ~ q (the draft model), the target scores the K + 1 positions in ONE forward;
//   accept x_i with probability min(1, p(x_i) / q(x_i)) in order; at the first rejection emit
//   y ~ norm(max(0, p_i - q_i)); if all K are kept, emit a bonus y ~ p_{K+1}.
//   The text is distributed exactly as the target's samples; greedy: exactly greedy decoding.
// Defaults: K = 4 (Chen et al.), the variant's other defaults as in the Speculative tab.
//
// Wiring: the main model is the target, the amateur slot the draft (prompt lookup and ADED draft
// from the text and need none). The round is the engine's (SpeculativeLane, one round at a time);
// the lane runner's lockstep is kept by a buffer: a stepper that owns its sequences
// (LaneStepper.ownsSequences) runs one draft/verify round in phase 2 whenever its buffer of
// produced tokens is empty and emits one token per Decode step from it. At step 0 it forks the
// runner's shared prompt prefill in both models, cuts the forks one token short (the engine's first
// round reads the prompt's last token, which yields the first rows it verifies against) and hands
// them to the engine, so the prompt (and its image) is read once for every lane that shares it.
// Forwards are counted against the lane (the runner's StepModel views).
//
// Interpretations (ours):
// - Sampling: greedy is the lane's; otherwise the lane's temperature T for the target AND the draft.
//   Top-k, top-p and min-p are refused (the verifier draws from the whole p and q at T; a filter
//   would change both), unless the lane is greedy, where they change nothing anyway.
// - Seed: the engine's seed is a hash of the experiment seed and the lane's Philox stream (its id),
//   so lanes with different ids draw differently and the same link draws the same tokens.
// - Budget and EOS are the runner's: the engine gets the largest token budget and no EOS ids, so
//   a round may produce tokens the runner then never asks for (they are dropped with the lane).
// - The draft must read the target's prompt ids exactly (same template; with an image, a draft
//   that reads images), since both models continue one text.
// Record: see ./speculative-record.ts (the round, the token's status, p and q, the round's drafted
// tokens with their fate, the lane's acceptance statistics). Readback: the engine's (token ids,
// the verifier's 5 + 4K words, one small summary per drafted or target-drawn token).
import { MAX_TOKENS_LIMIT } from '../../share/experiment';
import { METHODS, variantNeedsDraftModel } from '../../share/methods';
import type { TextTokenizer } from '../../model/tokenizer';
import type { SequenceId } from '../../model/interface';
import { SpeculativeLane } from '../../speculative/lane';
import { sentenceEndTokenIds } from '../../speculative/tokens';
import {
  laneSeed,
  speculativeConfigProblems,
  speculativeMethodOf,
  speculativeSamplingOf,
} from './speculative-config';
import { addRound, NO_ROUNDS, roundDecisions } from './speculative-record';
import type {
  DecideContext,
  DecodingMethod,
  MethodTokenizer,
  ResolvedComponent,
  StepDecision,
} from './types';

const LABEL = METHODS.speculative.label;
const SENTENCE_END = /[.!?。！？\n]\s*$/;

/** FoReaL's sentence ends from the tokenizer the session hands its steppers. */
function sentenceEnds(tokenizer: MethodTokenizer, vocab: number): number[] {
  // The session passes its whole TextTokenizer, whose pieces read as text; the contract promises less.
  const full = tokenizer as Partial<TextTokenizer>;
  if (typeof full.decodeToken === 'function' && typeof full.vocabSize === 'number')
    return sentenceEndTokenIds(full as TextTokenizer);
  const ids: number[] = [];
  for (let id = 0; id < vocab; id++) {
    const piece = tokenizer.idToToken(id);
    if (piece !== undefined && !tokenizer.isSpecial(id) && SENTENCE_END.test(piece)) ids.push(id);
  }
  return ids;
}

const sameIds = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((id, i) => id === b[i]);

/** A fork of the shared prefill `source`, cut to the prompt without its last token. */
function promptFork(
  model: DecideContext['models']['main'],
  source: SequenceId,
  promptLength: number,
): SequenceId {
  const fork = model.fork(source);
  model.truncate(fork, promptLength - 1);
  return fork;
}

export const speculative: DecodingMethod<'speculative'> = {
  name: 'speculative',
  components: (config, context) => {
    const problems = speculativeConfigProblems(config);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const drafts = variantNeedsDraftModel(config.variant);
    if (drafts && context.amateurNumLayers === null)
      throw new Error(
        `the ${config.variant} variant drafts with the model in the amateur slot, which is empty: choose a draft ` +
          'model there under Models (shapes-draft for the Shapes expert), or the variant prompt-lookup or aded, which need none',
      );
    if (drafts && context.image !== null && !context.amateurReadsImages)
      throw new Error(
        'the experiment shows an image but the draft (amateur slot) reads text only, so it cannot read the ' +
          "target's prompt: remove the image, or load a vision-language draft",
      );
    if (
      context.image !== null &&
      context.tokenizer.encode(context.prompt, { addSpecialTokens: false }).length === 0
    )
      throw new Error(
        'the prompt has no text after the image: type a prompt (the first round reads its last token)',
      );
    const target = { label: 'target', model: 'main' as const, prompt: context.prompt, image: context.image, distortion: null }; // prettier-ignore
    if (!drafts) return [target];
    return [target, { label: 'draft', model: 'amateur', prompt: context.prompt, image: context.image, distortion: null }]; // prettier-ignore
  },
  // The runner's fused step never runs for this lane (it has its own stepper); the weights only
  // have to match the components.
  combination: (config) => ({ weights: variantNeedsDraftModel(config.variant) ? [1, 0] : [1], beta: 0 }),
  async createStepper(config, setup) {
    const method = speculativeMethodOf(config);
    const sampling = speculativeSamplingOf(setup.sampling);
    const seed = laneSeed(setup.seed, setup.stream);
    const [target, draft] = setup.components as [ResolvedComponent, ResolvedComponent | undefined];
    if (draft && !sameIds(target.ids, draft.ids))
      throw new Error(
        `lane ${setup.laneId} (${LABEL}): the draft reads the prompt as ${draft.ids.length} tokens and the target as ` +
          `${target.ids.length}; speculative decoding continues one text in both, so load a draft with the target's prompt format`,
      );
    const sentenceEndTokenIds = config.variant === 'foreal' ? sentenceEnds(setup.tokenizer, setup.vocab) : [];
    let lane: SpeculativeLane | null = null;
    let readback = 0;
    let totals = NO_ROUNDS;
    let emitted = 0;
    const pending: StepDecision[] = [];

    const start = async ({ models, sequences }: DecideContext): Promise<SpeculativeLane> => {
      const [targetSource, draftSource] = sequences;
      if (targetSource === undefined) throw new Error(`${LABEL}: no prompt sequence to start from`);
      const targetFork = promptFork(models.main, targetSource, target.ids.length);
      let draftFork: SequenceId | null = null;
      try {
        if (draft && models.amateur && draftSource !== undefined)
          draftFork = promptFork(models.amateur, draftSource, draft.ids.length);
      } catch (cause) {
        models.main.releaseSequence(targetFork);
        throw cause;
      }
      // From here the engine owns the forks (it releases them if it cannot start).
      return SpeculativeLane.create({
        gpu: setup.gpu,
        target: models.main,
        draft: models.amateur ?? null,
        method,
        sampling,
        seed,
        prompt: target.ids,
        maxTokens: MAX_TOKENS_LIMIT,
        eosTokenIds: [],
        sentenceEndTokenIds,
        sequences: { target: targetFork, draft: draftFork },
      });
    };

    const nextRound = async (context: DecideContext, engine: SpeculativeLane) => {
      const round = await engine.round();
      if (!round)
        throw new Error(`${LABEL}: the speculative lane ended (${engine.stopReason}) before the Decode lane`);
      const trace = engine.trace();
      context.countReadback(trace.statistics.readbackBytes - readback);
      readback = trace.statistics.readbackBytes;
      totals = addRound(totals, round);
      const decisions = roundDecisions(round, {
        variant: config.variant,
        exact: engine.exact,
        greedy: sampling.greedy,
        vocab: setup.vocab,
        totals,
        tokensBefore: emitted,
        theoreticalTokensPerCall: trace.statistics.theoreticalTokensPerCall,
        summary: trace.methodStatistics,
      });
      emitted += decisions.length;
      pending.push(...decisions);
    };

    return {
      ownsSequences: true,
      inputs: [],
      async observe() {
        return {
          async decide(context) {
            lane ??= await start(context);
            // A round emits at least one token (its budget is never exhausted here).
            while (pending.length === 0) await nextRound(context, lane);
            return pending.shift()!;
          },
        };
      },
      dispose() {
        lane?.dispose();
      },
    };
  },
};
