// The worker's model requests on a real device: load a tiny folder from local files (with
// progress), generate, stop, inspect (attention rows are causal distributions; the last lens
// layer's top token is the greedy next token), and clear errors for bad requests.
import { afterAll, describe, expect, test } from 'vitest';
import { expectedTensors } from '../model/architectures/tensors';
import { TINY_VOCAB, tinyTokenizerJson } from '../model/loading/fixtures/tinyModels';
import { writeSafetensors } from '../model/loading/safetensorsWriter';
import { tinyGpt2ConfigJson, tinyModel } from '../model/reference/tiny';
import { testGpu } from '../testing/gpu';
import { ModelHost, topProbabilities } from './modelHost';
import type { WorkerEvent } from './protocol';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function folderFiles(): { path: string; file: File }[] {
  const configJson = tinyGpt2ConfigJson({ vocab_size: TINY_VOCAB.length });
  const { config, weights } = tinyModel(configJson, 3);
  const tensors = Object.fromEntries(
    expectedTensors(config).map((s) => [
      s.name,
      { dtype: 'F32' as const, shape: s.shape, data: weights.get(s.name)! },
    ]),
  );
  const folder: Record<string, Uint8Array<ArrayBuffer>> = {
    'config.json': json(configJson),
    'tokenizer.json': json(tinyTokenizerJson()),
    'model.safetensors': writeSafetensors(tensors),
  };
  return Object.entries(folder).map(([name, bytes]) => ({
    path: `tiny/${name}`,
    file: new File([bytes], name),
  }));
}

describe('ModelHost', () => {
  const host = new ModelHost();
  const events: WorkerEvent[] = [];
  const post = (event: WorkerEvent) => events.push(event);
  afterAll(() => host.reset());

  test('generate and inspect before a load say what to do', async () => {
    await expect(
      host.generate(
        1,
        { prompt: 'a', maxTokens: 1, greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0 },
        post,
      ),
    ).rejects.toThrow('No model is loaded');
  });

  test('loads local files with per-file progress and replies with the card', async () => {
    const gpu = await testGpu();
    await host.load(gpu, 2, { kind: 'files', files: folderFiles() }, post);
    const progress = events.filter((e) => e.type === 'modelProgress');
    expect(new Set(progress.map((e) => e.file))).toEqual(
      new Set(['config.json', 'tokenizer.json', 'model.safetensors']),
    );
    expect(progress.filter((e) => e.percent === 100)).toHaveLength(3);
    const loaded = events.find((e) => e.type === 'modelLoaded');
    if (loaded?.type !== 'modelLoaded') throw new Error('no modelLoaded event');
    expect(loaded.card).toMatchObject({ name: 'local folder tiny', architecture: 'gpt2', layers: 2, heads: 4, kvHeads: 4, vocabSize: TINY_VOCAB.length, hiddenSize: 32, dtype: 'f32' }); // prettier-ignore
    expect(loaded.card.gpuBytes).toBeGreaterThan(loaded.card.parameterCount * 4 - 1);
    expect(Object.keys(loaded.card.fileHashes).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
    ]);
  });

  test('generates greedily; the last lens layer agrees; attention rows are causal distributions', async () => {
    const gpu = await testGpu();
    events.length = 0;
    const prompt = 'the cat sat';
    await host.generate(3, { prompt, maxTokens: 4, greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0 }, post); // prettier-ignore
    const tokens = events.filter((e) => e.type === 'generatedToken');
    expect(tokens).toHaveLength(4);
    const started = events.find((e) => e.type === 'generationStarted');
    expect(started?.type === 'generationStarted' && started.promptTokens.map((t) => t.piece)).toEqual([
      'the',
      'cat',
      'sat',
    ]);

    await host.inspect(gpu, 4, { text: prompt, layer: 1, head: 2 }, post);
    const inspected = events.find((e) => e.type === 'inspected');
    if (inspected?.type !== 'inspected') throw new Error('no inspected event');
    const n = 3;
    expect(inspected.tokens).toHaveLength(n);
    expect(inspected.attention).toHaveLength(n * n);
    for (let q = 0; q < n; q++) {
      const row = inspected.attention.slice(q * n, (q + 1) * n);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      for (let k = q + 1; k < n; k++) expect(row[k]).toBe(0);
    }
    expect(inspected.lens.map((l) => l.layer)).toEqual([1, 2]);
    expect(inspected.lens[1].top[0].id).toBe(tokens[0].type === 'generatedToken' && tokens[0].id);
    expect(inspected.lens[1].top[0].prob).toBeCloseTo(
      tokens[0].type === 'generatedToken' ? tokens[0].probability : 0,
      4,
    );

    events.length = 0;
    await host.inspect(gpu, 5, { text: prompt, layer: 0, head: 0, lensPosition: 0 }, post);
    const early = events.find((e) => e.type === 'inspected');
    expect(early?.type === 'inspected' && early.lensPosition).toBe(0);
    await expect(host.inspect(gpu, 6, { text: prompt, layer: 2, head: 0 }, post)).rejects.toThrow(
      'layer must be in 0..1, got 2',
    );
  });

  test('topProbabilities sorts the best entries of a softmax', () => {
    const top = topProbabilities(new Float32Array([0, 3, 1, 3, -2, 2]), 3);
    expect(top.map((t) => t.id)).toEqual([1, 3, 5]);
    const z = 1 + 2 * Math.exp(3) + Math.exp(1) + Math.exp(-2) + Math.exp(2);
    expect(top[0].prob).toBeCloseTo(Math.exp(3) / z, 6);
  });
});
