// One running lane: its plan, stepper, sequences, tokens, stop reason and statistics.
//
// Statistics (LaneStatistics in src/share/trace.ts):
// - forwardPasses per model slot: forward calls that computed rows of this lane (the prompt
//   prefill included). A batched forward serves every lane in it, so each lane counts it once;
//   the session's own counters (SessionCounts) count each call once in total.
// - readbackBytes: every byte this lane's steps mapped back (fused step + inspection + whatever a
//   custom step counts). Shared forwards map nothing back (the logits stay on the GPU), so there
//   is nothing to split between lanes; a backend that did read back would have to be counted by
//   the session and split evenly among the lanes of that forward.
// - tokensPerSecond: tokens / the wall time of the steps this lane took part in (lanes step
//   together, so each lane's time includes the forwards it shared).
// - meanEntropy: mean natural-log entropy of the combined distribution its tokens were drawn from.
import type { SequenceId } from '../../model/interface';
import type { LaneStatistics, LaneStopReason, LaneTrace, TokenRecord } from '../../share/trace';
import type { LaneStepper, ModelSlotName } from '../methods/types';
import type { PlannedLane } from './plan';

export class LaneState {
  /** One per component once the prompt is prefilled (shared sequences at step 0). */
  sequences: SequenceId[] = [];
  /** Whether `sequences` are this lane's own to release (after step 0's forks). */
  holdsSequences = false;
  readonly tokens: TokenRecord[] = [];
  stopReason: LaneStopReason | null = null;
  error: string | undefined;
  readonly forwardPasses: Partial<Record<ModelSlotName, number>> = {};
  readbackBytes = 0;
  activeMs = 0;
  private entropySum = 0;

  constructor(
    readonly plan: PlannedLane,
    readonly stepper: LaneStepper,
    /** Tokens this lane may generate before a component's prompt + tokens reaches its context. */
    readonly contextBudget: number,
  ) {}

  get id(): string {
    return this.plan.config.id;
  }

  get finished(): boolean {
    return this.stopReason !== null;
  }

  get ids(): number[] {
    return this.tokens.map((t) => t.id);
  }

  countForward(slot: ModelSlotName): void {
    this.forwardPasses[slot] = (this.forwardPasses[slot] ?? 0) + 1;
  }

  push(record: TokenRecord): void {
    this.tokens.push(record);
    this.entropySum += record.combined.entropy;
  }

  finish(reason: LaneStopReason, error?: string): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    if (error !== undefined) this.error = error;
  }

  statistics(): LaneStatistics {
    const tokens = this.tokens.length;
    const forwardPasses: Record<string, number> = {};
    for (const slot of ['main', 'amateur'] as const) {
      if (this.forwardPasses[slot] !== undefined) forwardPasses[slot] = this.forwardPasses[slot];
    }
    return {
      tokens,
      forwardPasses,
      tokensPerSecond: this.activeMs > 0 ? tokens / (this.activeMs / 1000) : 0,
      meanEntropy: tokens > 0 ? this.entropySum / tokens : 0,
      readbackBytes: this.readbackBytes,
      readbackBytesPerToken: tokens > 0 ? this.readbackBytes / tokens : 0,
    };
  }

  trace(text: string): LaneTrace {
    const trace: LaneTrace = {
      laneId: this.id,
      inputs: this.stepper.inputs
        ? [...this.stepper.inputs]
        : this.plan.components.map(({ label, model, distortion }) => ({ label, model, distortion })),
      tokens: [...this.tokens],
      text,
      stopReason: this.stopReason,
      statistics: this.statistics(),
    };
    if (this.error !== undefined) trace.error = this.error;
    return trace;
  }
}
