// Methods that write each token with ONE of the two models, without verification (not exact; the
// lane reports how many tokens each model wrote). A model that sat out some tokens catches up in
// its next forward (its cache is a prefix of the text).
//
// Entropy Adaptive Decoding: Simonds, "Entropy Adaptive Decoding: Dynamic Model Switching for
// Efficient Inference" (2025). The small (draft) model runs at every token; with H_t the entropy of
// its distribution (before temperature) and Hbar_t the rolling mean over w tokens,
//   token t comes from the large (target) model while Hbar_t > tau, else from the small model
// (policies/entropy-switch.ts). Paper defaults: w = 5, tau swept; ours tau = 1.0 nat.
//
// FoReaL-Decoding: Li et al., "What makes Reasoning Models Different? Follow the Reasoning Leader
// for Efficient Decoding" (2025). At each sentence start a stochastic gate decides (probability
// `gate`) whether the leading (target) model writes the sentence's first n tokens; the draft
// model writes the rest (policies/foreal.ts). Ours: n = 2, gate = 1. Sentences end at the ids the
// session is given (punctuation pieces of the tokenizer, and EOS).
// Interpretations: the small model's token is drawn at the draft temperature, the large model's at
// the target temperature; the small model's draw is made (and discarded) on tokens the large model
// writes, since its entropy is needed at every step.
import { EntropySwitch } from '../policies/entropy-switch';
import { ForealGate } from '../policies/foreal';
import type { LaneResources, RoundContext, RoundOutcome, RoundStrategy } from '../rounds/context';
import { drawFromDraft, drawFromTarget } from '../rounds/target-token';
import type { EntropySwitchMethod, ForealMethod } from '../types';

function generated(
  id: number,
  source: 'target' | 'draft',
  calls: { target: number; draft: number },
): RoundOutcome {
  return {
    draftLength: 0,
    tokens: [{ id, status: 'generated', source, p: null, q: null }],
    produced: [id],
    accepted: 0,
    targetCalls: calls.target,
    draftCalls: calls.draft,
  };
}

export class EntropySwitchRounds implements RoundStrategy {
  readonly draftLength = 0;
  private switcher: EntropySwitch;

  constructor(
    private readonly resources: LaneResources,
    private readonly method: EntropySwitchMethod,
  ) {
    this.switcher = new EntropySwitch({ window: method.window, threshold: method.threshold });
  }

  async round(context: RoundContext): Promise<RoundOutcome> {
    const small = await drawFromDraft(this.resources, context);
    const model = this.switcher.observe(small.logitEntropy);
    const extra = { entropy: Number(small.logitEntropy.toFixed(4)), rollingEntropy: Number(this.switcher.rollingMean.toFixed(4)) }; // prettier-ignore
    if (model === 'small') return { ...generated(small.tokens[0], 'draft', { target: 0, draft: 1 }), extra };
    const large = await drawFromTarget(this.resources, context);
    return { ...generated(large.tokens[0], 'target', { target: 1, draft: 1 }), extra };
  }

  summary(): Record<string, number | string> {
    const { small, large } = this.switcher.counts;
    return { smallTokens: small, largeTokens: large };
  }

  restart(): void {
    this.switcher = new EntropySwitch({ window: this.method.window, threshold: this.method.threshold });
  }
}

export class ForealRounds implements RoundStrategy {
  readonly draftLength = 0;
  private gate: ForealGate;

  constructor(
    private readonly resources: LaneResources,
    private readonly method: ForealMethod,
    private readonly sentenceEnd: ReadonlySet<number>,
    private seed: number,
  ) {
    this.gate = this.createGate();
  }

  private createGate(): ForealGate {
    const { leaderTokens, gate } = this.method;
    return new ForealGate({ leaderTokens, gate, seed: this.seed, sentenceEnd: new Set(this.sentenceEnd) });
  }

  async round(context: RoundContext): Promise<RoundOutcome> {
    const generatedSoFar = context.round > 0;
    const lastToken = generatedSoFar ? context.text[context.text.length - 1] : null;
    if (this.gate.next(lastToken) === 'leader') {
      const row = await drawFromTarget(this.resources, context);
      return generated(row.tokens[0], 'target', { target: 1, draft: 0 });
    }
    const row = await drawFromDraft(this.resources, context);
    return generated(row.tokens[0], 'draft', { target: 0, draft: 1 });
  }

  summary(): Record<string, number | string> {
    const { leader, draft } = this.gate.counts;
    const { started, led } = this.gate.sentences;
    return { leaderTokens: leader, draftTokens: draft, sentences: started, ledSentences: led };
  }

  restart(seed: number): void {
    this.seed = seed;
    this.gate = this.createGate();
  }
}
