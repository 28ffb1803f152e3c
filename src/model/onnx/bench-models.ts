// The models of the ONNX bench (./bench.ts), each loaded twice on the same f32 weights: as the
// WGSL engine (weightDtype f32, so both sides hold the same numbers) and as an OrtLanguageModel
// through the real ONNX loader.
// - The Shapes expert: public/models/shapes-expert (safetensors) and its committed export
//   public/fixtures/onnx/shapes-expert (scripts/export-onnx.mjs), both from the bench page's server.
// - Random-init Llama-family models (randomWeights), exported in the page with the TypeScript
//   exporter (./export/llama.ts) and served from memory with the Hub's layout. Llama- and not
//   GPT-2-shaped because the exporter writes the Llama family only; the engine runs both.
import type { Gpu } from '../../gpu/runtime';
import { parseModelConfig, type ModelConfig } from '../config';
import { WgslModel } from '../engine/model';
import { tinyTokenizerJson } from '../loading/fixtures/tinyModels';
import { loadModelFolder } from '../loading/loadModelFolder';
import { urlSource } from '../loading/sources';
import { randomWeights, tinyLlamaConfigJson } from '../reference/tiny';
import { DECODER_FILE } from './export/folder';
import { exportLlamaDecoder } from './export/llama';
import { loadOrtModel, type OrtLanguageModel } from './model';
import type { Provider } from './session';
import { memorySource, type MemoryFolder } from './testing';

export interface BenchPair {
  config: ModelConfig;
  /** Null when the case needs only the ONNX side. */
  wgsl: WgslModel | null;
  onnx: OrtLanguageModel;
  dispose(): void;
}

export interface BenchModel {
  /** Row text: "shapes-expert (llama 3L d=64 4h/2kv V=62)". */
  text: string;
  load(gpu: Gpu, provider: Provider, withWgsl: boolean): Promise<BenchPair>;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function describeConfig(config: ModelConfig): string {
  const heads = `${config.numHeads}h/${config.numKeyValueHeads}kv`;
  return `${config.numLayers}L d=${config.hiddenSize} ${heads} I=${config.intermediateSize} V=${config.vocabSize}`;
}

/** `make` runs with a cleanup list; whatever it created is released when it throws. */
async function guarded<T>(make: (owned: { dispose(): void }[]) => Promise<T>): Promise<T> {
  const owned: { dispose(): void }[] = [];
  try {
    return await make(owned);
  } catch (error) {
    for (const model of owned) model.dispose();
    throw error;
  }
}

export const shapesExpert: BenchModel = {
  text: 'shapes-expert (llama 3L d=64 4h/2kv I=176 V=62)',
  load: (gpu, provider, withWgsl) =>
    guarded(async (owned) => {
      const base = `${location.origin}`;
      const source = urlSource(`${base}/fixtures/onnx/shapes-expert/`, { cache: null });
      const { model: onnx } = await loadOrtModel(gpu, source, { provider });
      owned.push(onnx);
      let wgsl: WgslModel | null = null;
      if (withWgsl) {
        const folder = await loadModelFolder(urlSource(`${base}/models/shapes-expert/`, { cache: null }));
        wgsl = await WgslModel.create(
          gpu,
          folder.config,
          { get: (name) => folder.tensors.get(name)!.toFloat32() },
          { name: 'shapes-expert', fileHashes: folder.fileHashes, weightDtype: 'f32' },
        );
      }
      const config = onnx.info.config;
      return { config, wgsl, onnx, dispose: () => (wgsl?.dispose(), onnx.dispose()) };
    }),
};

/** A random-init Llama-family model; config.json overrides on top of tinyLlamaConfigJson. */
export function randomLlama(label: string, overrides: Record<string, unknown>, seed = 7): BenchModel {
  const configJson = tinyLlamaConfigJson({ tie_word_embeddings: true, ...overrides });
  const config = parseModelConfig(configJson);
  return {
    text: `${label} (llama ${describeConfig(config)})`,
    load: (gpu, provider, withWgsl) =>
      guarded(async (owned) => {
        const weights = randomWeights(config, seed);
        const source = {
          get(name: string): Float32Array {
            const tensor = weights.get(name);
            if (!tensor) throw new Error(`onnx bench: random weights lack ${name}`);
            return tensor;
          },
        };
        const folder: MemoryFolder = {
          'config.json': json(configJson),
          'tokenizer.json': json(tinyTokenizerJson()),
          [DECODER_FILE]: exportLlamaDecoder(config, source, label) as Uint8Array<ArrayBuffer>,
        };
        const { model: onnx } = await loadOrtModel(gpu, memorySource(folder), { provider });
        owned.push(onnx);
        const wgsl = withWgsl
          ? await WgslModel.create(gpu, config, source, { name: label, weightDtype: 'f32' })
          : null;
        return { config, wgsl, onnx, dispose: () => (wgsl?.dispose(), onnx.dispose()) };
      }),
  };
}
