// Test doubles for the training requests in Node: the CPU reference trainer (src/training/
// reference-trainer.ts, the spec of the WGSL trainer) behind the TrainHost's trainer seam, so the
// host, client and store tests run real (tiny) training without a GPU.
import { expectedTensors, parameterCount } from '../model/architectures/tensors';
import { ReferenceTrainer } from '../training/reference-trainer';
import type { TrainHostOptions, TrainerLike } from './trainHost';

export interface ReferenceTrainerHandle {
  /** Every trainer created, in order (tests read their weights). */
  created: ReferenceTrainer[];
  createTrainer: TrainHostOptions['createTrainer'];
}

/** Each step waits a macrotask first, like a GPU readback, so immediate requests interleave. */
export function referenceTrainers(): ReferenceTrainerHandle {
  const created: ReferenceTrainer[] = [];
  const createTrainer: TrainHostOptions['createTrainer'] = async (_gpu, config, tensors, options) => {
    const weights = new Map(expectedTensors(config).map((s) => [s.name, tensors.get(s.name)]));
    const reference = new ReferenceTrainer(config, weights, options);
    created.push(reference);
    const trainer: TrainerLike = {
      get stepsDone() {
        return reference.stepsDone;
      },
      parameterCount: parameterCount(config),
      gpuBytes: 0,
      async trainStep(batches, objective) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        return reference.trainStep(batches, objective);
      },
      async exportWeights() {
        return reference.weights();
      },
      dispose() {},
    };
    return trainer;
  };
  return { created, createTrainer };
}
