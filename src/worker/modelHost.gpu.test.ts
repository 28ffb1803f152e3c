// The worker's model requests on a real device: load a tiny folder from local files (with
// progress), generate, stop, inspect (attention rows are causal distributions; the last lens
// layer's top token is the greedy next token), and clear errors for bad requests. ONNX folders
// (the committed ORT fixtures): loaded beside each other, found by their pins, generating; Inspect
// refused by capability; a graph that contradicts config.json refused with the models kept; the
// dtype chosen among a folder's decoders, and the wasm fallback's notice on the card.
import { afterAll, describe, expect, test } from 'vitest';
import { expectedTensors } from '../model/architectures/tensors';
import { TINY_VOCAB, tinyTokenizerJson } from '../model/loading/fixtures/tinyModels';
import { exportOnnxFolder } from '../model/onnx/export/folder';
import { HUB_ONNX_FILES, servedFolder, type MemoryFolder } from '../model/onnx/testing';
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

const asFiles = (folder: MemoryFolder, name: string) =>
  Object.entries(folder).map(([path, bytes]) => ({
    path: `${name}/${path}`,
    file: new File([bytes], path.split('/').pop()!),
  }));

describe('ModelHost with ONNX folders', () => {
  const host = new ModelHost();
  const events: WorkerEvent[] = [];
  const post = (event: WorkerEvent) => events.push(event);
  afterAll(() => host.reset());
  const greedy = { maxTokens: 4, greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0 };

  test('two ONNX folders beside each other, found by pins; generate; inspect and bad input refused', async () => {
    const gpu = await testGpu();
    const draft = await servedFolder('fixtures/onnx/shapes-draft', HUB_ONNX_FILES);
    const expert = await servedFolder('fixtures/onnx/shapes-expert', HUB_ONNX_FILES);
    await host.load(gpu, 1, { kind: 'files', files: asFiles(expert, 'shapes-expert') }, post);
    const files = {
      kind: 'files' as const,
      files: asFiles(draft, 'shapes-draft'),
      load: { keepLoaded: true },
    };
    await host.load(gpu, 2, files, post);
    const loaded = events.filter((e) => e.type === 'modelLoaded');
    if (loaded[1]?.type !== 'modelLoaded') throw new Error('no second modelLoaded event');
    const card = loaded[1].card;
    expect(card).toMatchObject({ name: 'local folder shapes-draft', engine: 'onnx', layers: 1, ref: null });
    expect(card.onnx).toMatchObject({ dtype: 'fp32', decoderFile: 'onnx/decoder_model_merged.onnx', providerChoice: 'auto' }); // prettier-ignore
    expect(card.capabilities).toMatchObject({ hiddenStates: false, logitLens: false, attention: false, fork: true, truncate: true }); // prettier-ignore
    expect(card.refProblem).toContain('loaded from local files, which a link cannot name');
    expect(loaded[1].loaded?.map((c) => c.name)).toEqual(['local folder shapes-expert', 'local folder shapes-draft']); // prettier-ignore
    const pin = (name: string) => ({ source: 'url' as const, id: 'x', sha256: { ...loaded.find((e) => e.type === 'modelLoaded' && e.card.name === name)!.card.fileHashes } }); // prettier-ignore
    expect(host.findLoaded(pin('local folder shapes-expert'))?.card.layers).toBe(3);
    expect(host.findLoaded(pin('local folder shapes-draft'))?.card.layers).toBe(1);

    const tokens = () => events.flatMap((e) => (e.type === 'generatedToken' ? [e.id] : []));
    events.length = 0;
    await host.generate(3, { prompt: 'a red circle', ...greedy }, post);
    const before = tokens();
    expect(before.length).toBeGreaterThan(0);
    const done = events.find((e) => e.type === 'generated');
    expect(done?.type === 'generated' && [done.generated, done.stopReason]).toEqual([before.length, before.length === 4 ? 'max-tokens' : 'eos']); // prettier-ignore
    await expect(host.inspect(gpu, 4, { text: 'a red circle', layer: 0, head: 0 }, post)).rejects.toThrow(
      'Inspect needs attention probabilities and the logit lens (capabilities attention and logitLens), which local folder shapes-draft does not give',
    );

    // The expert's graph with the draft's config.json, replacing both: refused, both stay and run.
    const mismatched = { ...expert, 'config.json': draft['config.json'] };
    await expect(
      host.load(gpu, 5, { kind: 'files', files: asFiles(mismatched, 'bad') }, post),
    ).rejects.toThrow(
      'onnx/decoder_model_merged.onnx has a KV cache for 3 layers but config.json says num_hidden_layers 1',
    );
    expect(host.cards().map((c) => c.name)).toEqual([
      'local folder shapes-expert',
      'local folder shapes-draft',
    ]);
    events.length = 0;
    await host.generate(6, { prompt: 'a red circle', ...greedy }, post);
    expect(tokens()).toEqual(before); // the same draft, greedy: the same tokens

    // A load that does not keep replaces both.
    await host.load(gpu, 7, { kind: 'files', files: folderFiles() }, post);
    expect(host.cards().map((c) => [c.name, c.engine])).toEqual([['local folder tiny', 'wgsl']]);
  });

  test('an Idefics3 folder (the Shapes VLM export) loads as a vision-language model', async () => {
    const gpu = await testGpu();
    const vlm = await servedFolder('fixtures/onnx/shapes-vlm', [
      'config.json',
      'generation_config.json',
      'preprocessor_config.json',
      'processor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/decoder_model_merged.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/vision_encoder.onnx',
    ]);
    events.length = 0;
    await host.load(gpu, 8, { kind: 'files', files: asFiles(vlm, 'shapes-vlm') }, post);
    const loaded = events.find((e) => e.type === 'modelLoaded');
    if (loaded?.type !== 'modelLoaded') throw new Error('no modelLoaded event');
    expect(loaded.card).toMatchObject({ name: 'local folder shapes-vlm', engine: 'onnx', layers: 2 });
    expect(loaded.card.capabilities.images).toBe(true);
    expect(loaded.card.onnx?.decoderFile).toBe('onnx/decoder_model_merged.onnx');
  });
});

