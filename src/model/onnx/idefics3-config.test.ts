// The configuration of an Idefics3 folder (config.json, preprocessor_config.json,
// processor_config.json) and the checks of its vision_encoder and embed_tokens graphs.
import { describe, expect, test } from 'vitest';
import { ModelLoadError } from '../loading/errors';
import { isIdefics3ConfigJson, parseIdefics3Config } from './idefics3-config';
import { matchEmbedTokensLayout, matchVisionEncoderLayout } from './idefics3-layout';
import type { GraphValue } from './layout';

/** The parts of onnx-community/SmolVLM-256M-Instruct's config.json this backend reads. */
const SMOLVLM_CONFIG = {
  architectures: ['Idefics3ForConditionalGeneration'],
  model_type: 'idefics3',
  image_token_id: 49190,
  scale_factor: 4,
  text_config: {
    model_type: 'llama',
    vocab_size: 49280,
    hidden_size: 576,
    intermediate_size: 1536,
    num_hidden_layers: 30,
    num_attention_heads: 9,
    num_key_value_heads: 3,
    head_dim: 64,
    max_position_embeddings: 8192,
    rms_norm_eps: 1e-5,
    rope_theta: 100000,
  },
  vision_config: { image_size: 512, patch_size: 16, num_channels: 3, hidden_size: 768 },
};
const SMOLVLM_PREPROCESSOR = {
  do_image_splitting: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
  max_image_size: { longest_edge: 512 },
  rescale_factor: 0.00392156862745098,
  size: { longest_edge: 2048 },
};

function refusal(run: () => unknown): ModelLoadError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelLoadError);
    return error as ModelLoadError;
  }
  throw new Error('expected a refusal');
}

describe('parseIdefics3Config', () => {
  test('SmolVLM-256M: the text decoder, and images of 512 x 512 as 17 frames x 64 <image> tokens', () => {
    expect(isIdefics3ConfigJson(SMOLVLM_CONFIG)).toBe(true);
    expect(isIdefics3ConfigJson({ model_type: 'llama' })).toBe(false);
    const parsed = parseIdefics3Config(SMOLVLM_CONFIG, SMOLVLM_PREPROCESSOR, { image_seq_len: 64 });
    expect(parsed.config).toMatchObject({
      architecture: 'llama',
      vocabSize: 49280,
      hiddenSize: 576,
      numLayers: 30,
      numKeyValueHeads: 3,
      headDim: 64,
    });
    expect(parsed.config.vision).toEqual({
      imageSize: 512,
      patchSize: 16,
      channels: 3,
      numPatches: 17 * 64,
      patchDim: 16 * 16 * 3,
      imageTokenId: 49190,
    });
    expect(parsed.imageSeqLen).toBe(64);
    expect(parsed.geometry).toMatchObject({ rows: 4, cols: 4, frames: 17 });
  });

  test('image_seq_len without processor_config.json: (image_size / patch_size / scale_factor)^2', () => {
    expect(parseIdefics3Config(SMOLVLM_CONFIG, SMOLVLM_PREPROCESSOR, null).imageSeqLen).toBe(
      (512 / 16 / 4) ** 2,
    );
  });

  test('the image size and splitting can be chosen', () => {
    const single = parseIdefics3Config(
      SMOLVLM_CONFIG,
      SMOLVLM_PREPROCESSOR,
      { image_seq_len: 64 },
      {
        imageSplitting: false,
      },
    );
    expect(single.config.vision.numPatches).toBe(64);
    const small = parseIdefics3Config(
      SMOLVLM_CONFIG,
      SMOLVLM_PREPROCESSOR,
      { image_seq_len: 64 },
      { imageSize: 256 },
    );
    // 256 -> 2048 (longest_edge) -> 4 x 4 tiles + global, whatever the input size
    expect(small.config.vision).toMatchObject({ imageSize: 256, numPatches: 17 * 64 });
  });

  test('refusals name the file and the key', () => {
    const noToken = refusal(() =>
      parseIdefics3Config({ ...SMOLVLM_CONFIG, image_token_id: 50000 }, SMOLVLM_PREPROCESSOR, null),
    );
    expect(noToken.message).toContain(
      '"image_token_id" must be a token id below vocab_size 49280, got 50000',
    );
    const text = refusal(() => parseIdefics3Config({ model_type: 'llama' }, SMOLVLM_PREPROCESSOR, null));
    expect(text.message).toContain('model_type "llama" is not an Idefics3 layout (idefics3, smolvlm)');
    const grey = refusal(() =>
      parseIdefics3Config(
        { ...SMOLVLM_CONFIG, vision_config: { ...SMOLVLM_CONFIG.vision_config, num_channels: 1 } },
        SMOLVLM_PREPROCESSOR,
        null,
      ),
    );
    expect(grey.message).toContain('vision_config.num_channels is 1; Idefics3 reads RGB (3)');
    const noSeqLen = refusal(() =>
      parseIdefics3Config({ ...SMOLVLM_CONFIG, vision_config: {} }, SMOLVLM_PREPROCESSOR, null),
    );
    expect(noSeqLen.kind).toBe('missing-file');
    expect(noSeqLen.message).toContain('processor_config.json with "image_seq_len" is missing');
  });
});

