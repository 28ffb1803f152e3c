// The committed ONNX fixtures (public/fixtures/onnx/, written by scripts/export-onnx.mjs) are what
// the exporter makes of the committed models today: same graph bytes, same JSON content. If this
// fails after a model or exporter change, run `node scripts/export-onnx.mjs`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DECODER_FILE, exportOnnxFolder } from './folder';

const ROOT = process.cwd();
const read = (...parts: string[]) => new Uint8Array(readFileSync(join(ROOT, ...parts)));

describe.each(['shapes-expert', 'shapes-draft'])('ONNX fixture %s', (name) => {
  test('equals a fresh export of public/models', () => {
    const source = Object.fromEntries(
      [
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'model.safetensors',
      ].map((f) => [f, read('public', 'models', name, f)]),
    );
    const exported = exportOnnxFolder(source, name);
    expect(Object.keys(exported).sort()).toEqual(
      [
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        DECODER_FILE,
      ].sort(),
    );
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
