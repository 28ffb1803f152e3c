// safetensors writer: training saves checkpoints with it and tests build fixture models with it.
// Layout follows the reference implementation: tensors sorted by name, packed back to back, the
// JSON header padded with spaces to a multiple of 8 bytes so F32 data starts 8-byte aligned.
import { f32ArrayToBf16, f32ArrayToF16 } from './float16';
import { ModelLoadError, formatShape } from './errors';
import type { FloatDtype } from './safetensors';

export interface TensorToWrite {
  dtype: FloatDtype;
  shape: readonly number[];
  /**
   * Float32Array: values, converted to `dtype` (round to nearest even).
   * Uint16Array: raw F16/BF16 bits, written as is. Uint8Array: raw little-endian bytes in `dtype`.
   */
  data: Float32Array | Uint16Array | Uint8Array;
}

const ELEMENT_BYTES: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function encodeTensor(name: string, tensor: TensorToWrite): Uint8Array {
  const { dtype, shape, data } = tensor;
  if (!(dtype in ELEMENT_BYTES)) {
    throw new ModelLoadError(
      'input',
      `writeSafetensors: tensor ${name} has dtype ${String(dtype)}; use F32, F16 or BF16`,
    );
  }
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ModelLoadError(
      'input',
      `writeSafetensors: tensor ${name} has shape ${formatShape(shape)}; dimensions must be non-negative integers`,
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * ELEMENT_BYTES[dtype];
  let encoded: Uint8Array;
  if (data instanceof Float32Array) {
    const words = dtype === 'F32' ? data : dtype === 'F16' ? f32ArrayToF16(data) : f32ArrayToBf16(data);
    encoded = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  } else if (data instanceof Uint16Array) {
    if (dtype === 'F32') {
      throw new ModelLoadError(
        'input',
        `writeSafetensors: tensor ${name} is F32 but its data is a Uint16Array; pass a Float32Array`,
      );
    }
    encoded = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    encoded = data;
  }
  if (encoded.byteLength !== bytes) {
    throw new ModelLoadError(
      'input',
      `writeSafetensors: tensor ${name} has shape ${formatShape(shape)} (${count} ${dtype} values, ${bytes} bytes) ` +
        `but its data holds ${encoded.byteLength} bytes`,
    );
  }
  return encoded;
}

/** Serialises `tensors` (and string metadata) into one safetensors file. */
export function writeSafetensors(
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array<ArrayBuffer> {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') {
      throw new ModelLoadError(
        'input',
        'writeSafetensors: "__metadata__" is reserved and cannot name a tensor',
      );
    }
    const encoded = encodeTensor(name, tensors[name]);
    header[name] = {
      dtype: tensors[name].dtype,
      shape: [...tensors[name].shape],
      data_offsets: [offset, offset + encoded.byteLength],
    };
    parts.push(encoded);
    offset += encoded.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let position = 8 + headerBytes;
  for (const part of parts) {
    out.set(part, position);
    position += part.byteLength;
  }
  return out;
}
