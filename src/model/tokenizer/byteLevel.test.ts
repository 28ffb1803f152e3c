// The byte-level alphabet (GPT-2's bytes_to_unicode) and the display of partial UTF-8.
import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR, byteLevelTokenToBytes, bytesToDisplayText, textToByteLevel } from './byteLevel';

describe('byte-level alphabet', () => {
  it('maps the 256 bytes to 256 distinct single characters, printable ones to themselves', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(BYTE_TO_CHAR.every((char) => char.length === 1)).toBe(true);
    expect(BYTE_TO_CHAR['a'.charCodeAt(0)]).toBe('a');
    expect(BYTE_TO_CHAR[0xe9]).toBe('é');
  });

  it('uses the GPT-2 symbols for space, newline and the bytes of é', () => {
    expect(BYTE_TO_CHAR[0x20]).toBe('Ġ');
    expect(BYTE_TO_CHAR[0x0a]).toBe('Ċ');
    expect(textToByteLevel(' the')).toBe('Ġthe');
    expect(textToByteLevel('é')).toBe('Ã©');
  });

  it('turns tokens back into bytes, and refuses characters outside the alphabet', () => {
    expect([...(byteLevelTokenToBytes('Ġthe') ?? [])]).toEqual([0x20, 0x74, 0x68, 0x65]);
    expect(byteLevelTokenToBytes('<|im_end|>')).not.toBeNull(); // ASCII is in the alphabet
    expect(byteLevelTokenToBytes('▁the')).toBeNull();
  });
});

describe('bytesToDisplayText', () => {
  const show = (bytes: number[]) => bytesToDisplayText(new Uint8Array(bytes));

  it('shows complete characters as text', () => {
    expect(show([0x68, 0xc3, 0xa9, 0xf0, 0x9f, 0x99, 0x82])).toBe('hé🙂');
  });

  it('shows bytes that do not form a complete character as <0xNN>', () => {
    expect(show([0xf0, 0x9f])).toBe('<0xF0><0x9F>');
    expect(show([0x99, 0x82])).toBe('<0x99><0x82>');
    expect(show([0x61, 0xc3])).toBe('a<0xC3>');
    expect(show([0xc0, 0x80])).toBe('<0xC0><0x80>'); // overlong encoding of NUL
    expect(show([0xed, 0xa0, 0x80])).toBe('<0xED><0xA0><0x80>'); // a UTF-16 surrogate
  });
});
