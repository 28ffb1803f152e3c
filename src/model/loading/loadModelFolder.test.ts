// The folder loader on tiny models from local Files (the same code path as downloads): every
// architecture and dtype, hashes and progress, and each bad input with the message users read.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { loadModelFolder, type LoadModelOptions } from './loadModelFolder';
import { localFilesSource } from './localFiles';
import type { ModelSource } from './sources';
import type { FileProgress } from './download';
import { ModelLoadError } from './errors';
import { writeSafetensors } from './safetensorsWriter';
import {
  folderAsFiles,
  tinyModelFolder,
  tinyTensors,
  tinyConfig,
  type ModelFolder,
} from './fixtures/tinyModels';
import { expectedTensors } from '../architectures/tensors';
import { ModelConfigError } from '../config';

/** A local source that records which files were opened. */
function tracked(folder: ModelFolder): { source: ModelSource; opened: string[] } {
  const inner = localFilesSource(folderAsFiles(folder));
  const opened: string[] = [];
  const source: ModelSource = {
    kind: inner.kind,
    describe: () => inner.describe(),
    locate: (file) => inner.locate(file),
    list: () => inner.list(),
    open: (file, options) => {
      opened.push(file);
      return inner.open(file, options);
    },
  };
  return { source, opened };
}

async function loadError(folder: ModelFolder, options: LoadModelOptions = {}): Promise<Error> {
  const error = await loadModelFolder(tracked(folder).source, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as Uint8Array<ArrayBuffer>;

describe('loadModelFolder: tiny models', () => {
  test.each([
    ['gpt2', 'F32'],
    ['llama', 'BF16'],
    ['qwen2', 'F16'],
  ] as const)(
    '%s in %s loads every expected tensor, hashes every file, reports progress',
    async (arch, dtype) => {
      const folder = tinyModelFolder(arch, { dtype, seed: 7 });
      const progress: FileProgress[] = [];
      const model = await loadModelFolder(localFilesSource(folderAsFiles(folder)), {
        onProgress: (p) => progress.push(p),
      });
      expect(model.name).toBe('local folder tiny-model');
      expect(model.config.modelType).toBe(arch);
      expect([...model.tensors.keys()].sort()).toEqual(
        expectedTensors(model.config)
          .map((s) => s.name)
          .sort(),
      );
      expect(model.weightDtypes).toEqual([dtype]);
      const expected = tinyTensors(tinyConfig(arch), { dtype, seed: 7 });
      const name = arch === 'gpt2' ? 'h.1.mlp.c_fc.weight' : 'model.layers.1.mlp.up_proj.weight';
      const loaded = model.tensors.get(name)!;
      expect(loaded.shape).toEqual(expected[name].shape);
      const values = expected[name].data as Float32Array;
      const tolerance = dtype === 'F32' ? 0 : dtype === 'F16' ? 1e-3 : 1e-2;
      loaded.toFloat32().forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThanOrEqual(tolerance));
      for (const [file, bytes] of Object.entries(folder)) {
        expect(model.fileHashes[file]).toBe(createHash('sha256').update(bytes).digest('hex'));
      }
      expect(model.totalBytes).toBe(Object.values(folder).reduce((s, b) => s + b.length, 0));
      expect((model.tokenizerJson as { model: { type: string } }).model.type).toBe('WordLevel');
      expect(model.tokenizerConfig).toMatchObject({ eos_token: '</s>' });
      expect(model.generationConfig).toEqual({ bos_token_id: 1, eos_token_id: 2 });
      expect(model.warnings).toEqual([]);
      const last = progress.filter((p) => p.file === 'model.safetensors').pop()!;
      expect(last).toEqual({ file: 'model.safetensors', loadedBytes: folder['model.safetensors'].length,
      totalBytes: folder['model.safetensors'].length, percent: 100, from: 'local' }); // prettier-ignore
      expect(progress[0].file).toBe('config.json'); // config first
    },
  );

  test('GPT-2 with the "transformer." prefix and stored attention masks; extras become warnings', async () => {
    const folder = tinyModelFolder('gpt2', { transformerPrefix: true, attentionMasks: true });
    const model = await loadModelFolder(localFilesSource(folderAsFiles(folder)));
    expect(model.tensors.get('wte.weight')!.name).toBe('transformer.wte.weight');
    expect(model.tensors.has('h.0.attn.bias')).toBe(false);
    expect(model.warnings).toEqual([]);
    const tensors = {
      ...tinyTensors(tinyConfig('gpt2')),
      'score.weight': { dtype: 'F32' as const, shape: [2], data: new Float32Array(2) },
    };
    const withExtra = { ...folder, 'model.safetensors': writeSafetensors(tensors) };
    const warnings: string[] = [];
    const loaded = await loadModelFolder(localFilesSource(folderAsFiles(withExtra)), {
      onWarning: (w) => warnings.push(w),
    });
    expect(loaded.warnings).toEqual(['ignored 1 tensor that gpt2 does not use: score.weight']);
    expect(warnings).toEqual(loaded.warnings);
  });

  test('optional files may be absent', async () => {
    const model = await loadModelFolder(
      localFilesSource(folderAsFiles(tinyModelFolder('llama', { withoutOptionalFiles: true }))),
    );
    expect(model.tokenizerConfig).toBeNull();
    expect(model.generationConfig).toBeNull();
    expect(Object.keys(model.fileHashes).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
    ]);
  });
});