const value = (name: string, type: string, shape: (number | string)[] | null = null): GraphValue => ({
  name,
  type,
  shape,
});
const EXPECT = { channels: 3, frameSize: 512, hiddenSize: 576 };
const PIXELS = value('pixel_values', 'float32', ['batch_size', 'num_images', 3, 'height', 'width']);
const MASK = value('pixel_attention_mask', 'bool', ['batch_size', 'num_images', 'height', 'width']);
const FEATURES = value('image_features', 'float32', ['num_frames', 64, 576]);

describe('matchVisionEncoderLayout', () => {
  test("SmolVLM's vision_encoder, with or without pixel_attention_mask", () => {
    expect(matchVisionEncoderLayout([PIXELS, MASK], [FEATURES], 'onnx/vision_encoder.onnx', EXPECT)).toEqual({
      pixelType: 'float32',
      attentionMask: true,
      featuresType: 'float32',
    });
    expect(
      matchVisionEncoderLayout([PIXELS], [FEATURES], 'onnx/vision_encoder.onnx', EXPECT).attentionMask,
    ).toBe(false);
  });

  test('other names are refused with the names found and expected', () => {
    const error = refusal(() =>
      matchVisionEncoderLayout([value('images', 'float32')], [FEATURES], 'onnx/vision_encoder.onnx', EXPECT),
    );
    expect(error.kind).toBe('format');
    expect(error.file).toBe('onnx/vision_encoder.onnx');
    expect(error.message).toContain('missing inputs pixel_values; inputs this backend cannot feed: images');
    expect(error.message).toContain('It has inputs [images] and outputs [image_features]');
    expect(error.message).toContain(
      'expected inputs [pixel_values] (optional: pixel_attention_mask) and outputs [image_features]',
    );
    const swapped = refusal(() =>
      matchVisionEncoderLayout(
        [value('input_ids', 'int64')],
        [value('inputs_embeds', 'float32')],
        'onnx/vision_encoder.onnx',
        EXPECT,
      ),
    );
    expect(swapped.message).toContain('it looks like the embed_tokens graph, not the vision_encoder');
  });

  test('frames of another size or features of another width are a mismatch', () => {
    const fixed = value('pixel_values', 'float32', [1, 'num_images', 3, 384, 384]);
    expect(refusal(() => matchVisionEncoderLayout([fixed], [FEATURES], 'f', EXPECT)).message).toContain(
      'but the frame height (max_image_size.longest_edge) is 512',
    );
    const narrow = value('image_features', 'float32', ['n', 64, 960]);
    expect(refusal(() => matchVisionEncoderLayout([PIXELS], [narrow], 'f', EXPECT)).kind).toBe('mismatch');
    const intMask = value('pixel_attention_mask', 'int64');
    expect(
      refusal(() => matchVisionEncoderLayout([PIXELS, intMask], [FEATURES], 'f', EXPECT)).message,
    ).toContain('input pixel_attention_mask is int64; this backend feeds bool');
  });
});

describe('matchEmbedTokensLayout', () => {
  test('input_ids -> inputs_embeds, and refusals', () => {
    const ids = value('input_ids', 'int64', ['batch_size', 'sequence_length']);
    const embeds = value('inputs_embeds', 'float16', ['batch_size', 'sequence_length', 576]);
    expect(matchEmbedTokensLayout([ids], [embeds], 'onnx/embed_tokens_fp16.onnx', 576)).toEqual({
      embedsType: 'float16',
    });
    const renamed = refusal(() => matchEmbedTokensLayout([ids], [value('embeddings', 'float32')], 'e', 576));
    expect(renamed.message).toContain('missing outputs inputs_embeds');
    expect(renamed.message).toContain('It has inputs [input_ids] and outputs [embeddings]');
    expect(refusal(() => matchEmbedTokensLayout([ids], [embeds], 'e', 960)).kind).toBe('mismatch');
  });
});
