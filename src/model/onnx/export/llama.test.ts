// The exported decoder graph, run by onnxruntime-web's wasm provider in Node, against the CPU
// reference forward (src/model/reference/forward.ts) on tiny random models: every position of a
// prefill, cached decode steps fed the graph's own presents, and one padded batch of sequences
// with unequal cached and new lengths (left-padded past, right-padded new tokens).
import * as ort from 'onnxruntime-web';
import { describe, expect, test } from 'vitest';
import type { ModelConfig } from '../../config';
import { ReferenceModel } from '../../reference/forward';
import { tinyLlamaConfigJson, tinyModel } from '../../reference/tiny';
import { exportLlamaDecoder } from './llama';

ort.env.wasm.numThreads = 1;
// Starting onnxruntime's wasm takes seconds on a busy 2-core machine.
const TIMEOUT = 60_000;

// f32 graph against f64 reference through two layers: a few 1e-6.
const ATOL = 2e-5;

type Cache = { key: ort.Tensor; value: ort.Tensor }[];

function worst(actual: ArrayLike<number>, offset: number, expected: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(actual[offset + i] - expected[i]));
  return max;
}

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

function emptyCache(config: ModelConfig, batch: number): Cache {
  const dims = [batch, config.numKeyValueHeads, 0, config.headDim];
  return Array.from({ length: config.numLayers }, () => ({
    key: new ort.Tensor('float32', new Float32Array(0), dims),
    value: new ort.Tensor('float32', new Float32Array(0), dims),
  }));
}

async function run(
  session: ort.InferenceSession,
  config: ModelConfig,
  ids: number[][],
  mask: number[][],
  positions: number[][],
  past: Cache,
): Promise<{ logits: Float32Array; present: Cache }> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(ids.flat(), [ids.length, ids[0].length]),
    attention_mask: int64(mask.flat(), [mask.length, mask[0].length]),
    position_ids: int64(positions.flat(), [positions.length, positions[0].length]),
  };
  past.forEach(({ key, value }, i) => {
    feeds[`past_key_values.${i}.key`] = key;
    feeds[`past_key_values.${i}.value`] = value;
  });
  const out = await session.run(feeds);
  const present = Array.from({ length: config.numLayers }, (_, i) => ({
    key: out[`present.${i}.key`],
    value: out[`present.${i}.value`],
  }));
  return { logits: out.logits.data as Float32Array, present };
}

const CASES: [string, Record<string, unknown>][] = [
  ['llama (GQA 4/2, untied head)', tinyLlamaConfigJson()],
  [
    'qwen2 (q/k/v biases, tied head)',
    tinyLlamaConfigJson({ model_type: 'qwen2', tie_word_embeddings: true }),
  ],
  ['llama (no GQA, 1 layer)', tinyLlamaConfigJson({ num_key_value_heads: 4, num_hidden_layers: 1 })],
];

