// The CPU reference trainer: the spec of one step of the WGSL trainer (./trainer.ts), in f64 with
// f64 parameters and moments. One step over micro-batches b_1..b_M for an objective (./types.ts):
//   1. if the objective needs them, logp for every micro-batch at the current parameters; then
//      w = objective.tokenWeights(batches, logp or null)
//   2. g = sum_i dJ_i/dW, J_i = sum_t w_it logp_it (src/model/reference/backward.ts), gradients
//      zeroed first and accumulated over the micro-batches
//   3. ||g|| over every entry of every tensor; lr = learningRateAt(schedule, step) (0-based step)
//   4. AdamW with global-norm clipping, bias correction with t = step + 1 and decoupled weight
//      decay on the tensors `decays` selects (src/kernels/optimizer/reference.ts; Loshchilov &
//      Hutter, "Decoupled Weight Decay Regularization")
//   5. loss = objective.loss(batches, logp), logp of the step's parameters (before the update)
// A non-finite token weight, loss or gradient throws TrainingError naming the step and the
// tensor, and changes nothing (the step count included).
import { KernelInputError } from '../gpu/errors';
import {
  adamWStepReference,
  gradientNormReference,
  type AdamWStateReference,
} from '../kernels/optimizer/reference';
import { validateAdamW } from '../kernels/optimizer/params';
import { learningRateAt, validateSchedule } from '../kernels/optimizer/schedule';
import { expectedTensors } from '../model/architectures/tensors';
import type { ModelConfig } from '../model/config';
import { referenceGradients, referenceObjective } from '../model/reference/backward';
import type { WeightMap } from '../model/reference/forward';
import {
  TrainingError,
  type Objective,
  type StepReport,
  type TokenBatch,
  type TrainerOptions,
} from './types';

/**
 * Whether AdamW's decoupled weight decay applies to a tensor: matrices (2 dimensions: linear
 * weights, token and position embeddings, the LM head) decay; vectors (biases, norm gains) and
 * anything named as a norm do not. This is nanoGPT's rule (GPT-2/GPT-3 practice); the GPU trainer
 * uses this very function.
 */
export function decays(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && !/(^|\.)(ln_\d+|ln_f|[a-z_]*norm)\./.test(name);
}

interface TensorState extends AdamWStateReference {
  name: string;
  shape: number[];
}

export class ReferenceTrainer {
  private readonly state: TensorState[];
  private steps = 0;
  private gradients: Map<string, Float64Array> | null = null;

  constructor(
    readonly config: ModelConfig,
    weights: WeightMap,
    private readonly options: TrainerOptions,
  ) {
    validateSchedule(options.schedule);
    validateAdamW({ ...options.optimizer, learningRate: options.schedule.peak, step: 1 });
    this.state = expectedTensors(config).map(({ name, shape }) => {
      const values = weights.get(name);
      const count = shape.reduce((a, b) => a * b, 1);
      if (!values) throw new KernelInputError(`${options.name}: the weights have no tensor ${name}`);
      if (values.length !== count) {
        throw new KernelInputError(
          `${options.name}: tensor ${name} has ${values.length} values, config.json implies ${count} ([${shape.join(', ')}])`,
        );
      }
      return {
        name,
        shape,
        parameter: Float64Array.from(values),
        firstMoment: new Float64Array(count),
        secondMoment: new Float64Array(count),
        decay: decays(name, shape),
      };
    });
  }

  /** Optimizer updates done so far. */
  get stepsDone(): number {
    return this.steps;
  }

  /** The current parameters (rounded to f32) under their canonical names. */
  weights(): Map<string, Float32Array> {
    return new Map(this.state.map((t) => [t.name, Float32Array.from(t.parameter)]));
  }

  /** The accumulated gradients of the last step that completed (null before the first). */
  lastGradients(): Map<string, Float64Array> | null {
    return this.gradients;
  }

  private parameters(): Map<string, Float64Array> {
    return new Map(this.state.map((t) => [t.name, t.parameter]));
  }

