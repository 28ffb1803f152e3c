// Preparing a run: the loaded model's folder is read again (config.json as written, tensors,
// tokenizer), the context is capped by the model, and a model too large to train is refused.
import { describe, expect, it } from 'vitest';
import { folderAsFiles, tinyConfig, tinyModelFolder } from '../model/loading/fixtures/tinyModels';
import { localFilesSource } from '../model/loading/localFiles';
import { DEFAULT_TRAINING_SETTINGS } from '../training/settings';
import { prepareRun } from './trainSetup';
import type { StartTrainingParams } from './trainTypes';

const settings = { ...DEFAULT_TRAINING_SETTINGS, contextLength: 4, batchSize: 2 };
const corpus = { kind: 'text' as const, name: 'cats.txt', text: 'the cat sat\r\nthe cat sat on a mat' };
const params: StartTrainingParams = { model: { kind: 'loaded' }, corpus, settings };
const loaded = () => ({ source: localFilesSource(folderAsFiles(tinyModelFolder('gpt2'), 'tiny-gpt2')), name: 'local folder tiny-gpt2' }); // prettier-ignore

describe('prepareRun', () => {
  it('a loaded model: its own config.json, tensors and tokenizer', async () => {
    const run = await prepareRun(params, loaded(), 2 ** 30);
    expect(run.configJson).toEqual(tinyConfig('gpt2'));
    expect(run.modelName).toBe('local folder tiny-gpt2');
    expect(run.baseName).toBe('tiny-gpt2');
    expect(run.tensors.get('wte.weight').length).toBe(run.config.vocabSize * run.config.hiddenSize);
    expect(run.tokenizer).toBe("the model's own (WordLevel, 32 ids)");
    // Whitespace pre-tokenizer, word-level vocabulary: the, cat, sat are words; "a" is a letter; "on", "mat" are <unk>.
    expect([...run.tokens]).toEqual([29, 30, 31, 29, 30, 31, 0, 3, 0]);
    expect(run.generationConfig).toEqual({ bos_token_id: 1, eos_token_id: 2 });
  });

  it('caps the context length at the model’s positions and refuses a model over the budget', async () => {
    await expect(prepareRun({ ...params, settings: { ...settings, contextLength: 64 } }, loaded(), 2 ** 30)).rejects.toThrow(
      'context length must be an integer in 2..32, got 64',
    ); // prettier-ignore
    await expect(prepareRun(params, loaded(), 1000)).rejects.toThrow(
      /^local folder tiny-gpt2 has [\d,]+ parameters: training needs about 0\.0 GiB .* over the 0\.0 GiB budget/,
    );
  });

  it('a new model: character tokenizer from the corpus, config for its vocabulary and context', async () => {
    const run = await prepareRun({ ...params, model: { kind: 'preset', preset: 'micro' } }, null, 2 ** 30);
    expect(run.config.architecture).toBe('llama');
    expect(run.config.vocabSize).toBe(new Set('the cat sat\nthe cat sat on a mat').size + 1);
    expect(run.config.maxPositions).toBe(4);
    expect(run.tokens.length).toBe('the cat sat\nthe cat sat on a mat'.length);
    expect(run.modelName).toBe('micro · Llama, new (seed 1)');
  });
});
