import { describe, expect, it } from 'vitest';
import { isSpeculativeHash, speculativeHash, speculativeLinkPayload, speculativeShareUrl } from './hashRoute';

describe('speculative hash route', () => {
  it('reads and writes #speculative/<payload>', () => {
    expect(speculativeHash('x1.abc')).toBe('#speculative/x1.abc');
    expect(speculativeLinkPayload('#speculative/x1.abc')).toBe('x1.abc');
    expect(speculativeLinkPayload('#speculative/')).toBeNull();
    expect(speculativeLinkPayload('#speculative')).toBeNull();
    expect(speculativeLinkPayload('#decode/x1.abc')).toBeNull();
    expect(speculativeLinkPayload('#x1.abc')).toBeNull(); // the bare form belongs to the Decode tab
  });

  it('opens the tab for its hashes only', () => {
    for (const hash of ['#speculative', '#speculative/', '#speculative/x1.abc']) expect(isSpeculativeHash(hash)).toBe(true); // prettier-ignore
    for (const hash of ['', '#decode', '#speculativeX', '#x1.abc'])
      expect(isSpeculativeHash(hash)).toBe(false);
  });

  it('builds the share URL on this page', () => {
    expect(speculativeShareUrl('x1.a', { origin: 'http://h', pathname: '/app/', search: '?debug' })).toBe('http://h/app/?debug#speculative/x1.a'); // prettier-ignore
  });
});