  /** One optimizer step over `batches` (micro-batches whose gradients add up) for `objective`. */
  trainStep(batches: readonly TokenBatch[], objective: Objective): StepReport {
    const started = performance.now();
    if (batches.length === 0) throw new KernelInputError('trainStep needs at least one micro-batch');
    const step = this.steps;
    const learningRate = learningRateAt(this.options.schedule, step);
    const parameters = this.parameters();
    const zeros = batches.map((b) => new Float32Array(b.batchSize * b.length));
    const policyLogProbs = objective.needsLogProbs
      ? batches.map((b, i) =>
          Float32Array.from(referenceObjective(this.config, parameters, b, zeros[i]).logProbs),
        )
      : null;
    const tokenWeights = objective.tokenWeights(batches, policyLogProbs);
    this.checkTokenWeights(tokenWeights, batches, objective, step);

    const total = new Map(this.state.map((t) => [t.name, new Float64Array(t.parameter.length)]));
    const logProbs: Float32Array[] = [];
    batches.forEach((batch, i) => {
      const result = referenceGradients(this.config, parameters, batch, tokenWeights[i]);
      logProbs.push(Float32Array.from(result.logProbs));
      for (const [name, gradient] of result.gradients) {
        const sum = total.get(name)!;
        for (let j = 0; j < sum.length; j++) sum[j] += gradient[j];
      }
    });
    const loss = objective.loss(batches, policyLogProbs ?? logProbs);
    const gradients = this.state.map((t) => total.get(t.name)!);
    const { norm, nonFinite } = gradientNormReference(gradients);
    if (nonFinite > 0 || !Number.isFinite(norm) || !Number.isFinite(loss)) {
      throw this.failure(step, loss, gradients, objective);
    }
    const hyper = { ...this.options.optimizer, learningRate, step: step + 1 };
    adamWStepReference(this.state, gradients, hyper);
    this.steps++;
    this.gradients = total;
    const tokens = batches.reduce((sum, b) => sum + b.mask.reduce((s, m) => s + (m !== 0 ? 1 : 0), 0), 0);
    return {
      step,
      loss,
      gradientNorm: norm,
      learningRate,
      tokens,
      milliseconds: performance.now() - started,
    };
  }

  private checkTokenWeights(
    weights: readonly Float32Array[],
    batches: readonly TokenBatch[],
    objective: Objective,
    step: number,
  ): void {
    if (weights.length !== batches.length) {
      throw new KernelInputError(
        `objective ${objective.name}: gave weights for ${weights.length} micro-batches, the step has ${batches.length}`,
      );
    }
    weights.forEach((w, i) => {
      const rows = batches[i].batchSize * batches[i].length;
      if (w.length !== rows) {
        throw new KernelInputError(
          `objective ${objective.name}: micro-batch ${i} got ${w.length} weights, needs ${rows}`,
        );
      }
      const bad = w.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        throw new TrainingError(
          `step ${step}: objective ${objective.name} gave a non-finite weight (${w[bad]}) to token ${bad} of micro-batch ${i}; nothing was updated`,
          step,
          'token weights',
        );
      }
    });
  }

  /**
   * The error of a step with a non-finite loss or gradient. The culprit is, in this order: a
   * parameter holding NaN/Inf (it poisons every gradient, so naming a gradient would mislead), the
   * first tensor whose gradient has NaN/Inf entries, or the objective's loss.
   */
  private failure(step: number, loss: number, gradients: Float64Array[], objective: Objective) {
    const unchanged = `Nothing was updated: the parameters are those after step ${step - 1}.`;
    for (const t of this.state) {
      const index = t.parameter.findIndex((x) => !Number.isFinite(x));
      if (index >= 0) {
        return new TrainingError(
          `Training stopped at step ${step}: parameter ${t.name} holds ${t.parameter[index]} at index ${index}` +
            ` (loss ${loss}). ${unchanged}`,
          step,
          t.name,
        );
      }
    }
    const { nonFinitePerTensor } = gradientNormReference(gradients);
    const index = nonFinitePerTensor.findIndex((n) => n > 0);
    if (index >= 0) {
      const count = nonFinitePerTensor[index];
      return new TrainingError(
        `Training stopped at step ${step}: the gradient of ${this.state[index].name} has ${count} NaN/Inf ` +
          `entr${count === 1 ? 'y' : 'ies'} (loss ${loss}). ${unchanged}`,
        step,
        this.state[index].name,
      );
    }
    return new TrainingError(
      Number.isFinite(loss)
        ? `Training stopped at step ${step}: the global gradient norm overflows. ${unchanged}`
        : `Training stopped at step ${step}: the loss of objective ${objective.name} is ${loss} while the gradients are finite. ${unchanged}`,
      step,
      Number.isFinite(loss) ? 'the global gradient norm (overflow)' : 'loss',
    );
  }
}