describe('ModelHost: the ONNX dtype and provider choice', () => {
  const host = new ModelHost();
  const events: WorkerEvent[] = [];
  afterAll(() => host.reset());

  test('fp16 chosen among the dtypes; auto runs it on WebGPU with shader-f16, else on wasm with a notice', async () => {
    const gpu = await testGpu();
    const files = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];
    const safetensors = await servedFolder('models/shapes-draft', [...files, 'model.safetensors']);
    const half = exportOnnxFolder(safetensors, 'shapes-draft', { dtype: 'fp16' }) as MemoryFolder;
    const fp32 = await servedFolder('fixtures/onnx/shapes-draft', HUB_ONNX_FILES);
    const spec = {
      kind: 'files' as const,
      files: asFiles({ ...fp32, ...half }, 'shapes-draft'),
      load: { engine: 'onnx' as const, onnxDtype: 'fp16' as const, provider: 'auto' as const },
    };
    await host.load(gpu, 1, spec, (event) => events.push(event));
    const card = host.loadedModel()!.card;
    expect(card.onnx).toMatchObject({ dtype: 'fp16', decoderFile: 'onnx/decoder_model_merged_fp16.onnx' });
    expect(Object.keys(card.fileHashes)).toContain('onnx/decoder_model_merged_fp16.onnx');
    expect(Object.keys(card.fileHashes)).not.toContain('onnx/decoder_model_merged.onnx');
    if (gpu.device.features.has('shader-f16')) {
      expect(card.onnx).toMatchObject({ provider: 'webgpu', notice: null });
    } else {
      expect(card.onnx?.provider).toBe('wasm');
      expect(card.onnx?.notice).toContain("'shader-f16' feature, which this one lacks");
      expect(card.onnx?.notice).toContain('it runs on the CPU (wasm provider) instead');
    }
  });
});
