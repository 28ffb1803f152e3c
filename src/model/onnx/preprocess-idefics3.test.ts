// Idefics3's image preprocessing from preprocessor_config.json, on hand-computed cases.
import { describe, expect, test } from 'vitest';
import { ModelLoadError } from '../loading/errors';
import {
  imageGeometry,
  parseIdefics3Preprocessing,
  preprocessIdefics3Image,
  type Idefics3Preprocessing,
} from './preprocess-idefics3';

/** onnx-community/SmolVLM-256M-Instruct's preprocessor_config.json. */
const SMOLVLM = {
  do_convert_rgb: true,
  do_image_splitting: true,
  do_normalize: true,
  do_pad: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_processor_type: 'Idefics3ImageProcessor',
  image_std: [0.5, 0.5, 0.5],
  max_image_size: { longest_edge: 512 },
  processor_class: 'Idefics3Processor',
  resample: 1,
  rescale_factor: 0.00392156862745098,
  size: { longest_edge: 2048 },
};

describe('parseIdefics3Preprocessing', () => {
  test("SmolVLM's settings", () => {
    expect(parseIdefics3Preprocessing(SMOLVLM)).toEqual({
      doResize: true,
      size: { longestEdge: 2048, shortestEdge: undefined },
      doRescale: true,
      rescaleFactor: 0.00392156862745098,
      doNormalize: true,
      imageMean: [0.5, 0.5, 0.5],
      imageStd: [0.5, 0.5, 0.5],
      doImageSplitting: true,
      maxImageSize: 512,
    });
  });

  test('defaults as transformers.js has them: splitting on, normalising off, rescale 1/255', () => {
    const prep = parseIdefics3Preprocessing({ max_image_size: { longest_edge: 64 }, image_mean: 0.5 });
    expect(prep).toMatchObject({
      doResize: false,
      doRescale: true,
      rescaleFactor: 1 / 255,
      doNormalize: false,
      imageMean: [0.5, 0.5, 0.5],
      imageStd: [1, 1, 1],
      doImageSplitting: true,
    });
  });

  test('refusals name the file and the key', () => {
    const refused = (json: unknown) => {
      try {
        parseIdefics3Preprocessing(json);
      } catch (error) {
        expect(error).toBeInstanceOf(ModelLoadError);
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refused({ size: { longest_edge: 10 } })).toContain('missing "max_image_size"');
    expect(refused({ ...SMOLVLM, size: { height: 10, width: 10 } })).toContain(
      '"size" must be { "longest_edge": n }',
    );
    expect(refused({ ...SMOLVLM, image_std: [1, 0, 1] })).toContain('"image_std" has a 0');
    expect(refused({ ...SMOLVLM, image_mean: [0.5, 0.5] })).toContain(
      '"image_mean" must be a number or 3 numbers',
    );
    expect(refused({ ...SMOLVLM, do_center_crop: true })).toContain(
      'preprocessor_config.json: "do_center_crop": true',
    );
  });
});

describe('imageGeometry', () => {
  const smolvlm = parseIdefics3Preprocessing(SMOLVLM);
  test('SmolVLM: a 512 x 512 image grows to 2048 and splits into 4 x 4 tiles + the global image', () => {
    expect(imageGeometry({ height: 512, width: 512 }, smolvlm)).toEqual({
      resized: { height: 2048, width: 2048 },
      rows: 4,
      cols: 4,
      frames: 17,
    });
  });
  test('SmolVLM: 640 x 480 -> 2048 x 1536 -> 3 x 4 tiles; without splitting one frame', () => {
    expect(imageGeometry({ height: 480, width: 640 }, smolvlm)).toMatchObject({
      rows: 3,
      cols: 4,
      frames: 13,
    });
    expect(imageGeometry({ height: 480, width: 640 }, { ...smolvlm, doImageSplitting: false })).toMatchObject(
      {
        rows: 0,
        cols: 0,
        frames: 1,
      },
    );
  });
});

describe('preprocessIdefics3Image', () => {
  test('resize, rescale, normalise, split into tiles and the global image', () => {
    // 2 x 2 RGB: red 0 on the left and 1 on the right, green 0, blue 1 (HWC in [0, 1]).
    const image = Float32Array.of(0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1);
    const prep: Idefics3Preprocessing = {
      doResize: true,
      size: { longestEdge: 4 },
      doRescale: true,
      rescaleFactor: 1 / 255,
      doNormalize: true,
      imageMean: [0.5, 0.5, 0.5],
      imageStd: [0.5, 0.5, 0.5],
      doImageSplitting: true,
      maxImageSize: 2,
    };
    const out = preprocessIdefics3Image(image, { height: 2, width: 2 }, 3, prep);
    // 2 x 2 -> 4 x 4: red rows 0, 0.25, 0.75, 1 (half_pixel); normalised 2x - 1: -1, -0.5, 0.5, 1.
    // 4 x 4 splits into 2 x 2 tiles of 2 x 2, then the global image 4 x 4 -> 2 x 2:
    // its columns sample x = 0.5 and 2.5: (-1 - 0.5) / 2 = -0.75 and (0.5 + 1) / 2 = 0.75.
    expect([out.rows, out.cols, out.frames, out.frameSize]).toEqual([2, 2, 5, 2]);
    expect(out.pixelValues).toHaveLength(5 * 3 * 2 * 2);
    const frame = (f: number, c: number) => [
      ...out.pixelValues.subarray((f * 3 + c) * 4, (f * 3 + c + 1) * 4),
    ];
    const close = (got: number[], want: number[]) => got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    close(frame(0, 0), [-1, -0.5, -1, -0.5]); // tile row 1, column 1
    close(frame(1, 0), [0.5, 1, 0.5, 1]); // tile row 1, column 2
    close(frame(2, 0), [-1, -0.5, -1, -0.5]); // tile row 2, column 1
    close(frame(3, 0), [0.5, 1, 0.5, 1]);
    close(frame(4, 0), [-0.75, 0.75, -0.75, 0.75]); // the global image
    for (let f = 0; f < 5; f++) {
      close(frame(f, 1), [-1, -1, -1, -1]);
      close(frame(f, 2), [1, 1, 1, 1]);
    }
  });

  test("the Shapes VLM's settings are the identity on a 48 x 48 image (CHW out of HWC)", () => {
    const prep = parseIdefics3Preprocessing({
      do_resize: true,
      size: { longest_edge: 48 },
      do_rescale: true,
      rescale_factor: 1 / 255,
      do_normalize: true,
      image_mean: [0, 0, 0],
      image_std: [1, 1, 1],
      do_image_splitting: false,
      max_image_size: { longest_edge: 48 },
    });
    const image = Float32Array.from({ length: 48 * 48 * 3 }, (_, i) => ((i * 37) % 256) / 255);
    const out = preprocessIdefics3Image(image, { height: 48, width: 48 }, 3, prep);
    expect([out.frames, out.rows, out.cols]).toEqual([1, 0, 0]);
    let worst = 0;
    for (let p = 0; p < 48 * 48; p++) {
      for (let c = 0; c < 3; c++)
        worst = Math.max(worst, Math.abs(out.pixelValues[c * 48 * 48 + p] - image[p * 3 + c]));
    }
    expect(worst).toBeLessThan(1e-7);
  });

  test('an image of the wrong size is refused with both sizes', () => {
    const prep = parseIdefics3Preprocessing(SMOLVLM);
    expect(() => preprocessIdefics3Image(new Float32Array(10), { height: 2, width: 2 }, 3, prep)).toThrow(
      'the image has 10 values, expected 2 x 2 x 3 = 12 (HWC)',
    );
  });
});
