// Kernel check panel entries for the random family: the GPU generator must equal the CPU spec bit for bit.
import type { KernelCheck, KernelCheckResult } from '../check';
import type { Gpu } from '../../gpu/runtime';
import { seedFromNumber } from './philox';
import { fillBitsReference, fillUniformsReference, type RandomFillOptions } from './reference';
import { timeRandomFill } from './random';

const COUNTERS = 4096;

/** The timed case first; the others cover a seed with the high word set and counters ending at 2^32-1. */
const CASES: RandomFillOptions[] = [
  { seed: seedFromNumber(42), stream: 0, firstCounter: 0, count: COUNTERS },
  { seed: seedFromNumber(2 ** 40 + 12345), stream: 7, firstCounter: 1000, count: COUNTERS },
  {
    seed: { lo: 0xffffffff, hi: 0xffffffff },
    stream: 0xffffffff,
    firstCounter: 2 ** 32 - COUNTERS,
    count: COUNTERS,
  },
];

function describe(opts: RandomFillOptions): string {
  return `seed {lo: ${opts.seed.lo}, hi: ${opts.seed.hi}}, stream ${opts.stream}, counters from ${opts.firstCounter}`;
}

/** Index of the first element where the arrays differ bit for bit, or -1. */
function firstMismatch(a: Uint32Array, b: Uint32Array): { index: number; count: number } {
  let index = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      count++;
      if (index < 0) index = i;
    }
  }
  return { index, count };
}

async function runPhiloxCheck(gpu: Gpu): Promise<KernelCheckResult> {
  let gpuMs = 0;
  let cpuMs = 0;
  let timing: KernelCheckResult['timing'] = 'wall-clock';
  let compared = 0;
  for (const [caseIndex, opts] of CASES.entries()) {
    const bits = await timeRandomFill(gpu, opts, 'bits');
    const uniforms = await timeRandomFill(gpu, opts, 'uniform');
    const start = performance.now();
    const expectedBits = fillBitsReference(opts); // timed alone: the same work as the timed GPU fill
    const elapsed = performance.now() - start;
    const expectedUniforms = fillUniformsReference(opts);
    if (caseIndex === 0) {
      gpuMs = bits.timing.ms;
      timing = bits.timing.source;
      cpuMs = elapsed;
    }
    const wordMismatch = firstMismatch(bits.values, expectedBits);
    // Compare uniforms through their bit patterns: "equal" must mean identical f32s.
    const uniformMismatch = firstMismatch(
      new Uint32Array(uniforms.values.buffer, uniforms.values.byteOffset, uniforms.values.length),
      new Uint32Array(expectedUniforms.buffer),
    );
    if (wordMismatch.count > 0 || uniformMismatch.count > 0) {
      const w = wordMismatch.index;
      const u = uniformMismatch.index;
      const detail =
        `${describe(opts)}: ${wordMismatch.count} of ${expectedBits.length} words and ` +
        `${uniformMismatch.count} of ${expectedUniforms.length} uniforms differ` +
        (w >= 0
          ? `; first word [${w}] (counter ${opts.firstCounter + (w >> 2)}, word ${w & 3}) GPU 0x${bits.values[w].toString(16)} vs CPU 0x${expectedBits[w].toString(16)}`
          : '') +
        (u >= 0 ? `; first uniform [${u}] GPU ${uniforms.values[u]} vs CPU ${expectedUniforms[u]}` : '');
      return { pass: false, detail, gpuMs, timing, cpuMs };
    }
    compared += expectedBits.length + expectedUniforms.length;
  }
  return {
    pass: true,
    detail:
      `philox4x32-10: ${CASES.length} (seed, stream) cases × ${COUNTERS} counters, ` +
      `${compared} words and uniforms bit-identical between GPU and CPU (incl. seed hi word set, counters up to 2^32-1)`,
    gpuMs,
    timing,
    cpuMs,
  };
}

export const checks: KernelCheck[] = [
  {
    id: 'random/philox',
    family: 'random',
    description:
      `Philox4x32-10 raw words and uniforms for ${COUNTERS} counters in ${CASES.length} (seed, stream) cases, ` +
      'GPU vs CPU reference, exact bit equality; times the raw-word fill of the first case.',
    run: runPhiloxCheck,
  },
];
