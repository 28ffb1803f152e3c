// Vision-language configs, tensors, patch layout and image checks (src/model/vision.ts).
import { describe, expect, test } from 'vitest';
import { KernelInputError } from '../gpu/errors';
import { expectedTensors, parameterCount } from './architectures/tensors';
import { ModelConfigError, parseModelConfig, type VisionConfig } from './config';
import { tinyLlamaConfigJson, tinyVlmConfigJson } from './reference/tiny';
import { imagePlaceholders, imageToPatches } from './vision';

function configError(json: Record<string, unknown>): string {
  try {
    parseModelConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ModelConfigError');
}

describe('vision_config', () => {
  test('a llama and a gpt2 decoder both carry it; text configs have vision null', () => {
    expect(parseModelConfig(tinyVlmConfigJson()).vision).toEqual({
      imageSize: 16,
      patchSize: 8,
      channels: 3,
      numPatches: 4,
      patchDim: 192,
      imageTokenId: 66,
    });
    const gpt2 = parseModelConfig(
      tinyVlmConfigJson({
        model_type: 'gpt2',
        vision_config: { image_size: 32, patch_size: 8, num_channels: 3 },
      }),
    );
    expect(gpt2.architecture).toBe('gpt2');
    expect(gpt2.vision).toMatchObject({ numPatches: 16, patchDim: 192, imageTokenId: 60 });
    expect(parseModelConfig(tinyLlamaConfigJson()).vision).toBeNull();
    expect(parseModelConfig(tinyVlmConfigJson({ vision_config: null })).vision).toBeNull();
  });

  test('num_channels defaults to 3; one channel works', () => {
    const json = tinyVlmConfigJson({ vision_config: { image_size: 4, patch_size: 2 } });
    expect(parseModelConfig(json).vision).toMatchObject({ channels: 3, numPatches: 4, patchDim: 12 });
    const gray = tinyVlmConfigJson({ vision_config: { image_size: 4, patch_size: 4, num_channels: 1 } });
    expect(parseModelConfig(gray).vision).toMatchObject({ channels: 1, numPatches: 1, patchDim: 16 });
  });

  test.each([
    [{ vision_config: [16] }, 'config.json: "vision_config" must be an object, got [16]'],
    [{ vision_config: { patch_size: 8 } }, 'config.json (vision_config): missing "image_size"'],
    [{ vision_config: { image_size: 16 } }, 'config.json (vision_config): missing "patch_size"'],
    [
      { vision_config: { image_size: 16, patch_size: 0 } },
      'config.json (vision_config): "patch_size" must be a positive integer, got 0',
    ],
    [
      { vision_config: { image_size: 16, patch_size: 8, num_channels: 2.5 } },
      'config.json (vision_config): "num_channels" must be a positive integer, got 2.5',
    ],
    [
      { vision_config: { image_size: 16, patch_size: 5 } },
      'config.json (vision_config): "patch_size" 5 does not divide "image_size" 16; images are cut into whole patches',
    ],
    [
      { image_token_id: undefined },
      'config.json: missing "image_token_id" (the placeholder token whose embedding rows the image patches ' +
        'replace); a config with "vision_config" needs one',
    ],
    [{ image_token_id: -1 }, 'config.json: "image_token_id" must be a non-negative integer, got -1'],
    [{ image_token_id: '66' }, 'config.json: "image_token_id" must be a non-negative integer, got "66"'],
    [{ image_token_id: 67 }, 'config.json: "image_token_id" 67 is outside the vocabulary (vocab_size 67)'],
  ])('%# refuses with the key and value', (overrides, message) => {
    expect(configError(tinyVlmConfigJson(overrides))).toBe(message);
  });

  test('expectedTensors adds the encoder in nn.Linear layout, under either decoder', () => {
    for (const json of [tinyVlmConfigJson(), tinyVlmConfigJson({ model_type: 'gpt2' })]) {
      const config = parseModelConfig(json);
      const vision = expectedTensors(config).filter((t) => t.name.startsWith('vision.'));
      expect(vision).toEqual([
        { name: 'vision.patch_embed.weight', shape: [32, 192] },
        { name: 'vision.patch_embed.bias', shape: [32] },
        { name: 'vision.projector.weight', shape: [32, 32] },
        { name: 'vision.projector.bias', shape: [32] },
        { name: 'vision.position_embedding.weight', shape: [4, 32] },
      ]);
      const text = parseModelConfig({ ...json, vision_config: null });
      expect(parameterCount(config) - parameterCount(text)).toBe(32 * 192 + 32 + 32 * 32 + 32 + 4 * 32);
    }
  });
});

describe('imageToPatches', () => {
  // 4 x 4 pixels, 2 channels, 2 x 2 patches: value = 100 y + 10 x + c, so every entry names its pixel.
  const vision: VisionConfig = {
    imageSize: 4,
    patchSize: 2,
    channels: 2,
    numPatches: 4,
    patchDim: 8,
    imageTokenId: 0,
  };
  const image = new Float32Array(32);
  for (let y = 0; y < 4; y++)
    for (let x = 0; x < 4; x++) for (let c = 0; c < 2; c++) image[(y * 4 + x) * 2 + c] = 100 * y + 10 * x + c;

  test('patches row-major over the grid, each flattened (y, x, channel)', () => {
    const patches = imageToPatches(image, vision);
    const patch = (k: number) => [...patches.subarray(k * 8, (k + 1) * 8)];
    expect(patch(0)).toEqual([0, 1, 10, 11, 100, 101, 110, 111]);
    expect(patch(1)).toEqual([20, 21, 30, 31, 120, 121, 130, 131]);
    expect(patch(2)).toEqual([200, 201, 210, 211, 300, 301, 310, 311]);
    expect(patch(3)).toEqual([220, 221, 230, 231, 320, 321, 330, 331]);
  });

  test('a wrong size is refused with the expected size', () => {
    expect(() => imageToPatches(new Float32Array(31), vision)).toThrow(
      'imageToPatches: the image has 31 values, expected 32 (4 x 4 pixels x 2 channels, HWC)',
    );
  });
});

describe('imagePlaceholders', () => {
  const config = parseModelConfig(tinyVlmConfigJson());
  const image = new Float32Array(16 * 16 * 3).fill(0.5);
  const tokens = [1, 66, 66, 5, 66, 66, 9];

  test('the placeholder indices, in order; null without an image', () => {
    expect(imagePlaceholders(config, 3, tokens, image)).toEqual([1, 2, 4, 5]);
    expect(imagePlaceholders(config, 3, [66, 66], undefined)).toBeNull();
  });

  test.each([
    [
      'a wrong size',
      [...tokens],
      new Float32Array(100),
      'sequence 3: the image has 100 values, expected a Float32Array of 768 (16 x 16 pixels x 3 channels, HWC, ' +
        'values in [0, 1]); render or resize the image to 16 x 16 first',
    ],
    [
      'a NaN pixel',
      [...tokens],
      Object.assign(new Float32Array(768), { [3 * (16 * 2 + 5) + 1]: NaN }),
      'sequence 3: image value 112 (pixel y 2, x 5, channel 1) is NaN; images must be finite',
    ],
    [
      'too few placeholders',
      [1, 66, 66, 66],
      image,
      'sequence 3: an image needs exactly 4 image tokens (id 66) among the new tokens, one per patch, but 3 were given',
    ],
    [
      'too many placeholders',
      [66, 66, 66, 66, 66],
      image,
      'sequence 3: an image needs exactly 4 image tokens (id 66) among the new tokens, one per patch, but 5 were given',
    ],
  ])('refuses %s', (_what, badTokens, badImage, message) => {
    expect(() => imagePlaceholders(config, 3, badTokens, badImage)).toThrow(new KernelInputError(message));
  });

  test('an image for a text model is refused', () => {
    const text = parseModelConfig(tinyLlamaConfigJson());
    expect(() => imagePlaceholders(text, 7, tokens, image)).toThrow(
      'sequence 7: an image was given, but this llama model has no vision_config (it reads text only); ' +
        'send the tokens without the image, or load a vision-language model',
    );
  });
});
