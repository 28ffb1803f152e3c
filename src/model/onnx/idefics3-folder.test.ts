// Loading an Idefics3 folder (the committed Shapes VLM export) from local files: what it reads,
// and the refusal of a folder without a vision encoder, naming what it holds and what it needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ModelLoadError } from '../loading/errors';
import { folderAsFiles } from '../loading/fixtures/tinyModels';
import { localFilesSource } from '../loading/localFiles';
import { loadIdefics3Folder } from './idefics3-folder';

const FIXTURE = join(process.cwd(), 'public', 'fixtures', 'onnx', 'shapes-vlm');
const FILES = [
  'config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/vision_encoder.onnx',
  'onnx/embed_tokens.onnx',
  'onnx/decoder_model_merged.onnx',
];
const vlm = Object.fromEntries(FILES.map((f) => [f, new Uint8Array(readFileSync(join(FIXTURE, f)))]));
const source = (files: Record<string, Uint8Array<ArrayBuffer>>) =>
  localFilesSource(folderAsFiles(files, 'shapes-vlm-ONNX'));

async function refusal(promise: Promise<unknown>): Promise<ModelLoadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

describe('loadIdefics3Folder', () => {
  test('reads the three graphs, the configs and the tokenizer, with hashes', async () => {
    const folder = await loadIdefics3Folder(source(vlm));
    expect(folder.config.vision).toEqual({
      imageSize: 48,
      patchSize: 16,
      channels: 3,
      numPatches: 9,
      patchDim: 768,
      imageTokenId: 4,
    });
    expect(folder.config).toMatchObject({ numLayers: 2, hiddenSize: 64, numKeyValueHeads: 2, vocabSize: 62 });
    expect([folder.visionEncoder.file, folder.embedTokens.file, folder.decoderFile]).toEqual([
      'onnx/vision_encoder.onnx',
      'onnx/embed_tokens.onnx',
      'onnx/decoder_model_merged.onnx',
    ]);
    expect(folder.imageSeqLen).toBe(9);
    expect(Object.keys(folder.fileHashes).sort()).toEqual([...FILES].sort());
    expect(folder.totalBytes).toBe(Object.values(vlm).reduce((s, b) => s + b.length, 0));
  });

  test('a folder without vision_encoder is refused with what it holds and what an Idefics3 folder holds', async () => {
    const withoutEncoder = { ...vlm };
    delete withoutEncoder['onnx/vision_encoder.onnx'];
    const error = await refusal(loadIdefics3Folder(source(withoutEncoder)));
    expect(error.kind).toBe('missing-file');
    expect(error.file).toBe('onnx/vision_encoder.onnx');
    expect(error.message).toContain(
      'has no onnx/vision_encoder.onnx (dtype fp32): an Idefics3/SmolVLM folder holds onnx/vision_encoder.onnx, ' +
        'onnx/embed_tokens.onnx, onnx/decoder_model_merged.onnx; its onnx/ folder holds ' +
        '[onnx/decoder_model_merged.onnx, onnx/embed_tokens.onnx]: download the whole repository',
    );
    const quantized = { ...withoutEncoder, 'onnx/vision_encoder_q4.onnx': vlm['onnx/vision_encoder.onnx'] };
    const other = await refusal(loadIdefics3Folder(source(quantized)));
    expect(other.message).toContain('vision_encoder comes as onnx/vision_encoder_q4.onnx, choose that dtype');
  });

  test('a dtype per graph, as transformers.js takes it', async () => {
    const mixed: Record<string, Uint8Array<ArrayBuffer>> = {
      ...vlm,
      'onnx/vision_encoder_fp16.onnx': vlm['onnx/vision_encoder.onnx'],
    };
    delete mixed['onnx/vision_encoder.onnx'];
    const folder = await loadIdefics3Folder(source(mixed), { partDtypes: { vision_encoder: 'fp16' } });
    expect(folder.visionEncoder).toMatchObject({ file: 'onnx/vision_encoder_fp16.onnx', dtype: 'fp16' });
    expect(folder.dtype).toBe('fp32');
  });

  test('a folder without preprocessor_config.json is refused, saying what the file is for', async () => {
    const without = { ...vlm };
    delete without['preprocessor_config.json'];
    const error = await refusal(loadIdefics3Folder(source(without)));
    expect(error.message).toContain(
      'preprocessor_config.json is missing from local folder shapes-vlm-ONNX: an Idefics3 folder describes its image preprocessing there',
    );
  });
});
