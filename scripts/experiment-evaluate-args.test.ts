import { describe, expect, it } from 'vitest';
import { parseExperimentArgs } from './experiment.mjs';

describe('npm run experiment -- --evaluate arguments', () => {
  it('takes a config or a link, a results path (default results.json) and an optional CSV path', () => {
    expect(parseExperimentArgs(['--evaluate', '--config', 'eval.json', '--csv', 'r.csv'])).toEqual({
      evaluate: true,
      link: null,
      config: 'eval.json',
      out: 'results.json',
      csv: 'r.csv',
      help: false,
    });
    expect(
      parseExperimentArgs(['--link', '#evaluate/x1.abc', '--evaluate', '--out', 'a.json']),
    ).toMatchObject({
      evaluate: true,
      link: '#evaluate/x1.abc',
      out: 'a.json',
      csv: null,
    });
  });

  it('leaves Decode runs as they were, and refuses --csv without --evaluate', () => {
    expect(parseExperimentArgs(['--config', 'e.json'])).toEqual({
      link: null,
      config: 'e.json',
      out: 'trace.json',
      help: false,
    });
    expect(() => parseExperimentArgs(['--config', 'e.json', '--csv', 'x.csv'])).toThrow(
      /--csv writes an evaluation's table: add --evaluate/,
    );
    expect(() => parseExperimentArgs(['--evaluate'])).toThrow(/exactly one of --link and --config/);
    expect(() => parseExperimentArgs(['--evaluate', '--config', 'e.json', '--csv'])).toThrow(
      /--csv needs a value/,
    );
  });
});
