// The safetensors reader and writer: round trips in every dtype we load, zero-copy views, and
// one test per malformed input asserting the message a user would read.
import { describe, expect, test } from 'vitest';
import { parseSafetensors, parseSafetensorsHeader, MAX_HEADER_BYTES } from './safetensors';
import { writeSafetensors } from './safetensorsWriter';
import { f32ArrayToBf16, f32ArrayToF16 } from './float16';
import { ModelLoadError } from './errors';

const FILE = 'model.safetensors';

/** A file with an arbitrary header (object or raw text) and data section. */
function rawFile(
  header: unknown,
  data = new Uint8Array(0),
  declaredLength?: number,
): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function errorOf(run: () => unknown): ModelLoadError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelLoadError);
    return error as ModelLoadError;
  }
  throw new Error('expected a ModelLoadError');
}

const parseMessage = (bytes: Uint8Array<ArrayBuffer>): string =>
  errorOf(() => parseSafetensors(bytes, FILE)).message;

describe('writeSafetensors → parseSafetensors', () => {
  const values = new Float32Array([
    0,
    1,
    -2.5,
    3.140625,
    65504,
    2 ** -24,
    -Infinity,
    Infinity,
    NaN,
    1e-3,
    7,
    -0,
  ]);

  test('F32, F16 and BF16 round-trip (values as F32, raw bits kept)', () => {
    const bytes = writeSafetensors(
      {
        'a.f32': { dtype: 'F32', shape: [3, 4], data: values },
        'b.f16': { dtype: 'F16', shape: [12], data: values },
        'c.bf16': { dtype: 'BF16', shape: [2, 2, 3], data: values },
        'd.raw': { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0x0001]) },
      },
      { format: 'pt', note: 'tiny' },
    );
    const { header, tensors } = parseSafetensors(bytes, FILE);
    expect(header.metadata).toEqual({ format: 'pt', note: 'tiny' });
    expect(header.dataOffset % 8).toBe(0);
    expect(header.declaredFileBytes).toBe(bytes.length);
    expect([...tensors.keys()]).toEqual(['a.f32', 'b.f16', 'c.bf16', 'd.raw']);
    const a = tensors.get('a.f32')!;
    expect(a.shape).toEqual([3, 4]);
    expect(a.dtype).toBe('F32');
    expect([...a.toFloat32()]).toEqual([...values]);
    // F16: exact for representable values; 1e-3 is rounded like PyTorch's .half().
    const b = tensors.get('b.f16')!;
    expect([...b.halfBits()]).toEqual([...f32ArrayToF16(values)]);
    expect([...b.toFloat32()]).toEqual([
      0,
      1,
      -2.5,
      3.140625,
      65504,
      2 ** -24,
      -Infinity,
      Infinity,
      NaN,
      1049 * 2 ** -20, // 1e-3 rounded to F16
      7,
      -0,
    ]);
    const c = tensors.get('c.bf16')!;
    expect([...c.halfBits()]).toEqual([...f32ArrayToBf16(values)]);
    expect(c.toFloat32()[3]).toBe(3.140625);
    expect([...tensors.get('d.raw')!.toFloat32()]).toEqual([1, 2 ** -24]);
  });

  test('tensors are views into the file buffer, not copies', () => {
    const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    const w = parseSafetensors(bytes, FILE).tensors.get('w')!;
    expect(w.bytes.buffer).toBe(bytes.buffer);
    expect(w.toFloat32().buffer).toBe(bytes.buffer);
    expect(w.bytes.byteLength).toBe(8);
  });

  test('unaligned data (a header length not a multiple of 4) still converts', () => {
    const data = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const bytes = rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data);
    const parsed = parseSafetensors(bytes, FILE);
    expect(parsed.header.dataOffset % 4).not.toBe(0);
    expect([...parsed.tensors.get('w')!.toFloat32()]).toEqual([1.5, -2]);
  });

  test('empty and scalar tensors, and no metadata', () => {
    const bytes = writeSafetensors({
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      scalar: { dtype: 'BF16', shape: [], data: new Float32Array([2]) },
    });
    const parsed = parseSafetensors(bytes, FILE);
    expect(parsed.header.metadata).toBeNull();
    expect(parsed.tensors.get('empty')!.toFloat32().length).toBe(0);
    expect([...parsed.tensors.get('scalar')!.toFloat32()]).toEqual([2]);
  });

  test('the header parses from the first 8 + N bytes alone', () => {
    const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } });
    const prefixLength = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = parseSafetensorsHeader(bytes.subarray(0, prefixLength), FILE, bytes.length);
    expect(header.tensors).toEqual([{ name: 'w', dtype: 'F32', shape: [1000], begin: 0, end: 4000 }]);
  });

  test('the writer refuses data that does not match the shape, and bad dtypes/shapes', () => {
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(5) } })).toThrow(
      'writeSafetensors: tensor w has shape [2, 3] (6 F32 values, 24 bytes) but its data holds 20 bytes',
    );
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Uint16Array(2) } })).toThrow(
      'is F32 but its data is a Uint16Array',
    );
    expect(() => writeSafetensors({ w: { dtype: 'F16', shape: [-1], data: new Float32Array(0) } })).toThrow(
      'dimensions must be non-negative integers',
    );
  });
});

