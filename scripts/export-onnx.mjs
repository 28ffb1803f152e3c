// `node scripts/export-onnx.mjs`: exports LogitLab's own model folders (public/models/<name>/) to
// the Hub's ONNX layout (config.json, generation_config.json, tokenizer.json,
// tokenizer_config.json, onnx/decoder_model_merged.onnx) with src/model/onnx/export/folder.ts;
// a vision-language model (config.json with vision_config) to the Idefics3 / SmolVLM layout
// (onnx/vision_encoder.onnx, onnx/embed_tokens.onnx, onnx/decoder_model_merged.onnx taking
// inputs_embeds, preprocessor_config.json, processor_config.json) with src/model/onnx/export/idefics3.ts.
// The default run writes the fixtures of the ONNX backend's tests to public/fixtures/onnx/.
//
//   node scripts/export-onnx.mjs                                   shapes-expert, shapes-draft, shapes-vlm
//   node scripts/export-onnx.mjs --models shapes-amateur --out /tmp/onnx
//   node scripts/export-onnx.mjs --dtype fp16 --out /tmp/onnx      decoder_model_merged_fp16.onnx:
//       float16 logits and KV cache around f32 weights (not committed: the tests export it in memory)
//
// JSON files are written through Prettier so `npm run lint` accepts them; the .onnx bytes are a
// pure function of the weights (src/model/onnx/export/fixtures.test.ts re-exports and compares).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { runnerImport } from 'vite';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_MODELS = ['shapes-expert', 'shapes-draft', 'shapes-vlm'];

function parseArgs(argv) {
  const options = { models: DEFAULT_MODELS, out: join(ROOT, 'public', 'fixtures', 'onnx'), dtype: 'fp32' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--models') options.models = value().split(',');
    else if (flag === '--out') options.out = resolve(value());
    else if (flag === '--dtype') {
      options.dtype = value();
      if (!['fp32', 'fp16'].includes(options.dtype))
        throw new Error(`--dtype must be fp32 or fp16, got "${options.dtype}"`);
    } else if (flag === '--help') options.help = true;
    else throw new Error(`unknown option ${flag} (see --help)`);
  }
  return options;
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`export-onnx: ${error.message}`);
    return 2;
  }
  if (options.help) {
    console.log(
      'usage: node scripts/export-onnx.mjs [--models a,b] [--out DIR] [--dtype fp32|fp16]   (models from public/models/)',
    );
    return 0;
  }
  const { module } = await runnerImport(join(ROOT, 'src/model/onnx/export/folder.ts'), {
    configFile: false,
  });
  const { module: idefics3 } = await runnerImport(join(ROOT, 'src/model/onnx/export/idefics3.ts'), {
    configFile: false,
  });
  const prettierConfig = (await prettier.resolveConfig(join(ROOT, 'package.json'))) ?? {};
  for (const name of options.models) {
    const source = join(ROOT, 'public', 'models', name);
    const files = {};
    for (const file of readdirSync(source)) files[file] = new Uint8Array(readFileSync(join(source, file)));
    const vision = JSON.parse(new TextDecoder().decode(files['config.json'])).vision_config !== undefined;
    if (vision && options.dtype !== 'fp32') {
      console.error(`export-onnx: ${name} is a vision-language model; its Idefics3 export is fp32 only`);
      return 2;
    }
    const exported = vision
      ? idefics3.exportIdefics3Folder(files, name)
      : module.exportOnnxFolder(files, name, { dtype: options.dtype });
    for (const [file, bytes] of Object.entries(exported)) {
      const target = join(options.out, name, file);
      mkdirSync(dirname(target), { recursive: true });
      if (file.endsWith('.json')) {
        const text = new TextDecoder().decode(bytes);
        writeFileSync(target, await prettier.format(text, { ...prettierConfig, parser: 'json' }));
      } else writeFileSync(target, bytes);
      console.log(`${name}: ${file} (${bytes.length} bytes)`);
    }
  }
  return 0;
}

process.exitCode = await main();
