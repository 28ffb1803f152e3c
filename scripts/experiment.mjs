// Runs a Decode experiment in headless Chromium through the app itself (the same store, worker
// and kernels as the UI: `window.logitlab.run`, src/ui/decode/automation.ts) and writes its trace.
//
//   npm run experiment -- --link '<share URL or #hash>' --out trace.json
//   npm run experiment -- --config experiment.json --out trace.json
//
// A parameter sweep is a loop around this command (or around window.logitlab.run in a page): the
// experiment JSON is the share link's content, see src/share/experiment.ts.
//
// Evaluations (issue 10: POPE and CHAIR for a list of lanes, src/evaluate/) run the same way through
// `window.logitlab.evaluate`, printing progress, and write the result JSON (and optionally CSV):
//   npm run experiment -- --evaluate --config eval.json --out results.json [--csv results.csv]
//   npm run experiment -- --evaluate --link '#evaluate/x1.…' --out results.json
// eval.json is an EvaluationConfig (src/evaluate/config.ts); fields it leaves out get defaults.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, findBrowser } from './browser.mjs';
import { startServer } from './page-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE =
  "usage: npm run experiment -- (--link '<url or #hash>' | --config experiment.json) [--out trace.json]\n" +
  "       npm run experiment -- --evaluate (--link '#evaluate/…' | --config eval.json) [--out results.json] [--csv results.csv]";

/** Decode runs: { link, config, out, help }; with --evaluate also { evaluate: true, csv }. */
export function parseExperimentArgs(argv) {
  const evaluate = argv.includes('--evaluate');
  const options = { link: null, config: null, out: evaluate ? 'results.json' : 'trace.json', help: false };
  if (evaluate) Object.assign(options, { evaluate: true, csv: null });
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
    else if (flag === '--evaluate') continue;
    else if (flag === '--csv' && evaluate) options.csv = value();
    else if (flag === '--csv')
      throw new Error(`--csv writes an evaluation's table: add --evaluate (${USAGE})`);
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
    await page.goto(`${origin}/${options.evaluate ? '' : '#decode'}`);
    await page.waitForFunction(() => globalThis.logitlab !== undefined, null, { timeout: 120_000 });
    page.setDefaultTimeout(0);
    if (options.evaluate) return await evaluate(page, input, options);
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

const seconds = (ms) => (ms === null ? '?' : `${Math.round(ms / 1000)} s`);

/** Runs an evaluation in the page, printing progress, and writes its JSON (and CSV). */
async function evaluate(page, input, options) {
  const started = performance.now();
  let lastLog = 0;
  await page.exposeFunction('logitlabEvaluateProgress', (p) => {
    const now = performance.now();
    if (p.done < p.total && now - lastLog < 5000) return;
    lastLog = now;
    log(
      `evaluate: ${p.done}/${p.total} examples (${p.benchmark}), ${p.examplesPerSecond.toFixed(2)}/s, ETA ${seconds(p.etaMs)}`,
    );
  });
  const result = await page.evaluate(
    async ({ input, isLink, wantCsv }) => {
      const api = globalThis.logitlab;
      try {
        let config;
        if (isLink) {
          const decoded = api.decodeEvaluationLink(input);
          if (!decoded.ok) return { error: `${decoded.error.message}\n${decoded.error.details.join('\n')}` };
          config = decoded.config;
        } else config = JSON.parse(input);
        const evaluation = await api.evaluate(config, {
          onProgress: (p) => globalThis.logitlabEvaluateProgress(p),
        });
        const table = evaluation.lanes.map((lane) => ({
          lane: lane.lane.id,
          pope: (lane.pope ?? []).map(
            (s) =>
              `${s.split} acc ${s.metrics.accuracy.value.toFixed(3)} [${s.metrics.accuracy.low.toFixed(3)}, ${s.metrics.accuracy.high.toFixed(3)}] F1 ${s.metrics.f1.value.toFixed(3)} yes ${s.metrics.yesRatio.value.toFixed(3)}`,
          ),
          chair: lane.chair
            ? `CHAIR_i ${lane.chair.metrics.chairI.value.toFixed(3)} CHAIR_s ${lane.chair.metrics.chairS.value.toFixed(3)} recall ${lane.chair.metrics.recall.value.toFixed(3)} len ${lane.chair.metrics.meanLength.value.toFixed(1)}`
            : null,
        }));
        return {
          json: api.exportEvaluation(evaluation),
          csv: wantCsv ? api.evaluationCsv(evaluation) : null,
          table,
        };
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    },
    { input, isLink: options.link !== null, wantCsv: options.csv !== null },
  );
  if (result.error) {
    log(`evaluate: ${result.error}`);
    return 1;
  }
  writeFileSync(resolve(options.out), result.json);
  if (options.csv !== null) writeFileSync(resolve(options.csv), result.csv);
  for (const lane of result.table) {
    for (const line of lane.pope) log(`${lane.lane}: POPE ${line}`);
    if (lane.chair) log(`${lane.lane}: ${lane.chair}`);
  }
  const files = options.csv !== null ? `${options.out} and ${options.csv}` : options.out;
  log(`evaluate: done in ${((performance.now() - started) / 1000).toFixed(1)} s, results in ${files}`);
  return 0;
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
