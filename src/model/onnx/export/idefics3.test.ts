// The Idefics3 export of a tiny random vision-language model, loaded back through the real
// Idefics3 loader (local files) and run by onnxruntime-web's wasm provider in Node the way the
// ONNX backend runs it (preprocessing, vision_encoder, embed_tokens, image rows over the
// placeholders, decoder on inputs_embeds), against the CPU reference forward
// (src/model/reference/forward.ts): a prefill with an image and cached decode steps.
import * as ort from 'onnxruntime-web';
import { expectedTensors } from '../../architectures/tensors';
import { describe, expect, test } from 'vitest';
import { folderAsFiles, tinyTokenizerJson } from '../../loading/fixtures/tinyModels';
import { localFilesSource } from '../../loading/localFiles';
import { writeSafetensors } from '../../loading/safetensorsWriter';
import { ReferenceModel } from '../../reference/forward';
import { tinyImage, tinyModel, tinyVlmConfigJson } from '../../reference/tiny';
import { loadIdefics3Folder } from '../idefics3-folder';
import { preprocessIdefics3Image } from '../preprocess-idefics3';
import { exportIdefics3Folder } from './idefics3';

ort.env.wasm.numThreads = 1;
const TIMEOUT = 60_000;
// f32 graphs against the f64 reference through the image encoder and two layers.
const ATOL = 2e-5;

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function tinyVlmFolder(seed: number) {
  const model = tinyModel(tinyVlmConfigJson(), seed);
  const tensors = Object.fromEntries(
    expectedTensors(model.config).map(({ name, shape }) => [
      name,
      { dtype: 'F32' as const, shape, data: model.weights.get(name)! },
    ]),
  );
  const files = {
    'config.json': encode(model.configJson),
    'tokenizer.json': encode(tinyTokenizerJson()),
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
  };
  return { model, files };
}

