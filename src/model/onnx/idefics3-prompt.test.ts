// The Idefics3 prompt expansion on hand-written cases (transformers.js's Idefics3Processor).
import { describe, expect, test } from 'vitest';
import { expandImagePrompt, imagePromptString, imageTokenCount } from './idefics3-prompt';

const FAKE = '<fake_token_around_image>';

describe('imagePromptString', () => {
  test('an unsplit image: fake, global, image_seq_len images, fake', () => {
    expect(imagePromptString(0, 0, 2)).toBe(`${FAKE}<global-img><image><image>${FAKE}`);
  });

  test('a split image: each tile with its row and column, a newline per row, then the global image', () => {
    expect(imagePromptString(2, 2, 1)).toBe(
      `${FAKE}<row_1_col_1><image>${FAKE}<row_1_col_2><image>\n` +
        `${FAKE}<row_2_col_1><image>${FAKE}<row_2_col_2><image>\n` +
        `\n${FAKE}<global-img><image>${FAKE}`,
    );
  });

  test('the number of <image> tokens is what imageTokenCount says', () => {
    for (const [rows, cols, len] of [
      [0, 0, 9],
      [4, 4, 64],
      [3, 4, 2],
    ]) {
      const count = imagePromptString(rows, cols, len).split('<image>').length - 1;
      expect(count).toBe(imageTokenCount(rows, cols, len));
    }
    expect(imageTokenCount(4, 4, 64)).toBe(1088); // SmolVLM-256M on a 512 x 512 image
  });

  test('refuses sizes that are not whole numbers', () => {
    expect(() => imagePromptString(1.5, 2, 64)).toThrow(RangeError);
    expect(() => imagePromptString(0, 0, 0)).toThrow('image_seq_len > 0');
  });
});

describe('expandImagePrompt', () => {
  test("SmolVLM's chat prompt with one image", () => {
    const text = '<|im_start|>User:<image>Can you describe this image?<end_of_utterance>\nAssistant:';
    expect(expandImagePrompt(text, [{ rows: 0, cols: 0 }], 1)).toBe(
      `<|im_start|>User:${FAKE}<global-img><image>${FAKE}Can you describe this image?<end_of_utterance>\nAssistant:`,
    );
  });

  test('each <image> takes its own image, in order', () => {
    const out = expandImagePrompt(
      'a<image>b<image>c',
      [
        { rows: 0, cols: 0 },
        { rows: 1, cols: 1 },
      ],
      1,
    );
    expect(out).toBe(
      `a${FAKE}<global-img><image>${FAKE}b${FAKE}<row_1_col_1><image>\n\n${FAKE}<global-img><image>${FAKE}c`,
    );
  });

  test('a prompt with another number of <image> than images is refused', () => {
    expect(() => expandImagePrompt('no image here', [{ rows: 0, cols: 0 }], 4)).toThrow(
      'the prompt has 0 "<image>" placeholder(s) but 1 image(s) were given',
    );
  });
});