describe('loadModelFolder: bad input', () => {
  const gpt2 = () => tinyModelFolder('gpt2');

  test('missing config.json, tokenizer.json or checkpoint', async () => {
    const { 'config.json': _, ...noConfig } = gpt2();
    expect((await loadError(noConfig)).message).toMatch(
      /^config\.json is not among the chosen files \(.*\): choose the model folder that holds config\.json$/,
    );
    const { 'tokenizer.json': __, ...noTokenizer } = gpt2();
    expect((await loadError(noTokenizer)).message).toContain('tokenizer.json is not among the chosen files');
    const { 'model.safetensors': ___, ...noWeights } = gpt2();
    expect((await loadError(noWeights)).message).toBe(
      'local folder tiny-model has neither model.safetensors nor model.safetensors.index.json (it holds config.json, ' +
        'generation_config.json, tokenizer.json, tokenizer_config.json): LogitLab loads safetensors checkpoints ' +
        '(convert pytorch_model.bin with the safetensors converter)',
    );
  });

  test('config.json: not JSON, unsupported architecture', async () => {
    const error = await loadError({
      ...gpt2(),
      'config.json': new TextEncoder().encode('{"model_type": gpt2'),
    });
    expect(error.message).toMatch(
      /^config\.json is not valid JSON \(.+\): the file is corrupt or not config\.json$/,
    );
    const bert = await loadError({ ...gpt2(), 'config.json': json({ model_type: 'bert', hidden_size: 8 }) });
    expect(bert).toBeInstanceOf(ModelConfigError);
    expect(bert.message).toContain('config.json: model_type "bert" is not supported');
  });

  test('malformed tokenizer files name the file', async () => {
    const notJson = await loadError({ ...gpt2(), 'tokenizer.json': new TextEncoder().encode('<html>') });
    expect(notJson.message).toMatch(
      /^tokenizer\.json is not valid JSON \(.+\): the file is corrupt or not tokenizer\.json$/,
    );
    expect((await loadError({ ...gpt2(), 'tokenizer.json': json({ vocab: {} }) })).message).toBe(
      'tokenizer.json has no "model" object: LogitLab needs the tokenizer.json of the Hugging Face tokenizers library from the same repo',
    );
    expect((await loadError({ ...gpt2(), 'tokenizer_config.json': json([1]) })).message).toBe(
      'tokenizer_config.json is not a JSON object: remove it or take it from the same repo',
    );
  });

  test('shapes that contradict config.json are found from the header, before the weights are read', async () => {
    const folder = { ...gpt2(), 'config.json': json({ ...tinyConfig('gpt2'), n_inner: 40 }) };
    const error = await loadError(folder);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.message).toContain(
      'model.safetensors: h.0.mlp.c_fc.weight has shape [16, 64] but config.json (n_embd 16, n_inner 40) implies [16, 40]',
    );
    const layers = await loadError({ ...gpt2(), 'config.json': json({ ...tinyConfig('gpt2'), n_layer: 3 }) });
    expect(layers.message).toContain('model.safetensors lacks 12 tensors h.2.ln_1.weight, h.2.ln_1.bias');
  });

  test('a truncated checkpoint and a header that declares more than the file has', async () => {
    const folder = gpt2();
    const cut = folder['model.safetensors'].slice(0, folder['model.safetensors'].length - 100);
    const error = await loadError({ ...folder, 'model.safetensors': cut });
    expect(error.message).toMatch(
      /^model\.safetensors: header declares [\d.]+ kB but the file is [\d.]+ kB \(tensor .+ ends at byte \d+\): the file is truncated or not safetensors$/,
    );
    const header = await loadError({
      ...folder,
      'model.safetensors': folder['model.safetensors'].slice(0, 20),
    });
    expect(header.message).toMatch(
      /^model\.safetensors: the header length field says .+ but the file is 20 bytes/,
    );
  });

  test('a weight stored as I32', async () => {
    const tensors = tinyTensors(tinyConfig('gpt2'));
    const bytes = writeSafetensors(tensors);
    // Rewrite one dtype in the header text: F32 → I32 keeps every size valid.
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const text = new TextDecoder().decode(bytes.subarray(8, headerEnd));
    bytes.set(
      new TextEncoder().encode(text.replace('"ln_f.bias":{"dtype":"F32"', '"ln_f.bias":{"dtype":"I32"')),
      8,
    );
    expect((await loadError({ ...gpt2(), 'model.safetensors': bytes })).message).toBe(
      'model.safetensors: tensor ln_f.bias has dtype I32; LogitLab loads F32, F16 and BF16. Convert the checkpoint to F32, F16 or BF16.',
    );
  });

  test('a model that cannot fit is refused after config.json, before anything else is read', async () => {
    const { source, opened } = tracked(gpt2());
    const error = await loadModelFolder(source, {
      fit: { maxBufferSize: 1 << 30, memoryBudgetBytes: 1000 },
    }).catch((e: unknown) => e);
    expect((error as ModelLoadError).kind).toBe('too-large');
    expect((error as Error).message).toMatch(
      /^local folder tiny-model needs about \d+ kB of GPU memory in f32 .* but the budget is 1\.0 kB/,
    );
    expect(opened).toEqual(['config.json']);
  });

  test('cancellation rejects with the AbortSignal reason', async () => {
    const controller = new AbortController();
    const pending = loadModelFolder(localFilesSource(folderAsFiles(gpt2())), {
      signal: controller.signal,
      onProgress: (p) =>
        p.file === 'tokenizer.json' && controller.abort(new DOMException('stop', 'AbortError')),
    });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'stop' });
  });
});