describe('malformed files', () => {
  const f32 = (shape: number[], offsets: number[]) => ({ dtype: 'F32', shape, data_offsets: offsets });

  test('shorter than the 8-byte length', () => {
    expect(parseMessage(new Uint8Array(5))).toBe(
      'model.safetensors: the file is 5 bytes, too short for a safetensors header (an 8-byte length, then JSON): ' +
        'the file is truncated or not safetensors',
    );
  });

  test('header length larger than the file', () => {
    expect(parseMessage(rawFile({}, new Uint8Array(40), 5000))).toBe(
      'model.safetensors: the header length field says 5.0 kB but the file is 50 bytes: the file is truncated or not safetensors',
    );
  });

  test('a header length beyond what safetensors allows', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expect(parseMessage(bytes)).toBe(
      'model.safetensors: the first 8 bytes declare a 100 MB JSON header (safetensors allows 2 bytes to 100 MB): ' +
        'the file is not safetensors',
    );
  });

  test('a Git LFS pointer, an HTML page and an index file are recognised', () => {
    const text = (s: string) => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;
    expect(
      parseMessage(text('version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n')),
    ).toContain('is a Git LFS pointer, not the weights');
    expect(parseMessage(text('<!DOCTYPE html><html><body>Not found</body></html>'))).toContain(
      'is an HTML page, not safetensors: the URL points at a web page (for the Hub use /resolve/, not /blob/)',
    );
    expect(parseMessage(text('{"metadata": {}, "weight_map": {}}'))).toContain('is JSON, not safetensors');
  });

  test('header not JSON, not UTF-8, not an object', () => {
    expect(parseMessage(rawFile('{"w": nope}'))).toMatch(
      /^model\.safetensors: the header is not valid JSON \(.+\): the file is corrupt or not safetensors$/,
    );
    const bytes = rawFile('{"w":1}');
    bytes[10] = 0xff;
    expect(parseMessage(bytes)).toContain('the header is not valid JSON');
    expect(parseMessage(rawFile('[1, 2]'))).toBe(
      'model.safetensors: the header is not a JSON object: the file is corrupt or not safetensors',
    );
  });

  test('a dtype safetensors does not define', () => {
    expect(
      parseMessage(rawFile({ 'h.0.attn.c_attn.weight': { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } })),
    ).toBe(
      'model.safetensors: tensor h.0.attn.c_attn.weight has dtype Q4, which safetensors does not define; ' +
        'LogitLab loads F32, F16 and BF16',
    );
  });

  test('a defined dtype LogitLab cannot compute with parses, but refuses conversion', () => {
    const bytes = rawFile(
      { 'h.0.attn.c_attn.weight': { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
      new Uint8Array(8),
    );
    const tensor = parseSafetensors(bytes, FILE).tensors.get('h.0.attn.c_attn.weight')!;
    expect(errorOf(() => tensor.toFloat32()).message).toBe(
      'model.safetensors: tensor h.0.attn.c_attn.weight has dtype I64; LogitLab loads F32, F16 and BF16',
    );
  });

  test.each([
    [[2, -1], 'has shape [2,-1]'],
    [[2.5], 'has shape [2.5]'],
    [['3'], 'has shape ["3"]'],
  ])('shape %j is refused', (shape, text) => {
    expect(parseMessage(rawFile({ w: f32(shape as number[], [0, 0]) }))).toBe(
      `model.safetensors: tensor w ${text}: dimensions must be non-negative integers (the header is malformed; re-export the checkpoint)`,
    );
  });

  test.each([[[0]], [[5, 1]], [[-4, 0]], [[0, 1.5]], ['0-4']])('data_offsets %j are refused', (offsets) => {
    expect(parseMessage(rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }))).toBe(
      `model.safetensors: tensor w has data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 ≤ begin ≤ end): ` +
        'the header is malformed (re-export the checkpoint)',
    );
  });

  test('data_offsets that do not match shape × dtype size', () => {
    expect(parseMessage(rawFile({ w: f32([2, 3], [0, 20]) }, new Uint8Array(24)))).toBe(
      'model.safetensors: tensor w: shape [2, 3] × F32 (4 bytes) needs 24 bytes but data_offsets [0, 20] hold 20: ' +
        'the header is malformed (re-export the checkpoint)',
    );
  });

  test('overlapping tensors', () => {
    expect(parseMessage(rawFile({ a: f32([4], [0, 16]), b: f32([4], [8, 24]) }, new Uint8Array(24)))).toBe(
      'model.safetensors: tensors a [0, 16) and b [8, 24) overlap in the data section: the header is malformed ' +
        '(re-export the checkpoint)',
    );
  });

  test('offsets beyond the end of the file: "header declares 9.2 GB but the file is 12 MB"', () => {
    const header = JSON.stringify({ 'lm_head.weight': f32([2_300_000_000], [0, 9_200_000_000]) });
    const bytes = new Uint8Array(12_000_000);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    expect(parseMessage(bytes)).toBe(
      `model.safetensors: header declares 9.2 GB but the file is 12 MB (tensor lm_head.weight ends at byte ` +
        `${9_200_000_000 + 8 + header.length}): the file is truncated or not safetensors`,
    );
  });

  test('a file cut inside the data section', () => {
    const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [100], data: new Float32Array(100) } });
    expect(parseMessage(bytes.slice(0, bytes.length - 10))).toMatch(
      /^model\.safetensors: header declares 4\d\d bytes but the file is 4\d\d bytes \(tensor w ends at byte \d+\): the file is truncated or not safetensors$/,
    );
  });

  test('malformed entries and metadata', () => {
    expect(parseMessage(rawFile({ w: 3 }))).toBe(
      'model.safetensors: tensor w is not an object: the header is malformed (re-export the checkpoint)',
    );
    expect(parseMessage(rawFile({ w: { shape: [1], data_offsets: [0, 4] } }))).toBe(
      'model.safetensors: tensor w has no "dtype" string: the header is malformed (re-export the checkpoint)',
    );
    expect(parseMessage(rawFile({ w: { dtype: 'F32', data_offsets: [0, 4] } }))).toBe(
      'model.safetensors: tensor w has no "shape" list: the header is malformed (re-export the checkpoint)',
    );
    expect(parseMessage(rawFile({ __metadata__: 'x' }))).toBe(
      'model.safetensors: "__metadata__" is not an object: the header is malformed',
    );
  });
});
