// Runs a Decode experiment in headless Chromium through the app itself (the same store, worker
// and kernels as the UI: `window.logitlab.run`, src/ui/decode/automation.ts) and writes its trace.
//
//   npm run experiment -- --link '<share URL or #hash>' --out trace.json
//   npm run experiment -- --config experiment.json --out trace.json
//
// A parameter sweep is a loop around this command (or around window.logitlab.run in a page): the
// experiment JSON is the share link's content, see src/share/experiment.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, findBrowser } from './browser.mjs';
import { startServer } from './page-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE =
  "usage: npm run experiment -- (--link '<url or #hash>' | --config experiment.json) [--out trace.json]";

export function parseExperimentArgs(argv) {
  const options = { link: null, config: null, out: 'trace.json', help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value (${USAGE})`);
      return v;
    };
    if (flag === '--link') options.link = value();
    else if (flag === '--config') options.config = value();
    else if (flag === '--out') options.out = value();
    else if (flag === '--help') options.help = true;
    else throw new Error(`unknown option ${flag} (${USAGE})`);
  }
  if (!options.help && (options.link === null) === (options.config === null)) {
    throw new Error(`give exactly one of --link and --config (${USAGE})`);
  }
  return options;
}

const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const options = parseExperimentArgs(process.argv.slice(2));
  if (options.help) {
    log(USAGE);
    return 0;
  }
  const input = options.link ?? readFileSync(resolve(options.config), 'utf8');
  const executablePath = findBrowser();
  const { server, origin } = await startServer(ROOT, '/index.html');
  const { chromium } = await import('@playwright/test');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(`${origin}/#decode`);
    await page.waitForFunction(() => globalThis.logitlab !== undefined, null, { timeout: 120_000 });
    page.setDefaultTimeout(0);
    const started = performance.now();
    const result = await page.evaluate(
      async ({ input, isLink }) => {
        const api = globalThis.logitlab;
        try {
          const experiment = isLink ? api.decodeLink(input) : { ok: true, experiment: JSON.parse(input) };
          if (!experiment.ok)
            return { error: `${experiment.error.message}\n${experiment.error.details.join('\n')}` };
          const trace = await api.run(experiment.experiment);
          return {
            file: api.exportTrace(trace),
            lanes: trace.lanes.map((l) => [l.laneId, l.text, l.stopReason]),
          };
        } catch (error) {
          return { error: error instanceof Error ? error.message : String(error) };
        }
      },
      { input, isLink: options.link !== null },
    );
    if (result.error) {
      log(`experiment: ${result.error}`);
      return 1;
    }
    writeFileSync(resolve(options.out), result.file);
    for (const [lane, text, stop] of result.lanes) log(`${lane}: ${text} [${stop}]`);
    log(
      `experiment: done in ${((performance.now() - started) / 1000).toFixed(1)} s, trace in ${options.out}`,
    );
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      log(`experiment: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    },
  );
}
