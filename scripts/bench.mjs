// `npm run bench`: serves the bench page with Vite, runs it in headless Chromium (WebGPU) and
// prints median times against a baseline measured in the same run. Options: scripts/bench-args.mjs
// (or `npm run bench -- --help`). The table goes to stdout, progress and diagnostics to stderr.
// Exit code: 0 when every selected case ran, 1 when any case or the harness failed, 2 on bad usage.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchArgsError, parseBenchArgs, USAGE } from './bench-args.mjs';
import { CHROMIUM_ARGS, findBrowser } from './browser.mjs';
import { startServer } from './page-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PAGE = '/scripts/bench/index.html';
const PAGE_LOAD_TIMEOUT_MS = 120_000;

const log = (line) => process.stderr.write(`${line}\n`);
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Collects what the page streams, so a crash mid-run still leaves the finished rows. */
function createCollector() {
  const state = { header: [], rows: [], failures: [], warnings: [], caseStart: 0 };
  const onEvent = (event) => {
    switch (event.type) {
      case 'header':
        state.header = event.lines;
        for (const line of event.lines) log(line);
        break;
      case 'progress':
        state.caseStart = performance.now();
        log(`${event.line} …`);
        break;
      case 'warning':
        state.warnings.push(event.line);
        log(`warning: ${event.line}`);
        break;
      case 'row': {
        const { row } = event;
        state.rows.push(row);
        log(
          `    ${row.median_ms.toFixed(3)} ms vs ${row.baseline} ${row.baseline_median_ms.toFixed(3)} ms, ` +
            `ratio ${row.ratio.toFixed(2)} (${seconds(state.caseStart)})`,
        );
        break;
      }
      case 'failure':
        state.failures.push(event.failure);
        log(`    FAILED: ${event.failure.error}`);
        break;
      default:
        log(`bench: unknown event from the page: ${JSON.stringify(event)}`);
    }
  };
  return { state, onEvent };
}

async function runInBrowser(browser, origin, args, onEvent) {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      log(`page console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => {
    pageErrors.push(error.message);
    log(`page uncaught error: ${error.message}`);
  });
  const crashed = new Promise((_, reject) =>
    page.on('crash', () =>
      reject(new Error('the browser tab crashed (out of memory or a GPU process failure)')),
    ),
  );
  crashed.catch(() => {}); // observed through Promise.race below
  await page.exposeFunction('benchEvent', onEvent);
  await page.goto(`${origin}${PAGE}`);
  // The callbacks passed to waitForFunction and evaluate run in the page (globalThis is its window).
  const ready = page
    .waitForFunction(
      () => globalThis.logitlabBench !== undefined || globalThis.benchLoadError !== undefined,
      null,
      {
        timeout: PAGE_LOAD_TIMEOUT_MS,
      },
    )
    .catch(() => {
      throw new Error(
        `the bench page did not start within ${PAGE_LOAD_TIMEOUT_MS / 1000} s` +
          (pageErrors.length ? `: ${pageErrors.join('; ')}` : ' (see the Vite errors above)'),
      );
    });
  await Promise.race([crashed, ready]);
  const loadError = await page.evaluate(() => globalThis.benchLoadError);
  if (loadError) throw new Error(`the bench page failed to load: ${loadError} (see the Vite error above)`);
  const options = {
    filters: args.filters,
    warmup: args.warmup,
    iterations: args.iterations,
    selftest: args.selftest,
  };
  await Promise.race([crashed, page.evaluate((opts) => globalThis.logitlabBench.run(opts), options)]);
}

/** The browser only says a module failed to fetch; Vite can say why (syntax error, missing import). */
async function explainLoadFailures(server, failures) {
  for (const failure of failures) {
    const match = /Failed to fetch dynamically imported module: (\S+)/.exec(failure.error);
    if (!match) continue;
    try {
      await server.transformRequest(new URL(match[1]).pathname);
      failure.error += ' (it or one of its imports failed to compile; see the Vite error above)';
    } catch (error) {
      failure.error += `\n${error.message}`;
    }
  }
}

function checkJsonTarget(file) {
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new BenchArgsError(`--json ${file}: the directory ${dir} does not exist.`);
  }
}

async function main() {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
    if (args.json) checkJsonTarget(args.json);
  } catch (error) {
    if (!(error instanceof BenchArgsError)) throw error;
    log(`bench: ${error.message}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let executablePath;
  try {
    executablePath = findBrowser();
  } catch (error) {
    log(`bench: ${error.message}`);
    return 1;
  }

  const started = performance.now();
  const { state, onEvent } = createCollector();
  let server;
  let browser;
  let harnessError = null;
  let browserLine = null;
  const cleanup = async () => {
    await browser?.close().catch((error) => log(`bench: closing Chromium failed: ${error.message}`));
    await server?.close().catch((error) => log(`bench: closing Vite failed: ${error.message}`));
  };
  let interrupted = false;
  const onSignal = (signal) => {
    interrupted = true;
    log(`bench: ${signal}, closing Chromium and Vite`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log(`bench: starting Vite and ${executablePath}`);
    const served = await startServer(ROOT, PAGE);
    server = served.server;
    const { chromium } = await import('@playwright/test');
    browser = await chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
      headless: true,
      handleSIGINT: false, // onSignal closes it, after which nothing else is reported
      handleSIGTERM: false,
    });
    browserLine = `browser: Chromium ${browser.version()} (${executablePath}), headless`;
    await runInBrowser(browser, served.origin, args, onEvent);
  } catch (error) {
    harnessError = error;
  }
  if (interrupted) return new Promise(() => {}); // onSignal exits once cleanup is done

  if (server) await explainLoadFailures(server, state.failures);
  let formatted = null;
  try {
    if (server) formatted = await server.ssrLoadModule('/src/bench/runner.ts');
  } catch (error) {
    log(`bench: could not load src/bench/runner.ts to format the table: ${error.message}`);
  }
  await cleanup();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  if (state.header.length > 0 || state.rows.length > 0) {
    // The page's header starts with the adapter line; the browser version is only known here.
    const header = browserLine
      ? [...state.header.slice(0, 1), browserLine, ...state.header.slice(1)]
      : state.header;
    console.log(formatted ? formatted.formatTable(state.rows, header) : JSON.stringify(state.rows, null, 2));
  }
  if (state.failures.length > 0) {
    const text = formatted?.formatFailures(state.failures) ?? JSON.stringify(state.failures, null, 2);
    console.log(`\n${text}`);
  }
  if (state.warnings.length > 0) console.log(`\n${state.warnings.map((w) => `warning: ${w}`).join('\n')}`);
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify(state.rows, null, 2)}\n`);
    log(`bench: wrote ${state.rows.length} row(s) to ${args.json}`);
  }
  if (harnessError) {
    // Playwright appends its call and browser logs; the first part says what went wrong.
    const message = harnessError.message.split(/\n(?:Browser logs|Call log):/)[0];
    log(`bench: the run did not complete: ${message}`);
    return 1;
  }
  const failed = state.failures.length;
  log(`bench: ${state.rows.length} row(s), ${failed} failure(s) in ${seconds(started)}`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    log(`bench: ${error?.stack ?? error}`);
    process.exitCode = 1;
  },
);
