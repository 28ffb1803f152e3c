// The Idefics3 / SmolVLM prompt expansion, as transformers.js's Idefics3Processor does it
// (huggingface/transformers.js, src/models/idefics3/processing_idefics3.js: _prompt_split_image,
// _prompt_single_image, get_image_prompt_string, Idefics3Processor._call). Each "<image>" of the
// text becomes, for an image split into rows x cols tiles:
//
//   for each row r, each column c:  <fake_token_around_image><row_r_col_c><image> x image_seq_len
//   then "\n" after each row, and   \n<fake_token_around_image><global-img><image> x image_seq_len<fake_token_around_image>
//
// and for an unsplit image (rows = cols = 0):
//   <fake_token_around_image><global-img><image> x image_seq_len<fake_token_around_image>
//
// Every "<image>" token of the result receives one row of the vision encoder's image_features, in
// order (default_merge_input_ids_with_image_features). Pure; the tokenizer turns the text into ids.
// Interpretation: transformers.js does not check that the text has one "<image>" per image (it
// appends "undefined" when it has fewer); this module refuses the mismatch, as transformers does.

export const IDEFICS3_TOKENS = {
  fakeImage: '<fake_token_around_image>',
  image: '<image>',
  globalImage: '<global-img>',
} as const;

/** The text that replaces one "<image>" of the prompt (get_image_prompt_string). */
export function imagePromptString(rows: number, cols: number, imageSeqLen: number): string {
  if (![rows, cols, imageSeqLen].every((n) => Number.isInteger(n) && n >= 0) || imageSeqLen === 0) {
    throw new RangeError(
      `imagePromptString: rows ${rows}, cols ${cols} and image_seq_len ${imageSeqLen} must be whole numbers (image_seq_len > 0)`,
    );
  }
  const { fakeImage, image, globalImage } = IDEFICS3_TOKENS;
  const tokens = image.repeat(imageSeqLen);
  const global = `${fakeImage}${globalImage}${tokens}${fakeImage}`;
  if (rows === 0 && cols === 0) return global;
  let text = '';
  for (let r = 1; r <= rows; r++) {
    for (let c = 1; c <= cols; c++) text += `${fakeImage}<row_${r}_col_${c}>${tokens}`;
    text += '\n';
  }
  return `${text}\n${global}`;
}

/** How many "<image>" tokens one image becomes (rows x cols + 1 frames, or 1, times image_seq_len). */
export function imageTokenCount(rows: number, cols: number, imageSeqLen: number): number {
  return (rows === 0 && cols === 0 ? 1 : rows * cols + 1) * imageSeqLen;
}

/** `text` with its k-th "<image>" expanded for images[k] (Idefics3Processor._call, one sample). */
export function expandImagePrompt(
  text: string,
  images: readonly { rows: number; cols: number }[],
  imageSeqLen: number,
): string {
  const parts = text.split(IDEFICS3_TOKENS.image);
  if (parts.length - 1 !== images.length) {
    throw new RangeError(
      `the prompt has ${parts.length - 1} "${IDEFICS3_TOKENS.image}" placeholder(s) but ${images.length} image(s) ` +
        'were given: put one "<image>" where each image goes',
    );
  }
  let expanded = parts[0];
  images.forEach(({ rows, cols }, k) => {
    expanded += imagePromptString(rows, cols, imageSeqLen) + parts[k + 1];
  });
  return expanded;
}
