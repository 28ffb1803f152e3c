// Command-line options of `npm run bench`, parsed without side effects so they can be unit-tested.

export const DEFAULT_WARMUP = 3;
export const DEFAULT_ITERATIONS = 15;

export const USAGE = `Usage: npm run bench -- [options]

Runs every case exported as \`benchCases\` from src/kernels/<family>/bench.ts in headless
Chromium (WebGPU) and prints median times against a baseline measured in the same run,
with ratio = baseline_median_ms / median_ms (above 1 means the kernel is faster).

Options:
  --json FILE        also write the rows as a JSON array to FILE
                     ({ name, shape, median_ms, baseline, baseline_median_ms, ratio })
  --filter TEXT      run only cases whose "name" or "name shape" contains TEXT
                     (case-insensitive); repeat to run the union of several filters
  --iterations N     timed runs per side, GPU and baseline interleaved (default ${DEFAULT_ITERATIONS})
  --warmup N         untimed runs per side before timing (default ${DEFAULT_WARMUP})
  --selftest         add the harness's own case (selftest/scale-logits) to check the harness
  --help             show this text

Example: npm run bench -- --filter logits --filter "divergence/kl B=8" --json /tmp/bench.json`;

export class BenchArgsError extends Error {
  constructor(message) {
    super(`${message}\nRun \`npm run bench -- --help\` for the options.`);
    this.name = 'BenchArgsError';
  }
}

/**
 * @typedef {object} BenchArgs
 * @property {string | null} json file to write the rows to
 * @property {string[]} filters substrings; a case runs if it matches any of them (all when empty)
 * @property {number} warmup untimed runs per side
 * @property {number} iterations timed runs per side
 * @property {boolean} selftest include the harness's own case
 * @property {boolean} help print usage and exit
 */

function count(flag, raw, min) {
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new BenchArgsError(`${flag} needs a whole number >= ${min}, got "${raw}".`);
  }
  return value;
}

/**
 * Parses `argv` (without node and the script path). Accepts `--flag value` and `--flag=value`.
 * @param {readonly string[]} argv
 * @returns {BenchArgs}
 */
export function parseBenchArgs(argv) {
  /** @type {BenchArgs} */
  const args = {
    json: null,
    filters: [],
    warmup: DEFAULT_WARMUP,
    iterations: DEFAULT_ITERATIONS,
    selftest: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (what) => {
      if (inline !== undefined) {
        if (inline === '') throw new BenchArgsError(`${flag} needs ${what}, got an empty value.`);
        return inline;
      }
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new BenchArgsError(`${flag} needs ${what}${next ? `, got the option "${next}"` : ''}.`);
      }
      i++;
      return next;
    };
    const noValue = () => {
      if (inline !== undefined) throw new BenchArgsError(`${flag} takes no value, got "${arg}".`);
    };
    switch (flag) {
      case '--json':
        if (args.json !== null) throw new BenchArgsError(`--json given twice ("${args.json}" and another).`);
        args.json = value('a file path');
        break;
      case '--filter': {
        const text = value('a text to match').trim();
        if (!text) throw new BenchArgsError('--filter needs a non-blank text.');
        args.filters.push(text);
        break;
      }
      case '--iterations':
        args.iterations = count(flag, value('a number'), 1);
        break;
      case '--warmup':
        args.warmup = count(flag, value('a number'), 0);
        break;
      case '--selftest':
        noValue();
        args.selftest = true;
        break;
      case '--help':
      case '-h':
        noValue();
        args.help = true;
        break;
      default:
        throw new BenchArgsError(
          arg.startsWith('-')
            ? `Unknown option "${arg}".`
            : `Unexpected argument "${arg}" (options start with --; to filter, write --filter "${arg}").`,
        );
    }
  }
  return args;
}
