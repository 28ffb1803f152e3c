// The committed ONNX fixtures (public/fixtures/onnx/, written by scripts/export-onnx.mjs) are what
// the exporter makes of the committed models today: same graph bytes, same JSON content. If this
// fails after a model or exporter change, run `node scripts/export-onnx.mjs`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DECODER_FILE, exportOnnxFolder, type FolderFiles } from './folder';
import { exportIdefics3Folder } from './idefics3';

const ROOT = process.cwd();
const read = (...parts: string[]) => new Uint8Array(readFileSync(join(ROOT, ...parts)));
const SOURCE_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'model.safetensors',
];
const COPIED = ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

const CASES: [string, (files: FolderFiles, name: string) => FolderFiles, string[]][] = [
  ['shapes-expert', exportOnnxFolder, ['config.json', ...COPIED, DECODER_FILE]],
  ['shapes-draft', exportOnnxFolder, ['config.json', ...COPIED, DECODER_FILE]],
  [
    'shapes-vlm',
    exportIdefics3Folder,
    [
      'config.json',
      'preprocessor_config.json',
      'processor_config.json',
      ...COPIED,
      'onnx/vision_encoder.onnx',
      'onnx/embed_tokens.onnx',
      DECODER_FILE,
    ],
  ],
];

describe.each(CASES)('ONNX fixture %s', (name, exportFolder, expectedFiles) => {
  test('equals a fresh export of public/models', () => {
    const source = Object.fromEntries(SOURCE_FILES.map((f) => [f, read('public', 'models', name, f)]));
    const exported = exportFolder(source, name);
    expect(Object.keys(exported).sort()).toEqual([...expectedFiles].sort());
    for (const [file, bytes] of Object.entries(exported)) {
      const committed = read('public', 'fixtures', 'onnx', name, file);
      if (file.endsWith('.json')) {
        expect(JSON.parse(new TextDecoder().decode(committed)), file).toEqual(
          JSON.parse(new TextDecoder().decode(bytes)),
        );
      } else {
        expect(committed.length, `${file}: run node scripts/export-onnx.mjs`).toBe(bytes.length);
        expect(Buffer.compare(committed, bytes), `${file}: run node scripts/export-onnx.mjs`).toBe(0);
      }
    }
  });
});
