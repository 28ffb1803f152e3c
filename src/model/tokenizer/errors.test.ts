// Every malformed input gives an error that names the file and the value (issue 3, item 8).
import { describe, expect, it } from 'vitest';
import { eosTokenIdsFromGenerationConfig } from './files';
import { byteLevelBpeTokenizerFiles, wordLevelTokenizerFiles } from './fixtures';
import { TextTokenizer } from './tokenizer';

/** The WordLevel fixture's tokenizer.json with one change applied. */
function brokenWordLevel(change: (json: Record<string, unknown>, model: Record<string, unknown>) => void) {
  const { tokenizerJson, tokenizerConfig } = wordLevelTokenizerFiles();
  change(tokenizerJson, tokenizerJson.model as Record<string, unknown>);
  return () => TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
}

describe('malformed tokenizer.json', () => {
  it('text that is not JSON', () => {
    const truncated = JSON.stringify(wordLevelTokenizerFiles().tokenizerJson).slice(0, 100);
    expect(() => TextTokenizer.fromJson(truncated, null)).toThrow(
      /^tokenizer\.json: not valid JSON \(.+\): the file is truncated or not tokenizer\.json$/,
    );
  });

  it('bytes that are not UTF-8, named with the given file name', () => {
    expect(() => TextTokenizer.fromJson(new Uint8Array([0xff, 0xfe, 0x00]), null, 'model/tok.json')).toThrow(
      'model/tok.json: not valid JSON (the bytes are not UTF-8 text): is this the right file?',
    );
  });

  it('JSON that is not an object', () => {
    expect(() => TextTokenizer.fromJson('[1, 2]', null)).toThrow(
      'tokenizer.json: expected a JSON object at the top level, got an array',
    );
    expect(() => TextTokenizer.fromJson(null, null)).toThrow(
      'tokenizer.json: expected a JSON object at the top level, got null',
    );
  });

  it('no "model" section (e.g. config.json picked by mistake)', () => {
    expect(() => TextTokenizer.fromJson({ architectures: ['GPT2LMHeadModel'] }, null)).toThrow(
      'tokenizer.json: has no "model" section (got undefined); a Hugging Face tokenizer.json always has one: is this the right file?',
    );
  });

  it('an unsupported or missing model type', () => {
    expect(brokenWordLevel((_, model) => (model.type = 'Foo'))).toThrow(
      'tokenizer.json: model type "Foo" is not supported (supported: BPE, WordPiece, Unigram, WordLevel)',
    );
    expect(brokenWordLevel((_, model) => delete model.type)).toThrow(
      'tokenizer.json: the "model" section has no "type" (expected one of BPE, WordPiece, Unigram, WordLevel)',
    );
  });

  it('a vocab that is missing, empty or has a bad id', () => {
    expect(brokenWordLevel((_, model) => delete model.vocab)).toThrow(
      `tokenizer.json: the WordLevel model's "vocab" must be a non-empty object mapping tokens to ids, got undefined`,
    );
    expect(brokenWordLevel((_, model) => (model.vocab = {}))).toThrow(/"vocab" must be a non-empty object/);
    expect(brokenWordLevel((_, model) => ((model.vocab as Record<string, unknown>).red = -3))).toThrow(
      'tokenizer.json: the vocab maps "red" to number -3; ids must be non-negative integers',
    );
  });

  it('a BPE model without merges', () => {
    const { tokenizerJson } = byteLevelBpeTokenizerFiles();
    delete (tokenizerJson.model as Record<string, unknown>).merges;
    expect(() => TextTokenizer.fromJson(tokenizerJson, null)).toThrow(
      'tokenizer.json: the BPE model has no "merges" list (got undefined)',
    );
  });

  it('a model unk_token that is not in the vocab', () => {
    expect(brokenWordLevel((_, model) => (model.unk_token = '<unk>'))).toThrow(
      'tokenizer.json: the model\'s unk_token "<unk>" is not in its vocab',
    );
  });

  it('malformed added_tokens', () => {
    expect(brokenWordLevel((json) => (json.added_tokens = { '[PAD]': 0 }))).toThrow(
      'tokenizer.json: "added_tokens" must be a list, got an object',
    );
    expect(brokenWordLevel((json) => (json.added_tokens = [{ id: '0', content: '[PAD]' }]))).toThrow(
      'tokenizer.json: added_tokens[0] must be an object with a string "content" and an integer "id", got {"id":"0","content":"[PAD]"}',
    );
  });

  it('a component type the library does not know, with the library message', () => {
    expect(brokenWordLevel((json) => (json.pre_tokenizer = { type: 'Quantum' }))).toThrow(
      'tokenizer.json: @huggingface/tokenizers 0.2.0 could not build a tokenizer from it: Unknown PreTokenizer type: Quantum',
    );
  });

  it('a WordLevel model with no unk token: encoding an unknown word names the piece', () => {
    const { tokenizerJson, tokenizerConfig } = wordLevelTokenizerFiles();
    delete (tokenizerJson.model as Record<string, unknown>).unk_token;
    delete tokenizerConfig.unk_token;
    tokenizerJson.added_tokens = (tokenizerJson.added_tokens as { content: string }[]).filter(
      (t) => t.content !== '[UNK]',
    );
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
    expect(tokenizer.encode('a red star')).toHaveLength(4);
    expect(() => tokenizer.encode('a red zebra')).toThrow(
      'tokenizer.json: the piece "zebra" of "a red zebra" has no id: it is not in the vocabulary and the model defines no unk_token',
    );
  });
});

