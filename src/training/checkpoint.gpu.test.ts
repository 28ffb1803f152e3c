// A trained model survives the checkpoint: the WGSL trainer trains a new nano model on the built-in
// corpus for a few steps, its exported weights go through checkpointFiles → zip → loadModelFolder,
// and a WgslModel built from the reloaded folder generates exactly the same greedy tokens as one
// built from trainer.exportWeights() directly.
import { afterAll, describe, expect, test } from 'vitest';
import { generate, pipelineChooser } from '../decoding/generate';
import { LogitPipeline } from '../kernels/logits/fused';
import { parseModelConfig } from '../model/config';
import { WgslModel } from '../model/engine/model';
import { folderAsFiles } from '../model/loading/fixtures/tinyModels';
import { loadModelFolder } from '../model/loading/loadModelFolder';
import { localFilesSource } from '../model/loading/localFiles';
import { TextTokenizer } from '../model/tokenizer';
import { testGpu } from '../testing/gpu';
import { checkpointFiles } from './checkpoint';
import { BatchSampler, builtinCorpus, tokenizeCorpus } from './corpus';
import { characterTokenizerFiles } from './corpus-tokenizer';
import { initialWeights } from './init';
import { crossEntropyObjective } from './objective';
import { sizePreset } from './presets';
import { DEFAULT_TRAINING_SETTINGS, optimizerOf, scheduleOf } from './settings';
import { Trainer } from './trainer';
import { readZip, writeZip } from './zip';

const settings = { ...DEFAULT_TRAINING_SETTINGS, learningRate: 1e-2, warmupSteps: 0, totalSteps: 6, batchSize: 4, contextLength: 32 }; // prettier-ignore
const GREEDY = { greedy: true, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 0 };
const disposers: (() => void)[] = [];

afterAll(() => disposers.forEach((dispose) => dispose()));

async function greedyTokens(model: WgslModel, tokenizer: TextTokenizer, prompt: string): Promise<number[]> {
  const gpu = await testGpu();
  const pipeline = await LogitPipeline.create(gpu, { rows: 1, vocab: model.info.config.vocabSize }, 1);
  try {
    const result = await generate({
      model,
      tokenizer,
      choose: pipelineChooser(pipeline, GREEDY),
      prompt,
      maxTokens: 20,
    });
    return result.tokens.map((t) => t.id);
  } finally {
    pipeline.destroy();
  }
}

describe('checkpoint round trip on the GPU', () => {
  test.each(['nano', 'micro'])(
    '%s: trained → checkpoint → reloaded generates identically',
    async (presetId) => {
      const gpu = await testGpu();
      const corpus = builtinCorpus();
      const files = characterTokenizerFiles(corpus.text, settings.contextLength);
      const configJson = sizePreset(presetId).configJson(files.vocabSize, settings.contextLength);
      const config = parseModelConfig(configJson);
      const initial = initialWeights(config, settings.seed);
      const trainer = await Trainer.create(
        gpu,
        config,
        { get: (name) => initial.get(name)! },
        {
          name: `${presetId}-checkpoint-test`,
          optimizer: optimizerOf(settings),
          schedule: scheduleOf(settings),
        },
      );
      disposers.push(() => trainer.dispose());
      const tokenizer = TextTokenizer.fromJson(files.tokenizerJson, files.tokenizerConfig);
      const sampler = new BatchSampler(
        corpus.name,
        tokenizeCorpus(corpus, tokenizer, config.vocabSize),
        settings,
      );
      const losses: number[] = [];
      for (let step = 0; step < settings.totalSteps; step++)
        losses.push((await trainer.trainStep(sampler.step(step, 1), crossEntropyObjective())).loss);
      expect(losses.at(-1)!).toBeLessThan(losses[0]);

      const exported = await trainer.exportWeights();
      const folder = checkpointFiles({ name: 'trained', configJson, weights: exported, tokenizerJson: files.tokenizerJson, tokenizerConfig: files.tokenizerConfig }); // prettier-ignore
      const unzipped = await readZip(writeZip(folder, 'trained'));
      const reloadedFiles = Object.fromEntries(
        [...unzipped].map(([p, b]) => [p.split('/').pop()!, new Uint8Array(b)]),
      );
      const loaded = await loadModelFolder(localFilesSource(folderAsFiles(reloadedFiles, 'trained')));
      for (const [name, values] of exported) expect(loaded.tensors.get(name)!.toFloat32()).toEqual(values);

      const direct = await WgslModel.create(gpu, config, { get: (name) => exported.get(name)! }, { name: 'direct', weightDtype: 'f32' }); // prettier-ignore
      disposers.push(() => direct.dispose());
      const reloaded = await WgslModel.create(gpu, loaded.config, { get: (name) => loaded.tensors.get(name)!.toFloat32() }, { name: 'reloaded', weightDtype: 'f32' }); // prettier-ignore
      disposers.push(() => reloaded.dispose());
      const reloadedTokenizer = TextTokenizer.fromJson(loaded.tokenizerJson, loaded.tokenizerConfig);
      const prompt = 'The fox ';
      const a = await greedyTokens(direct, tokenizer, prompt);
      const b = await greedyTokens(reloaded, reloadedTokenizer, prompt);
      expect(a).toHaveLength(20);
      expect(b).toEqual(a);
    },
  );
});
