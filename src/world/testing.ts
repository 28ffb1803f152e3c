// Test helpers for the Shapes world: a content hash and a fingerprint of everything seeded
// (scenes, images, captions, questions, POPE, ViCrit). The Node tests and the browser test
// (world.gpu.test.ts, in Chromium) compare the fingerprint with the same constants, which is
// how "same seed ⇒ same output in Node and the browser" is checked rather than assumed.
import { captionFor } from './caption';
import { DEFAULT_WORLD, sampleScenes } from './distribution';
import { popeBenchmark } from './pope';
import { questionsFor } from './questions';
import { WorldRandom } from './random';
import { rasterize } from './rasterize';
import { worldStatistics } from './statistics';
import { corruptCaption } from './vicrit';

/** FNV-1a (32 bit) of bytes or of a string's UTF-16 code units, as 8 hex digits. */
export function fnv1a(data: Uint8Array | string): string {
  let hash = 0x811c9dc5;
  const length = data.length;
  for (let i = 0; i < length; i++) {
    hash ^= typeof data === 'string' ? data.charCodeAt(i) : data[i];
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

export interface WorldFingerprint {
  scenes: string;
  antiPriorScenes: string;
  images: string;
  captions: string;
  questions: string;
  pope: string;
  vicrit: string;
}

/** Hashes of seeded outputs for seed 2024 (20 scenes of each kind). */
export function worldFingerprint(): WorldFingerprint {
  const scenes = sampleScenes(DEFAULT_WORLD, 2024, 20);
  const anti = sampleScenes(DEFAULT_WORLD, 2024, 20, 'anti-prior');
  const images = new Uint8Array(scenes.flatMap((s) => [...rasterize(s)]));
  const rng = WorldRandom.fromNumber(2024, 1_000_000);
  const captions = scenes.map((s) => captionFor(s, rng));
  const questions = scenes.flatMap((s) => questionsFor(s, rng, 3).map((q) => `${q.question}=${q.answer}`));
  const stats = worldStatistics(sampleScenes(DEFAULT_WORLD, 1, 500));
  const pope = popeBenchmark(scenes, 'adversarial', stats, 2024).map((q) => `${q.question}=${q.answer}`);
  const vicrit = scenes.map((s, i) => {
    const c = corruptCaption(s, captions[i], rng);
    return c === null ? '-' : `${c.kind}:${c.text}:${c.span.charStart}-${c.span.charEnd}`;
  });
  return {
    scenes: fnv1a(JSON.stringify(scenes)),
    antiPriorScenes: fnv1a(JSON.stringify(anti)),
    images: fnv1a(images),
    captions: fnv1a(captions.join('\n')),
    questions: fnv1a(questions.join('\n')),
    pope: fnv1a(pope.join('\n')),
    vicrit: fnv1a(vicrit.join('\n')),
  };
}

/** worldFingerprint() as computed when the world was written; any change here is a change of data. */
export const EXPECTED_FINGERPRINT: WorldFingerprint = {
  scenes: '323e94ad',
  antiPriorScenes: '87317bb0',
  images: 'd87c322c',
  captions: '3e769b09',
  questions: '2ca85a00',
  pope: 'a9fafd96',
  vicrit: '6e456a55',
};
