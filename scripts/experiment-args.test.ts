import { describe, expect, it } from 'vitest';
import { parseExperimentArgs } from './experiment.mjs';

describe('npm run experiment arguments', () => {
  it('takes a link or a config file, and an output path', () => {
    expect(parseExperimentArgs(['--link', '#decode/x1.abc', '--out', 'a.json'])).toEqual({
      link: '#decode/x1.abc',
      config: null,
      out: 'a.json',
      help: false,
    });
    expect(parseExperimentArgs(['--config', 'e.json'])).toMatchObject({
      config: 'e.json',
      out: 'trace.json',
    });
  });

  it('refuses neither or both sources, unknown flags and missing values, naming the problem', () => {
    expect(() => parseExperimentArgs([])).toThrow(/exactly one of --link and --config/);
    expect(() => parseExperimentArgs(['--link', 'x', '--config', 'y'])).toThrow(/exactly one/);
    expect(() => parseExperimentArgs(['--lnk', 'x'])).toThrow(/unknown option --lnk/);
    expect(() => parseExperimentArgs(['--out'])).toThrow(/--out needs a value/);
  });
});
