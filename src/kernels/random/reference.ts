// CPU reference for the random fills (plain loops over ./philox.ts): the spec random.ts must match
// bit for bit. Validation lives here so the GPU kernel and the reference reject the same inputs.
import { KernelInputError } from '../../gpu/errors';
import { philoxUniform, philoxUniform4, philoxWords4, type Seed } from './philox';

export interface RandomFillOptions {
  seed: Seed;
  /** Independent sequence id (u32), e.g. one per lane or per batch row. */
  stream: number;
  /** Counter of the first draw (u32); draw i uses counter firstCounter + i. */
  firstCounter: number;
  /** Number of counters (integer >= 1); firstCounter + count - 1 must stay below 2^32. */
  count: number;
}

const U32_MAX = 0xffffffff;

function isU32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= U32_MAX;
}

/** Throws KernelInputError naming the first bad value; returns the options unchanged otherwise. */
export function validateRandomFill(what: string, opts: RandomFillOptions): RandomFillOptions {
  const { seed, stream, firstCounter, count } = opts;
  if (typeof seed !== 'object' || seed === null || !isU32(seed.lo) || !isU32(seed.hi)) {
    const shown =
      typeof seed === 'object' && seed !== null ? `{lo: ${seed.lo}, hi: ${seed.hi}}` : String(seed);
    throw new KernelInputError(
      `${what}: seed must be {lo, hi} with two integers in 0..2^32-1, got ${shown}; use seedFromNumber(n).`,
    );
  }
  if (!isU32(stream)) {
    throw new KernelInputError(`${what}: stream must be an integer in 0..2^32-1, got ${String(stream)}.`);
  }
  if (!isU32(firstCounter)) {
    throw new KernelInputError(
      `${what}: firstCounter must be an integer in 0..2^32-1, got ${String(firstCounter)}.`,
    );
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new KernelInputError(`${what}: count must be an integer >= 1, got ${String(count)}.`);
  }
  if (firstCounter + count - 1 > U32_MAX) {
    throw new KernelInputError(
      `${what}: counters ${firstCounter}..${firstCounter + count - 1} run past 2^32-1; ` +
        'counters never wrap, so start lower, draw fewer, or move to another stream.',
    );
  }
  return opts;
}

/** out[i] = philoxUniform(seed, stream, firstCounter + i); out is (count). */
export function fillUniformsReference(opts: RandomFillOptions): Float32Array {
  const { seed, stream, firstCounter, count } = validateRandomFill('fillUniformsReference', opts);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = philoxUniform(seed, stream, firstCounter + i);
  return out;
}

/** out[4i + w] = philoxUniform4(seed, stream, firstCounter + i)[w]; out is (count, 4). */
export function fillUniforms4Reference(opts: RandomFillOptions): Float32Array {
  const { seed, stream, firstCounter, count } = validateRandomFill('fillUniforms4Reference', opts);
  const out = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) {
    philoxUniform4(seed, stream, firstCounter + i, out.subarray(4 * i, 4 * i + 4));
  }
  return out;
}

/** out[4i + w] = word w of philox4x32_10([firstCounter + i, stream, 0, 0], [seed.lo, seed.hi]); out is (count, 4). */
export function fillBitsReference(opts: RandomFillOptions): Uint32Array {
  const { seed, stream, firstCounter, count } = validateRandomFill('fillBitsReference', opts);
  const out = new Uint32Array(count * 4);
  for (let i = 0; i < count; i++) {
    philoxWords4(seed, stream, firstCounter + i, out.subarray(4 * i, 4 * i + 4));
  }
  return out;
}
