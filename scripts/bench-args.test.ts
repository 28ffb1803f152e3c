import { describe, expect, it } from 'vitest';
import { BenchArgsError, DEFAULT_ITERATIONS, DEFAULT_WARMUP, parseBenchArgs } from './bench-args.mjs';

describe('parseBenchArgs', () => {
  it('has defaults', () => {
    expect(parseBenchArgs([])).toEqual({
      json: null,
      filters: [],
      warmup: DEFAULT_WARMUP,
      iterations: DEFAULT_ITERATIONS,
      selftest: false,
      help: false,
    });
  });

  it('reads every option, with a separate or an inline value, and repeated filters', () => {
    expect(
      parseBenchArgs([
        '--json',
        '/tmp/out.json',
        '--filter',
        'top-p',
        '--filter=B=8 V=151936',
        '--iterations=31',
        '--warmup',
        '0',
        '--selftest',
        '--help',
      ]),
    ).toEqual({
      json: '/tmp/out.json',
      filters: ['top-p', 'B=8 V=151936'],
      warmup: 0,
      iterations: 31,
      selftest: true,
      help: true,
    });
    expect(parseBenchArgs(['-h']).help).toBe(true);
  });

  it.each([
    [['--bogus'], /Unknown option "--bogus"/],
    [['logits'], /Unexpected argument "logits".*--filter "logits"/],
    [['--json'], /--json needs a file path/],
    [['--json', '--selftest'], /--json needs a file path, got the option "--selftest"/],
    [['--json', 'a', '--json', 'b'], /--json given twice/],
    [['--filter', '  '], /--filter needs a non-blank text/],
    [['--filter='], /--filter needs a text to match, got an empty value/],
    [['--iterations', '0'], /--iterations needs a whole number >= 1, got "0"/],
    [['--iterations', '2.5'], /got "2.5"/],
    [['--iterations', 'x'], /got "x"/],
    [['--warmup', '-1'], /--warmup needs a whole number >= 0, got "-1"/],
    [['--selftest=yes'], /--selftest takes no value/],
  ])('rejects %j with a message that says what was wrong', (argv, message) => {
    let caught: unknown;
    try {
      parseBenchArgs(argv);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BenchArgsError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message).toContain('npm run bench -- --help');
  });
});
