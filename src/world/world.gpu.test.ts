// The Shapes world in a real Chromium page: the seeded fingerprint (scenes, images, captions,
// questions, POPE, ViCrit) equals the one the Node tests pin, so the same seed gives the same
// data in Node and in the browser. No WebGPU is needed; this lives in the browser project
// because only a browser can show that.
import { describe, expect, it } from 'vitest';
import { EXPECTED_FINGERPRINT, worldFingerprint } from './testing';

describe('Shapes world in Chromium', () => {
  it('runs in a browser page, not Node', () => {
    expect(typeof window).toBe('object');
    expect(navigator.userAgent).toMatch(/Chrome/);
  });

  it('produces the same seeded data as Node', () => {
    expect(worldFingerprint()).toEqual(EXPECTED_FINGERPRINT);
  });
});
