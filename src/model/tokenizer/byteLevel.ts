// GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable character so that a
// BPE vocabulary can be stored as JSON strings ("Ġ" is byte 0x20, a space). We need our own copy
// because @huggingface/tokenizers 0.2.0 does not export its table, and two places need it: the
// fixtures build a vocabulary from it, and `decodeToken` turns one token back into bytes to show
// it in a UI without the replacement characters a lone UTF-8 fragment would decode to.

/** byte → character, the mapping of GPT-2's `bytes_to_unicode()`. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable: number[] = [];
  const ranges: [number, number][] = [
    [0x21, 0x7e], // '!'..'~'
    [0xa1, 0xac], // '¡'..'¬'
    [0xae, 0xff], // '®'..'ÿ'
  ];
  for (const [first, last] of ranges) for (let b = first; b <= last; b++) printable.push(b);
  const table = new Array<string>(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    // Printable Latin-1 bytes stand for themselves; the rest are moved to U+0100 and up.
    table[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + shifted++);
  }
  return table;
})();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]));

/** The bytes a byte-level token stands for, or null when a character is outside the alphabet. */
export function byteLevelTokenToBytes(token: string): Uint8Array | null {
  const chars = [...token];
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) {
    const byte = CHAR_TO_BYTE.get(chars[i]);
    if (byte === undefined) return null;
    bytes[i] = byte;
  }
  return bytes;
}

/** Text in byte-level characters ("Ġthe") for a UTF-8 string (" the"). */
export function textToByteLevel(text: string): string {
  return Array.from(new TextEncoder().encode(text), (byte) => BYTE_TO_CHAR[byte]).join('');
}

/** Length of the UTF-8 sequence a lead byte starts, or 0 when the byte cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bytes as display text: complete UTF-8 characters as themselves, every byte that is not part of
 * a complete character as `<0xF0>` (the notation of Llama's byte-fallback tokens), so a token that
 * holds half an emoji shows what it holds instead of "�".
 */
export function bytesToDisplayText(bytes: Uint8Array): string {
  let text = '';
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes[i]);
    if (length > 0 && i + length <= bytes.length) {
      try {
        text += strictUtf8.decode(bytes.subarray(i, i + length));
        i += length;
        continue;
      } catch {
        // Not a valid sequence (bad continuation byte, surrogate, overlong): fall through.
      }
    }
    text += `<0x${bytes[i].toString(16).toUpperCase().padStart(2, '0')}>`;
    i += 1;
  }
  return text;
}
