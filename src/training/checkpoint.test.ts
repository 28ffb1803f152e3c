// Checkpoints read back through the real loader with identical tensors, tokenizer and config;
// broken weights are refused by name.
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../model/config';
import { folderAsFiles } from '../model/loading/fixtures/tinyModels';
import { loadModelFolder } from '../model/loading/loadModelFolder';
import { localFilesSource } from '../model/loading/localFiles';
import { TextTokenizer } from '../model/tokenizer';
import { CheckpointError, checkpointFiles, checkpointFolderName } from './checkpoint';
import { builtinCorpus } from './corpus';
import { characterTokenizerFiles } from './corpus-tokenizer';
import { initialWeights } from './init';
import { sizePreset } from './presets';
import { DEFAULT_TRAINING_SETTINGS } from './settings';
import { readZip, writeZip } from './zip';

function nanoCheckpoint(presetId = 'nano') {
  const corpus = builtinCorpus();
  const tokenizer = characterTokenizerFiles(corpus.text, 32);
  const configJson = sizePreset(presetId).configJson(tokenizer.vocabSize, 32);
  const config = parseModelConfig(configJson);
  const weights = initialWeights(config, 3);
  const input = {
    name: 'nano-step-3',
    configJson,
    weights,
    tokenizerJson: tokenizer.tokenizerJson,
    tokenizerConfig: tokenizer.tokenizerConfig,
    training: {
      startedFrom: 'new nano model (seed 3)',
      corpusName: corpus.name,
      corpusTokens: corpus.text.length,
      tokenizer: 'character level, built from the corpus',
      settings: DEFAULT_TRAINING_SETTINGS,
      stepsDone: 3,
      lastLoss: 3.21,
      endedBecause: 'stopped by the user',
      savedAt: '2025-01-01T00:00:00.000Z',
    },
  };
  return { input, config, weights, corpus };
}

describe('checkpointFiles', () => {
  it.each(['nano', 'micro'])(
    '%s: loadModelFolder reads back identical tensors, config and tokenizer',
    async (id) => {
      const { input, config, weights, corpus } = nanoCheckpoint(id);
      const files = checkpointFiles(input);
      expect(Object.keys(files).sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']); // prettier-ignore
      // Through a zip and back, as the browser saves and reloads it.
      const unzipped = await readZip(writeZip(files, 'nano-step-3'));
      const folder = Object.fromEntries(
        [...unzipped].map(([path, bytes]) => [path.split('/').pop()!, new Uint8Array(bytes)]),
      );
      const loaded = await loadModelFolder(localFilesSource(folderAsFiles(folder, 'nano-step-3')));
      expect(loaded.config).toEqual(config);
      expect(loaded.weightDtypes).toEqual(['F32']);
      expect(loaded.warnings).toEqual([]);
      expect([...loaded.tensors.keys()].sort()).toEqual([...weights.keys()].sort());
      for (const [name, values] of weights) expect(loaded.tensors.get(name)!.toFloat32()).toEqual(values);
      const tokenizer = TextTokenizer.fromJson(loaded.tokenizerJson, loaded.tokenizerConfig);
      expect(tokenizer.decode(tokenizer.encode(corpus.text))).toBe(corpus.text);
    },
  );

  it('writes a model card with the training facts', () => {
    const readme = new TextDecoder().decode(checkpointFiles(nanoCheckpoint().input)['README.md']);
    expect(readme).toMatch(/^---\nlibrary_name: transformers\n/);
    expect(readme).toContain('# nano-step-3');
    expect(readme).toContain('| corpus | Fables (built-in),');
    expect(readme).toContain('| steps | 3 of 300 |');
    expect(readme).toContain('| last loss | 3.2100 (mean cross-entropy, nats per token) |');
    expect(readme).toContain('| ended | stopped by the user |');
  });

  it('refuses missing, misshapen, extra and non-finite tensors by name', () => {
    const { input, weights } = nanoCheckpoint();
    const without = new Map(weights);
    without.delete('ln_f.bias');
    expect(() => checkpointFiles({ ...input, weights: without })).toThrow(
      'the weights have no tensor ln_f.bias',
    );
    const short = new Map(weights).set('ln_f.bias', new Float32Array(3));
    expect(() => checkpointFiles({ ...input, weights: short })).toThrow(
      'ln_f.bias has 3 values but its shape [64] needs 64',
    );
    const extra = new Map(weights).set('lm_head.weight', new Float32Array(4));
    expect(() => checkpointFiles({ ...input, weights: extra })).toThrow(
      'lm_head.weight is not part of this architecture',
    );
    const nan = new Map(weights).set('h.1.mlp.c_fc.bias', new Float32Array(256).fill(Number.NaN));
    expect(() => checkpointFiles({ ...input, weights: nan })).toThrow(CheckpointError);
    expect(() => checkpointFiles({ ...input, weights: nan })).toThrow('h.1.mlp.c_fc.bias[0] is NaN');
  });

  it('folder names are file-system safe', () => {
    expect(checkpointFolderName('nano · GPT-2 step 300')).toBe('nano-gpt-2-step-300');
    expect(checkpointFolderName('///')).toBe('checkpoint');
  });
});
