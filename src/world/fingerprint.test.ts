// Same seed ⇒ same world: the hashes of seeded scenes, images, captions, questions, POPE sets and
// ViCrit corruptions are pinned. world.gpu.test.ts checks the same constants in Chromium, so Node
// and the browser are proven to agree. A deliberate change of any generator updates
// EXPECTED_FINGERPRINT in testing.ts (and changes every dataset built from these seeds).
import { describe, expect, it } from 'vitest';
import { EXPECTED_FINGERPRINT, fnv1a, worldFingerprint } from './testing';

describe('world fingerprint', () => {
  it('matches the pinned hashes', () => {
    expect(worldFingerprint()).toEqual(EXPECTED_FINGERPRINT);
  });

  it('hashes with FNV-1a (known answers)', () => {
    expect(fnv1a('')).toBe('811c9dc5');
    expect(fnv1a('a')).toBe('e40c292c');
    expect(fnv1a(new Uint8Array([97]))).toBe('e40c292c');
  });
});
