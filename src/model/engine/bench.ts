// Bench rows for the WGSL engine (issue 3, "Benchmarks"): prefill and decode tokens/s of a
// GPT-2-shaped and a Llama-shaped random model, 6 layers, d = 256, head dim 64.
//   GPT-2: 4 heads, MLP 1024 (4d), learned positions, tied head.
//   Llama: 4 query heads over 2 KV heads (GQA), SwiGLU 688 (~ 8d/3 rounded to a multiple of 4),
//          RoPE, tied head (as SmolLM2 and Qwen2.5 small models are).
// The vocabulary is 8,192 rather than GPT-2's 50,257: on SwiftShader (CPU-emulated WebGPU) the
// full head would dominate every row and make the JS side take minutes. Weights: randomWeights.
//
// Baseline "js-reference": the CPU reference forward (src/model/reference/forward.ts, plain
// TypeScript, f64) on the same weights and tokens in the same run; both sides do the same work per
// run (same token count, logits of the last token only), so ratio = js ms / wgsl ms is
// like for like. Prefill: an empty sequence gets 64 tokens (the cache is truncated back to 0
// before each run). Decode: after a 32-token prefill (done once in setup), one token per run, the
// cache truncated back to 32 so every run attends over the same 33 positions. The GPU side is
// awaited with onSubmittedWorkDone: the logits stay on the GPU, where a sampler would read them.
// Setup runs both sides once and refuses to time an engine whose logits disagree with the
// reference. Tokens/s = tokens per run / median of this case's own samples (warm-up included:
// the harness keeps its medians to itself), printed in the shape column, which the harness reads
// after the runs.
import type { BenchCase, BenchInstance } from '../../bench/types';
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { compareArrays } from '../../testing/compare';
import { parseModelConfig } from '../config';
import { ReferenceModel } from '../reference/forward';
import { randomWeights, tinyGpt2ConfigJson, tinyLlamaConfigJson } from '../reference/tiny';
import { WgslModel } from './model';

const PREFILL_TOKENS = 64;
const DECODE_CONTEXT = 32;
const VOCAB = 8192;

interface ModelShape {
  name: string;
  text: string;
  configJson: Record<string, unknown>;
}

const MODELS: ModelShape[] = [
  {
    name: 'gpt2',
    text: `6L d=256 4h hd=64 I=1024 V=${VOCAB}`,
    configJson: tinyGpt2ConfigJson({
      vocab_size: VOCAB,
      n_embd: 256,
      n_layer: 6,
      n_head: 4,
      n_positions: 128,
    }),
  },
  {
    name: 'llama',
    text: `6L d=256 4h/2kv hd=64 I=688 V=${VOCAB}`,
    configJson: tinyLlamaConfigJson({
      vocab_size: VOCAB,
      hidden_size: 256,
      intermediate_size: 688,
      num_hidden_layers: 6,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 128,
      tie_word_embeddings: true,
    }),
  },
];

type Phase = 'prefill' | 'decode';

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Deterministic, spread-out token ids. */
function tokenIds(count: number, offset: number): number[] {
  return Array.from({ length: count }, (_, i) => ((i + offset) * 7919 + 13) % VOCAB);
}

async function timedInto(samples: number[], body: () => unknown): Promise<void> {
  const start = performance.now();
  await body();
  samples.push(performance.now() - start);
}

function engineCase(model: ModelShape, phase: Phase): BenchCase {
  const wgslMs: number[] = [];
  const jsMs: number[] = [];
  const context = phase === 'prefill' ? 0 : DECODE_CONTEXT;
  const tokens = phase === 'prefill' ? tokenIds(PREFILL_TOKENS, 0) : tokenIds(1, DECODE_CONTEXT);
  const base =
    phase === 'prefill'
      ? `${model.text} prefill ${tokens.length} tok`
      : `${model.text} decode 1 tok at ${DECODE_CONTEXT}`;
  const rate = (samples: number[]) => ((tokens.length * 1000) / median(samples)).toFixed(1);
  return {
    name: `engine/${model.name}-${phase}`,
    get shape() {
      if (wgslMs.length === 0 || jsMs.length === 0) return base;
      return `${base} (wgsl ${rate(wgslMs)} tok/s, js ${rate(jsMs)} tok/s)`;
    },
    baseline: 'js-reference',
    async setup(gpu: Gpu): Promise<BenchInstance> {
      wgslMs.length = 0;
      jsMs.length = 0;
      const config = parseModelConfig(model.configJson);
      const weights = randomWeights(config, 7);
      const source = {
        get(name: string): Float32Array {
          const tensor = weights.get(name);
          if (!tensor) throw new Error(`engine bench: random weights lack ${name}`);
          return tensor;
        },
      };
      const engine = await WgslModel.create(gpu, config, source, { name: `bench-${model.name}` });
      try {
        const reference = new ReferenceModel(config, weights);
        const sequence = engine.createSequence();
        const referenceSequence = reference.createSequence();
        if (context > 0) {
          const prompt = tokenIds(context, 0);
          await engine.forward({ sequences: [{ sequence, tokens: prompt }] });
          reference.forward({ sequences: [{ sequence: referenceSequence, tokens: prompt }] });
        }
        const runEngine = () => {
          engine.truncate(sequence, context);
          return engine.forward({ sequences: [{ sequence, tokens }] });
        };
        const runReference = () => {
          reference.truncate(referenceSequence, context);
          return reference.forward({ sequences: [{ sequence: referenceSequence, tokens }] });
        };
        const got = await readFloat32(gpu, (await runEngine()).logits, config.vocabSize);
        const want = runReference().logits[0];
        const mismatch = compareArrays(`${model.name} ${phase} logits`, got, want, {
          atol: 1e-3,
          rtol: 1e-3,
        });
        if (mismatch !== null)
          throw new Error(`refusing to time an engine that disagrees with the reference: ${mismatch}`);
        return {
          run: () =>
            timedInto(wgslMs, async () => {
              await runEngine();
              await gpu.device.queue.onSubmittedWorkDone();
            }),
          runBaseline: () => timedInto(jsMs, runReference),
          dispose: () => engine.dispose(),
        };
      } catch (error) {
        engine.dispose();
        throw error;
      }
    },
  };
}

export const benchCases: BenchCase[] = MODELS.flatMap((model) =>
  (['prefill', 'decode'] as const).map((phase) => engineCase(model, phase)),
);
