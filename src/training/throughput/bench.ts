// Bench rows for the WGSL trainer (issue 4, "Benchmarks"): training tokens/s of one full step
// (forward, cross-entropy, backward, gradient norm, AdamW) against the CPU reference trainer
// (src/training/reference-trainer.ts: plain TypeScript, f64) on the same model, batch and
// hyper-parameters, in the same run.
//   GPT-2: 4 layers, d = 128, 4 heads, MLP 512, learned positions, tied head.
//   Llama: 4 layers, d = 128, 4 query heads over 2 KV heads, SwiGLU 344, RoPE, untied head.
// Vocabulary 1,024 and a batch of 4 sequences x 32 tokens (128 tokens per step): big enough that
// the step is real work, small enough that the CPU side finishes a step in about a second.
// Both sides are measured per step including what each reads back (the GPU side: the B * T
// log-probs and the gradient statistics, as in training). Setup runs one step on each side from
// the same weights and refuses to time a trainer whose loss disagrees with the reference.
// Tokens/s = tokens per step / median step time, printed in the shape column.
import type { BenchCase, BenchInstance } from '../../bench/types';
import type { Gpu } from '../../gpu/runtime';
import { parseModelConfig } from '../../model/config';
import { tinyGpt2ConfigJson, tinyLlamaConfigJson } from '../../model/reference/tiny';
import { initialWeights } from '../init';
import { crossEntropyObjective } from '../objective';
import { ReferenceTrainer } from '../reference-trainer';
import { randomBatch } from '../testing';
import { Trainer } from '../trainer';
import type { TrainerOptions } from '../types';

const VOCAB = 1024;
const BATCH = 4;
const LENGTH = 32;

const MODELS = [
  {
    name: 'gpt2',
    text: `4L d=128 4h I=512 V=${VOCAB}`,
    configJson: tinyGpt2ConfigJson({
      vocab_size: VOCAB,
      n_embd: 128,
      n_layer: 4,
      n_head: 4,
      n_positions: 64,
    }),
  },
  {
    name: 'llama',
    text: `4L d=128 4h/2kv I=344 V=${VOCAB}`,
    configJson: tinyLlamaConfigJson({
      vocab_size: VOCAB,
      hidden_size: 128,
      intermediate_size: 344,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 64,
    }),
  },
];

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timedInto(samples: number[], body: () => unknown): Promise<void> {
  const start = performance.now();
  await body();
  samples.push(performance.now() - start);
}

const OPTIONS: TrainerOptions = {
  name: 'bench',
  optimizer: { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1, maxGradientNorm: 1 },
  schedule: { warmupSteps: 2, totalSteps: 1000, peak: 3e-3, floor: 3e-4 },
};

function trainerCase(model: (typeof MODELS)[number]): BenchCase {
  const gpuMs: number[] = [];
  const cpuMs: number[] = [];
  const tokens = BATCH * LENGTH;
  const base = `${model.text} B=${BATCH} T=${LENGTH} (${tokens} tok/step)`;
  const rate = (samples: number[]) => ((tokens * 1000) / median(samples)).toFixed(0);
  return {
    name: `train/${model.name}-step`,
    get shape() {
      if (gpuMs.length === 0 || cpuMs.length === 0) return base;
      return `${base} (wgsl ${rate(gpuMs)} tok/s, js ${rate(cpuMs)} tok/s)`;
    },
    baseline: 'js-reference-trainer',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      gpuMs.length = 0;
      cpuMs.length = 0;
      const config = parseModelConfig(model.configJson);
      const weights = initialWeights(config, 5);
      const source = { get: (name: string) => weights.get(name)! };
      const trainer = await Trainer.create(gpu, config, source, OPTIONS);
      try {
        const reference = new ReferenceTrainer(config, weights, OPTIONS);
        const objective = crossEntropyObjective();
        let n = 0;
        const nextBatch = () => randomBatch(config.vocabSize, BATCH, LENGTH, 1000 + n++, 0);
        const first = nextBatch();
        const gpuLoss = (await trainer.trainStep([first], objective)).loss;
        const cpuLoss = reference.trainStep([first], objective).loss;
        if (!(Math.abs(gpuLoss - cpuLoss) <= 1e-3 * Math.abs(cpuLoss))) {
          throw new Error(
            `refusing to time a trainer whose loss ${gpuLoss} disagrees with the reference ${cpuLoss}`,
          );
        }
        return {
          run: () => timedInto(gpuMs, () => trainer.trainStep([nextBatch()], objective)),
          runBaseline: () => timedInto(cpuMs, () => reference.trainStep([nextBatch()], objective)),
          dispose: () => trainer.dispose(),
        };
      } catch (error) {
        trainer.dispose();
        throw error;
      }
    },
  };
}

export const benchCases: BenchCase[] = MODELS.map(trainerCase);