describe.each(CASES)('exported decoder on onnxruntime (wasm, Node) vs reference: %s', (_name, configJson) => {
  const { config, weights } = tinyModel(configJson, 5);
  const ready = ort.InferenceSession.create(
    exportLlamaDecoder(config, { get: (n) => weights.get(n)! }, 'tiny'),
    {
      executionProviders: ['wasm'],
    },
  );
  const V = config.vocabSize;

  test(
    'the graph has the Hub decoder_model_merged names',
    async () => {
      const session = await ready;
      const cacheNames = (prefix: string) =>
        Array.from({ length: config.numLayers }, (_, i) => [
          `${prefix}.${i}.key`,
          `${prefix}.${i}.value`,
        ]).flat();
      expect(session.inputNames).toEqual([
        'input_ids',
        'attention_mask',
        'position_ids',
        ...cacheNames('past_key_values'),
      ]);
      expect(session.outputNames).toEqual(['logits', ...cacheNames('present')]);
    },
    TIMEOUT,
  );

  test(
    'prefill (every position) and 6 cached decode steps',
    async () => {
      const session = await ready;
      const reference = new ReferenceModel(config, weights);
      const refSeq = reference.createSequence();
      const prompt = [5, 9, 2, 33, 17, 8, 1, 40, 3];
      const n = prompt.length;
      const first = await run(
        session,
        config,
        [prompt],
        [prompt.map(() => 1)],
        [prompt.map((_, i) => i)],
        emptyCache(config, 1),
      );
      reference
        .forward({ sequences: [{ sequence: refSeq, tokens: prompt }], logits: 'all' })
        .logits.forEach((row, r) => {
          expect(worst(first.logits, r * V, row), `position ${r}`).toBeLessThan(ATOL);
        });
      let cache = first.present;
      for (let step = 0; step < 6; step++) {
        const token = (step * 13 + 7) % V;
        const total = n + step + 1;
        const out = await run(session, config, [[token]], [Array(total).fill(1)], [[total - 1]], cache);
        const want = reference.forward({ sequences: [{ sequence: refSeq, tokens: [token] }] }).logits[0];
        expect(worst(out.logits, 0, want), `step ${step}`).toBeLessThan(ATOL);
        expect(out.present[0].key.dims).toEqual([1, config.numKeyValueHeads, total, config.headDim]);
        cache = out.present;
      }
    },
    TIMEOUT,
  );

  test(
    'a padded batch (cached 0/3/5, new 2/1/3 tokens) equals each sequence alone',
    async () => {
      const session = await ready;
      const reference = new ReferenceModel(config, weights);
      const prefixes = [[], [4, 8, 15], [16, 23, 42, 7, 1]];
      const news = [[11, 12], [13], [14, 15, 16]];
      const P = 5;
      const S = 3;
      const kv = config.numKeyValueHeads;
      const hd = config.headDim;
      // Each sequence's past, right-aligned in P positions (zeros in the padding).
      const past = Array.from({ length: config.numLayers }, () => ({
        key: new Float32Array(3 * kv * P * hd),
        value: new Float32Array(3 * kv * P * hd),
      }));
      const refSeqs: number[] = [];
      for (const [b, prefix] of prefixes.entries()) {
        refSeqs.push(reference.createSequence());
        if (prefix.length === 0) continue;
        const alone = await run(
          session,
          config,
          [prefix],
          [prefix.map(() => 1)],
          [prefix.map((_, i) => i)],
          emptyCache(config, 1),
        );
        reference.forward({ sequences: [{ sequence: refSeqs[b], tokens: prefix }] });
        alone.present.forEach(({ key, value }, layer) => {
          for (let h = 0; h < kv; h++) {
            const rows = prefix.length * hd;
            const at = ((b * kv + h) * P + (P - prefix.length)) * hd;
            past[layer].key.set((key.data as Float32Array).subarray(h * rows, (h + 1) * rows), at);
            past[layer].value.set((value.data as Float32Array).subarray(h * rows, (h + 1) * rows), at);
          }
        });
      }
      const ids = news.map((tokens) =>
        Array.from({ length: S }, (_, t) => tokens[Math.min(t, tokens.length - 1)]),
      );
      const positions = news.map((tokens, b) =>
        Array.from({ length: S }, (_, t) => prefixes[b].length + Math.min(t, tokens.length - 1)),
      );
      const mask = news.map((tokens, b) =>
        Array.from({ length: P + S }, (_, j) =>
          j >= P - prefixes[b].length && j < P + tokens.length ? 1 : 0,
        ),
      );
      const cache = past.map(({ key, value }) => ({
        key: new ort.Tensor('float32', key, [3, kv, P, hd]),
        value: new ort.Tensor('float32', value, [3, kv, P, hd]),
      }));
      const batched = await run(session, config, ids, mask, positions, cache);
      news.forEach((tokens, b) => {
        const want = reference.forward({
          sequences: [{ sequence: refSeqs[b], tokens }],
          logits: 'all',
        }).logits;
        want.forEach((row, t) =>
          expect(worst(batched.logits, (b * S + t) * V, row), `sequence ${b} token ${t}`).toBeLessThan(ATOL),
        );
      });
    },
    TIMEOUT,
  );
});

describe('exported decoder without position_ids', () => {
  test(
    'positions follow the past length; names as older Hub exports',
    async () => {
      const { config, weights } = tinyModel(tinyLlamaConfigJson(), 6);
      const bytes = exportLlamaDecoder(config, { get: (n) => weights.get(n)! }, 'tiny', {
        positionIds: false,
      });
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      expect(session.inputNames.slice(0, 3)).toEqual([
        'input_ids',
        'attention_mask',
        'past_key_values.0.key',
      ]);
      const reference = new ReferenceModel(config, weights);
      const prompts = [
        [3, 1, 4, 1],
        [5, 9, 2, 6],
      ];
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64(prompts.flat(), [2, 4]),
        attention_mask: int64(Array(8).fill(1), [2, 4]),
      };
      emptyCache(config, 2).forEach(({ key, value }, i) => {
        feeds[`past_key_values.${i}.key`] = key;
        feeds[`past_key_values.${i}.value`] = value;
      });
      const logits = (await session.run(feeds)).logits.data as Float32Array;
      prompts.forEach((tokens, b) => {
        const want = reference.forward({
          sequences: [{ sequence: reference.createSequence(), tokens }],
          logits: 'all',
        }).logits;
        want.forEach((row, t) =>
          expect(worst(logits, (b * 4 + t) * config.vocabSize, row), `row ${b} ${t}`).toBeLessThan(ATOL),
        );
      });
    },
    TIMEOUT,
  );
});
