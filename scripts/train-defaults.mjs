// `npm run train:defaults`: trains the Shapes default models (src/defaults/recipes.ts) with the WGSL
// trainer in headless Chromium, evaluates them, and writes public/models/<folder>/ (config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json, generation_config.json, README.md).
//
//   npm run train:defaults                         all four models, evaluated (the committed run)
//   npm run train:defaults -- --only expert        some models (no evaluation: it needs all four)
//   npm run train:defaults -- --steps-scale 0.05   a quick trial with 5% of the steps
//   npm run train:defaults -- --out /tmp/models    another output folder
//   npm run train:defaults -- --eval-scenes 50     smaller evaluation samples
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, findBrowser } from './browser.mjs';
import { startServer } from './page-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = '/scripts/train-defaults/index.html';
const MODELS = ['vlm', 'expert', 'amateur', 'draft'];
const log = (line) => process.stderr.write(`${line}\n`);

function parseArgs(argv) {
  const options = { out: join(ROOT, 'public', 'models'), only: undefined, stepsScale: 1, evalScenes: 200 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--out') options.out = resolve(value());
    else if (flag === '--only') {
      options.only = value().split(',');
      const unknown = options.only.filter((m) => !MODELS.includes(m));
      if (unknown.length)
        throw new Error(`--only: unknown model(s) ${unknown.join(', ')} (known: ${MODELS.join(', ')})`);
    } else if (flag === '--steps-scale') {
      options.stepsScale = Number(value());
      if (!(options.stepsScale > 0 && options.stepsScale <= 1))
        throw new Error(`--steps-scale must be in (0, 1], got ${options.stepsScale}`);
    } else if (flag === '--eval-scenes') {
      options.evalScenes = Number(value());
      if (!Number.isInteger(options.evalScenes) || options.evalScenes < 1)
        throw new Error(`--eval-scenes must be a positive integer, got ${options.evalScenes}`);
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
    log(`train:defaults: ${error.message}`);
    return 2;
  }
  if (options.help) {
    console.log(
      'usage: npm run train:defaults [-- --only vlm,expert,amateur,draft] [--steps-scale F] [--out DIR] [--eval-scenes N]',
    );
    return 0;
  }
  const executablePath = findBrowser();
  const started = performance.now();
  const { server, origin } = await startServer(ROOT, PAGE);
  const { chromium } = await import('@playwright/test');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') log(`page console.error: ${m.text()}`);
    });
    await page.exposeFunction('trainDefaultsEvent', (line) => log(line));
    await page.exposeFunction('trainDefaultsSave', (folder, file, base64) => {
      const dir = join(options.out, folder);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, file), Buffer.from(base64, 'base64'));
    });
    await page.goto(`${origin}${PAGE}`);
    await page.waitForFunction(
      () => globalThis.logitlabTrainDefaults !== undefined || globalThis.trainDefaultsLoadError !== undefined,
      null,
      { timeout: 120_000 },
    );
    const loadError = await page.evaluate(() => globalThis.trainDefaultsLoadError);
    if (loadError) throw new Error(`the page failed to load: ${loadError}`);
    page.setDefaultTimeout(0);
    await page.evaluate((opts) => globalThis.logitlabTrainDefaults.run(opts), {
      only: options.only,
      stepsScale: options.stepsScale,
      evalScenes: options.evalScenes,
    });
    log(
      `train:defaults: done in ${((performance.now() - started) / 60000).toFixed(1)} min, files in ${options.out}`,
    );
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`train:defaults: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