describe('the Idefics3 export of a tiny VLM (wasm, Node) vs the reference', () => {
  const { model, files } = tinyVlmFolder(9);
  const { config, weights } = model;
  const vision = config.vision!;
  const exported = exportIdefics3Folder(files, 'tiny-vlm');

  test('writes the Idefics3 layout, and the loader reads back the same image interface', async () => {
    expect(Object.keys(exported).sort()).toEqual([
      'config.json',
      'onnx/decoder_model_merged.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/vision_encoder.onnx',
      'preprocessor_config.json',
      'processor_config.json',
      'tokenizer.json',
    ]);
    const folder = await loadIdefics3Folder(
      localFilesSource(folderAsFiles(exported as Record<string, Uint8Array<ArrayBuffer>>, 'tiny-vlm-ONNX')),
    );
    expect(folder.config.vision).toEqual(vision);
    expect(folder.config).toMatchObject({ numLayers: 2, hiddenSize: 32, vocabSize: 67 });
    expect(folder.imageSeqLen).toBe(vision.numPatches);
    expect(folder.geometry).toEqual({ resized: { height: 16, width: 16 }, rows: 0, cols: 0, frames: 1 });
    // The preprocessing is the identity on our images (up to the byte-scale round trip).
    const image = tinyImage(vision, 3);
    const { pixelValues } = preprocessIdefics3Image(
      image,
      { height: 16, width: 16 },
      3,
      folder.preprocessing,
    );
    let worst = 0;
    for (let p = 0; p < 256; p++) {
      for (let c = 0; c < 3; c++)
        worst = Math.max(worst, Math.abs(pixelValues[c * 256 + p] - image[p * 3 + c]));
    }
    expect(worst).toBeLessThan(1e-7);
  });

  test(
    'prefill with an image, then cached decode steps',
    async () => {
      const options = { executionProviders: ['wasm'] };
      const encoder = await ort.InferenceSession.create(exported['onnx/vision_encoder.onnx'], options);
      const embed = await ort.InferenceSession.create(exported['onnx/embed_tokens.onnx'], options);
      const decoder = await ort.InferenceSession.create(exported['onnx/decoder_model_merged.onnx'], options);
      expect(encoder.inputNames).toEqual(['pixel_values', 'pixel_attention_mask']);
      expect(encoder.outputNames).toEqual(['image_features']);
      expect(embed.inputNames).toEqual(['input_ids']);
      expect(embed.outputNames).toEqual(['inputs_embeds']);
      expect(decoder.inputNames.slice(0, 3)).toEqual(['inputs_embeds', 'attention_mask', 'position_ids']);

      const image = tinyImage(vision, 4);
      const { pixelValues } = preprocessIdefics3Image(image, { height: 16, width: 16 }, 3, {
        doResize: false,
        size: {},
        doRescale: true,
        rescaleFactor: 1 / 255,
        doNormalize: false,
        imageMean: [0, 0, 0],
        imageStd: [1, 1, 1],
        doImageSplitting: false,
        maxImageSize: 16,
      });
      const features = (
        await encoder.run({
          pixel_values: new ort.Tensor('float32', pixelValues, [1, 1, 3, 16, 16]),
          pixel_attention_mask: new ort.Tensor('bool', new Uint8Array(256).fill(1), [1, 1, 16, 16]),
        })
      ).image_features;
      expect(features.dims).toEqual([1, vision.numPatches, 32]);

      const reference = new ReferenceModel(config, weights);
      const seq = reference.createSequence();
      const placeholders = Array<number>(vision.numPatches).fill(vision.imageTokenId);
      const prompt = [1, 5, ...placeholders, 12, 3, 7];
      const d = config.hiddenSize;
      const int64 = (values: number[]) =>
        new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
      const embeds = (await embed.run({ input_ids: int64(prompt) })).inputs_embeds.data as Float32Array;
      prompt.forEach((token, t) => {
        const k = prompt.slice(0, t).filter((x) => x === vision.imageTokenId).length;
        if (token === vision.imageTokenId)
          embeds.set((features.data as Float32Array).subarray(k * d, (k + 1) * d), t * d);
      });
      const kv = config.numKeyValueHeads;
      const hd = config.headDim;
      let past: { key: ort.Tensor; value: ort.Tensor }[] = Array.from({ length: config.numLayers }, () => ({
        key: new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, hd]),
        value: new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, hd]),
      }));
      const step = async (rows: Float32Array, start: number, count: number) => {
        const feeds: Record<string, ort.Tensor> = {
          inputs_embeds: new ort.Tensor('float32', rows, [1, count, d]),
          attention_mask: int64(Array(start + count).fill(1)),
          position_ids: int64(Array.from({ length: count }, (_, t) => start + t)),
        };
        past.forEach(({ key, value }, i) => {
          feeds[`past_key_values.${i}.key`] = key;
          feeds[`past_key_values.${i}.value`] = value;
        });
        const out = await decoder.run(feeds);
        past = past.map((_, i) => ({ key: out[`present.${i}.key`], value: out[`present.${i}.value`] }));
        return out.logits.data as Float32Array;
      };
      const V = config.vocabSize;
      const worstRow = (got: Float32Array, row: number, want: ArrayLike<number>) => {
        let worst = 0;
        for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(got[row * V + i] - want[i]));
        return worst;
      };
      const logits = await step(embeds, 0, prompt.length);
      reference
        .forward({ sequences: [{ sequence: seq, tokens: prompt, image }], logits: 'all' })
        .logits.forEach((row, r) => expect(worstRow(logits, r, row), `prefill row ${r}`).toBeLessThan(ATOL));
      for (let s = 0; s < 4; s++) {
        const token = (s * 13 + 4) % (V - 1);
        const row = (await embed.run({ input_ids: int64([token]) })).inputs_embeds.data as Float32Array;
        const got = await step(row, prompt.length + s, 1);
        const want = reference.forward({ sequences: [{ sequence: seq, tokens: [token] }] }).logits[0];
        expect(worstRow(got, 0, want), `step ${s}`).toBeLessThan(ATOL);
      }
    },
    TIMEOUT,
  );
});
