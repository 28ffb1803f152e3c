// The Decode tab's hash scheme: `#decode`, `#decode/<payload>`, and the codec's bare `#x1.…`.
import { describe, expect, it } from 'vitest';
import { decodeLink, encodeLink } from '../../share/codec';
import { defaultExperiment } from '../../share/methods';
import { decodeHash, isDecodeHash, linkPayload, shareUrl } from './hashRoute';

describe('decode hash route', () => {
  it('reads the payload after #decode/ or a bare codec link, nothing else', () => {
    expect(linkPayload('#decode/x1.abc')).toBe('x1.abc');
    expect(linkPayload('#x1.abc')).toBe('x1.abc');
    for (const hash of ['#decode', '#decode/', '', '#shapes', '#model/x1.abc', '#xy.abc', '#decoder/x1.a']) {
      expect(linkPayload(hash)).toBeNull();
    }
    expect(['#decode', '#decode/', '#decode/x1.abc', '#x12.abc'].every(isDecodeHash)).toBe(true);
    expect(['', '#shapes', '#train', '#decoder', '#model/x1.a'].some(isDecodeHash)).toBe(false);
  });

  it('round-trips an experiment through the share URL', () => {
    const experiment = { ...defaultExperiment(), prompt: 'is there a red star ?', seed: 42 };
    const payload = encodeLink(experiment);
    const url = shareUrl(payload, { origin: 'https://lab.example', pathname: '/app/', search: '?debug' });
    expect(url).toBe(`https://lab.example/app/?debug${decodeHash(payload)}`);
    const back = decodeLink(linkPayload(new URL(url).hash)!);
    expect(back).toEqual({ ok: true, experiment });
  });
});