describe('malformed tokenizer_config.json and generation_config.json', () => {
  const { tokenizerJson } = wordLevelTokenizerFiles();

  it('a config that is not JSON or not an object', () => {
    expect(() => TextTokenizer.fromJson(tokenizerJson, '{"bos_token": ')).toThrow(
      /^tokenizer_config\.json: not valid JSON \(.+\): the file is truncated or not tokenizer_config\.json$/,
    );
    expect(() => TextTokenizer.fromJson(tokenizerJson, 'true')).toThrow(
      'tokenizer_config.json: expected a JSON object at the top level, got boolean true',
    );
  });

  it('a special token of the wrong shape', () => {
    expect(() => TextTokenizer.fromJson(tokenizerJson, { eos_token: { text: '[EOS]' } })).toThrow(
      'tokenizer_config.json: "eos_token" must be a string or an object with a string "content", got {"text":"[EOS]"}',
    );
  });

  it('a special token that is not in the vocabulary (files of two different tokenizers)', () => {
    expect(() => TextTokenizer.fromJson(tokenizerJson, { eos_token: '</s>' })).toThrow(
      'tokenizer_config.json: eos_token "</s>" is not in the vocabulary of tokenizer.json: the two files do not belong to the same tokenizer',
    );
  });

  it('a bad eos_token_id in generation_config.json, and an eos id outside the vocabulary', () => {
    expect(() => eosTokenIdsFromGenerationConfig({ eos_token_id: [3, 'x'] })).toThrow(
      'generation_config.json: "eos_token_id" must be a non-negative integer or a list of them, got [3,"x"]',
    );
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, null);
    expect(() => tokenizer.addEosTokenIds([151_645])).toThrow(
      'generation_config.json: eos_token_id: token id 151645 is not in the vocabulary of tokenizer.json (size 43)',
    );
  });
});

describe('bad ids', () => {
  const { tokenizerJson, tokenizerConfig } = byteLevelBpeTokenizerFiles();
  const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);

  it('decode and decodeToken reject ids outside the vocabulary', () => {
    expect(() => tokenizer.decode([104, 50_256])).toThrow(
      "decode: token id 50256 is not in the vocabulary of tokenizer.json (size 276): the ids come from a different model or the model's head is larger than its tokenizer",
    );
    expect(() => tokenizer.decode([1.5])).toThrow('decode: token id 1.5 is not in the vocabulary');
    expect(() => tokenizer.decodeToken(-1)).toThrow('decodeToken: token id -1 is not in the vocabulary');
  });
});
