// A trainable policy for the RL and preference runners (./runner.ts, ./preference-runner.ts): the
// WGSL trainer holding the current weights, an inference model (src/model/engine) that samples
// with them, and the frozen reference the KL and the preference margins are measured against.
//
// Keeping the inference model current: the trainer's parameters and the engine's weights are
// separate GPU buffers in different layouts, so after every update the engine is rebuilt from
// trainer.exportWeights() (read back, then re-uploaded). Pipelines are cached by the runtime, so
// a rebuild is one readback and one upload: cheap for the tiny Shapes models (syncMs in the step
// reports measures it), not for large ones, where a shared-buffer path would be the next step.
// The reference is a second, never-stepped trainer at the initial weights (its forward-only
// logProbs), which is the simplest exact choice: the policy's own log-probs are the reference's
// only before the first update.
import type { Gpu } from '../gpu/runtime';
import type { ModelConfig } from '../model/config';
import { WgslModel } from '../model/engine/model';
import { Trainer } from '../training/trainer';
import type { TokenBatch, TrainerOptions } from '../training/types';
import { ObjectiveInputError } from './errors';

export interface PolicySource {
  gpu: Gpu;
  config: ModelConfig;
  /** The initial weights under their canonical names (a default model's, or a checkpoint's). */
  weights: ReadonlyMap<string, Float32Array>;
  trainer: TrainerOptions;
}

function sourceOf(name: string, weights: ReadonlyMap<string, Float32Array>) {
  return {
    get(tensor: string): Float32Array {
      const values = weights.get(tensor);
      if (!values) throw new ObjectiveInputError(`${name}: the weights have no tensor ${tensor}`);
      return values;
    },
  };
}

export class Policy {
  private model: WgslModel | null = null;
  private modelStep = -1;

  private constructor(
    private readonly source: PolicySource,
    readonly trainer: Trainer,
    private reference: Trainer | null,
  ) {}

  /** `withReference`: also build the frozen reference trainer (needed for a KL penalty). */
  static async create(source: PolicySource, withReference: boolean): Promise<Policy> {
    const name = source.trainer.name;
    const trainer = await Trainer.create(
      source.gpu,
      source.config,
      sourceOf(name, source.weights),
      source.trainer,
    );
    try {
      const reference = withReference
        ? await Trainer.create(source.gpu, source.config, sourceOf(name, source.weights), {
            ...source.trainer,
            name: `${name}:reference`,
          })
        : null;
      return new Policy(source, trainer, reference);
    } catch (cause) {
      trainer.dispose();
      throw cause;
    }
  }

  get gpu(): Gpu {
    return this.source.gpu;
  }

  get config(): ModelConfig {
    return this.source.config;
  }

  /** Image placeholders per prompt (0 for text-only models). */
  get numPatches(): number {
    return this.source.config.vision?.numPatches ?? 0;
  }

  /** The inference model at the trainer's current weights; `rebuilt` says whether this call rebuilt it. */
  async inferenceModel(): Promise<{ model: WgslModel; rebuilt: boolean }> {
    const step = this.trainer.stepsDone;
    if (this.model && this.modelStep === step) return { model: this.model, rebuilt: false };
    const weights = step === 0 ? this.source.weights : await this.trainer.exportWeights();
    const name = `${this.source.trainer.name}:policy@${step}`;
    const next = await WgslModel.create(this.source.gpu, this.source.config, sourceOf(name, weights), {
      name,
      weightDtype: 'f32',
    });
    this.model?.dispose();
    this.model = next;
    this.modelStep = step;
    return { model: next, rebuilt: true };
  }

  /** log ref per token of each micro-batch, from the frozen reference trainer. */
  async referenceLogProbs(batches: readonly TokenBatch[]): Promise<Float32Array[]> {
    if (!this.reference) {
      throw new ObjectiveInputError(
        `${this.source.trainer.name}: this policy was built without a reference; create it with withReference = true`,
      );
    }
    const out: Float32Array[] = [];
    for (const batch of batches) out.push(await this.reference.logProbs(batch));
    return out;
  }

  async logProbs(batches: readonly TokenBatch[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const batch of batches) out.push(await this.trainer.logProbs(batch));
    return out;
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
    this.reference?.dispose();
    this.reference = null;
    this.trainer.dispose();
  }
}
