// The inspector recomputes distorted images from the trace's records with the worker's own code.
import { describe, expect, it } from 'vitest';
import { diffusionNoise } from '../../decoding/inputs/noise';
import { applyTransform, describeTransform, randomTransform } from '../../decoding/inputs/transforms';
import { defaultExperiment } from '../../share/methods';
import { DEFAULT_WORLD, imageToFloat32, rasterize, sampleSceneAt } from '../../world';
import { baseImage, distortedImage } from './DistortedInputs';

describe('distorted inputs', () => {
  const experiment = { ...defaultExperiment(), image: { kind: 'scene' as const, seed: 3, index: 1 } };
  const scene = imageToFloat32(rasterize(sampleSceneAt(DEFAULT_WORLD, 3, 1)));

  it('the base image is the scene, or an upload only when its hash matches', () => {
    expect(baseImage(experiment, null)).toEqual(scene);
    expect(baseImage({ ...experiment, image: null }, null)).toBeNull();
    const upload = {
      name: 'a.png',
      sha256: 'aa',
      pixels: new Uint8Array(48 * 48 * 3).fill(255),
      message: null,
    };
    const named = { ...experiment, image: { kind: 'upload' as const, sha256: 'aa', name: 'a.png' } };
    expect(baseImage(named, upload)?.[0]).toBe(1);
    expect(baseImage(named, { ...upload, sha256: 'bb' })).toBeNull();
  });

  it('recomputes VCD noise and RITUAL transforms from (image, step, seed); says why when it cannot', () => {
    expect(distortedImage(scene, { kind: 'noise', step: 500, seed: 9 }).pixels).toEqual(
      diffusionNoise(scene, 500, 9),
    );
    const transform = randomTransform(4);
    const rendered = distortedImage(scene, {
      kind: 'transform',
      transform: describeTransform(transform),
      seed: 4,
    });
    expect(rendered.pixels).toEqual(applyTransform(scene, 48, 48, transform));
    expect(rendered.note).toBe(describeTransform(transform));
    expect(distortedImage(scene, { kind: 'transform', transform: 'a flip', seed: 4 }).note).toContain(
      '(recomputed here: ',
    );
    expect(distortedImage(null, { kind: 'noise', step: 500, seed: 9 }).error).toContain('not in this page');
    expect(distortedImage(scene, { kind: 'noise', step: 5000, seed: 9 }).error).toBeTruthy();
    expect(distortedImage(scene, { kind: 'prompt', text: 'x' }).pixels).toBeNull();
    expect(distortedImage(scene, null).pixels).toBe(scene);
  });
});
