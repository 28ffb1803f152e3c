// Byte helpers for the link codec: base64url without padding (RFC 4648 §5), strict UTF-8, a
// size-capped raw-DEFLATE inflater and canonical JSON. Pure; fflate is the only import.
import { Inflate } from 'fflate';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** base64url without '=' padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
    if (i + 1 < bytes.length) out += ALPHABET[(n >> 6) & 63];
    if (i + 2 < bytes.length) out += ALPHABET[n & 63];
  }
  return out;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Strict base64url decoding: only the 64 URL-safe characters, no padding, and the unused low bits of
 * the last character must be zero (so each byte string has exactly one spelling and a cut or edited
 * link is more often caught here than later).
 */
export function decodeBase64Url(text: string): Decoded<Uint8Array> {
  if (text.length % 4 === 1) {
    return {
      ok: false,
      message: `${text.length} base64url characters cannot encode whole bytes (the link was cut)`,
    };
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let bitCount = 0;
  let written = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? DECODE[code] : -1;
    if (value < 0) {
      return {
        ok: false,
        message: `character ${JSON.stringify(text[i])} at position ${i} cannot appear in a LogitLab link (it was altered when copied)`,
      };
    }
    bits = ((bits << 6) | value) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[written++] = (bits >> bitCount) & 0xff;
    }
  }
  if ((bits & ((1 << bitCount) - 1)) !== 0) {
    return { ok: false, message: 'the last character has stray bits (the link was cut or altered)' };
  }
  return { ok: true, value: out };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function decodeUtf8(bytes: Uint8Array): Decoded<string> {
  try {
    return { ok: true, value: utf8Decoder.decode(bytes) };
  } catch {
    return { ok: false, message: 'the content is not valid UTF-8 text' };
  }
}

/** Input is fed to the inflater in slices this big, so one push expands to at most ~264 KB (DEFLATE tops out near 1032:1). */
const INFLATE_SLICE = 256;

const OVER_LIMIT = Symbol('over limit');

export type InflateResult =
  { ok: true; value: Uint8Array } | { ok: false; tooLarge: boolean; message: string };

/**
 * Inflates raw DEFLATE, stopping as soon as the output would pass `maxBytes`: a zip bomb costs at
 * most `maxBytes` plus one slice's expansion of memory and time, never its full size.
 */
export function inflateBounded(compressed: Uint8Array, maxBytes: number): InflateResult {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    // Throwing from the callback unwinds out of push(): the only way to stop fflate mid-stream.
    if (total > maxBytes) throw OVER_LIMIT;
    chunks.push(chunk);
  });
  try {
    if (compressed.length === 0) throw new Error('no data');
    for (let start = 0; start < compressed.length; start += INFLATE_SLICE) {
      const end = Math.min(start + INFLATE_SLICE, compressed.length);
      // The last slice is always non-empty and pushed as final, so a truncated stream raises "unexpected EOF".
      inflater.push(compressed.subarray(start, end), end === compressed.length);
    }
  } catch (error) {
    if (error === OVER_LIMIT) {
      return { ok: false, tooLarge: true, message: `inflates to more than ${maxBytes} bytes` };
    }
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, tooLarge: false, message: `the compressed data is damaged (${reason})` };
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return { ok: true, value: out };
}

/**
 * JSON with object keys sorted at every level and undefined fields left out: the same value always
 * gives the same text, whatever order its fields were assigned in. Only for plain JSON data.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const fields = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${fields.join(',')}}`;
}
