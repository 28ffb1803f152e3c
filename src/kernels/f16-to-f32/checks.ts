// Kernel check for the f16 -> f32 conversion, and the helpers its GPU tests share: every one of
// the 65,536 half bit patterns (both zeros, all 2,046 subnormals, 65504, +-Infinity, every NaN)
// from an odd element offset into an odd output offset, with sentinels on both sides of the
// written range. Every half is exact in f32, so the GPU must equal the reference bit for bit
// (NaN as any NaN: payloads are not part of the contract).
import { readUint32, uploadStorage } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { F16ToF32Kernel, type HalfCopy } from './f16-to-f32';
import { halfToSingleReference } from './reference';

/** A word the kernel never writes (a NaN with an unusual payload): marks untouched outputs. */
export const SENTINEL_BITS = 0x7fa5a5a5;

/** Every half bit pattern once, in a seeded shuffle so neighbours differ in kind. */
export function allHalfPatterns(seed = 1): Uint16Array<ArrayBuffer> {
  const bits = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
  let state = seed >>> 0 || 1;
  for (let i = bits.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [bits[i], bits[j]] = [bits[j], bits[i]];
  }
  return bits;
}

/** A storage buffer holding `halves` packed two per word (the layout onnxruntime gives). */
export function uploadHalves(gpu: Gpu, halves: Uint16Array, label: string): GPUBuffer {
  const words = new Uint32Array(Math.ceil(halves.length / 2));
  new Uint16Array(words.buffer, 0, halves.length).set(halves);
  return uploadStorage(gpu, words, label);
}

/** An f32 buffer of at least `elements` words (a multiple of 4: no padding), every word SENTINEL_BITS. */
export function sentinelOutput(gpu: Gpu, elements: number, label: string): GPUBuffer {
  return uploadStorage(gpu, new Uint32Array(Math.ceil(elements / 4) * 4).fill(SENTINEL_BITS), label);
}

const bitsOf = (values: Float32Array) => new Uint32Array(values.buffer, values.byteOffset, values.length);

/**
 * Null when `got` (f32 bits of the whole output buffer) holds exactly `expected` at `outputOffset`
 * (NaN where NaN is expected, -0 where -0 is) and SENTINEL_BITS everywhere else; else the first
 * mismatches, with the input bits that produced them.
 */
export function compareConversion(
  got: Uint32Array,
  expected: Float32Array,
  outputOffset: number,
  inputBits?: ArrayLike<number>,
): string | null {
  const want = bitsOf(expected);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < got.length; i++) {
    const k = i - outputOffset;
    const inside = k >= 0 && k < want.length;
    const isNan = (bits: number) => (bits & 0x7fffffff) > 0x7f800000;
    const ok = !inside
      ? got[i] === SENTINEL_BITS
      : Number.isNaN(expected[k])
        ? isNan(got[i])
        : got[i] === want[k];
    if (!ok) {
      count++;
      if (bad.length < 6) {
        const source =
          inside && inputBits ? ` from half 0x${inputBits[k].toString(16).padStart(4, '0')}` : '';
        const expectedText = inside ? `0x${want[k].toString(16)} (${expected[k]})` : 'untouched';
        bad.push(`[${i}]${source}: got 0x${got[i].toString(16)}, expected ${expectedText}`);
      }
    }
  }
  return count === 0 ? null : `${count} wrong word(s): ${bad.join('; ')}`;
}

/** Runs `copies` in one pass and reads back the whole `output` buffer as words. */
export async function runConversion(
  gpu: Gpu,
  kernel: F16ToF32Kernel,
  copies: readonly HalfCopy[],
  output: GPUBuffer,
): Promise<Uint32Array> {
  const encoder = gpu.device.createCommandEncoder({ label: 'f16-to-f32-check' });
  const pass = encoder.beginComputePass({ label: 'f16-to-f32-check' });
  kernel.encode(pass, copies);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  return readUint32(gpu, output, output.size / 4);
}

const INPUT_OFFSET = 3;
const OUTPUT_OFFSET = 5;

async function everyHalf(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'f16-to-f32-check');
  try {
    const kernel = resources.own(await F16ToF32Kernel.create(gpu, { label: 'f16-to-f32-check' }));
    // 65,536 patterns after 3 padding halves: 65,539 elements, an odd count from an odd offset.
    const halves = new Uint16Array(INPUT_OFFSET + 0x10000);
    halves.set(allHalfPatterns(), INPUT_OFFSET);
    const count = halves.length - INPUT_OFFSET;
    const input = resources.own(uploadHalves(gpu, halves, 'f16-to-f32-check:input'));
    const output = resources.own(sentinelOutput(gpu, OUTPUT_OFFSET + count + 4, 'f16-to-f32-check:output'));
    const copy: HalfCopy = { input, output, count, inputOffset: INPUT_OFFSET, outputOffset: OUTPUT_OFFSET };
    const got = await runConversion(gpu, kernel, [copy], output);
    const cpu = timeCpu(() => halfToSingleReference(halves, count, INPUT_OFFSET));
    const timing = await timeComputePass(gpu, 'f16-to-f32-check', (pass) => kernel.encode(pass, [copy]));
    const mismatch = compareConversion(got, cpu.value, OUTPUT_OFFSET, halves.subarray(INPUT_OFFSET));
    const summary =
      `all ${count.toLocaleString('en-US')} half patterns (±0, 2,046 subnormals, ±65504, ±Infinity, 2,046 NaNs) ` +
      `from element ${INPUT_OFFSET} to element ${OUTPUT_OFFSET}: bit-exact, neighbours untouched`;
    return checkResult(gpu, mismatch ? [mismatch] : [], summary, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'f16-to-f32/every-half',
    family: 'f16-to-f32',
    description:
      'float16 -> float32 (fp16 ONNX logits) on all 65,536 half bit patterns at odd offsets: subnormals, ' +
      '±Infinity, NaN, 65504 and -0, bit-exact against the reference, words outside the range untouched',
    run: everyHalf,
  },
];
