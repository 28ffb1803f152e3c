// Seeded draws for training set-up (weight initialisation, batch sampling), built on the project's
// counter-based generator (src/kernels/random/philox.ts): every draw is a pure function of
// (seed, stream, counter), so a tensor's initial values do not depend on the tensors drawn before
// it, and batch k of a run can be recomputed without replaying batches 0..k-1.
import { philoxBits, philoxUniform4, seedFromNumber, type Seed } from '../kernels/random/philox';

export { seedFromNumber, type Seed };

/**
 * Fills `out` with normal(0, std) draws: Box–Muller on the four uniforms of counter i / 4, so
 * element i is fixed by (seed, stream, i). 1 - u keeps the logarithm's argument in (0, 1].
 */
export function fillNormal(out: Float32Array, std: number, seed: Seed, stream: number): Float32Array {
  const u = new Float32Array(4);
  for (let block = 0; block * 4 < out.length; block++) {
    philoxUniform4(seed, stream, block, u);
    for (let pair = 0; pair < 2; pair++) {
      const radius = Math.sqrt(-2 * Math.log(1 - u[2 * pair]));
      const angle = 2 * Math.PI * u[2 * pair + 1];
      const i = block * 4 + pair * 2;
      if (i < out.length) out[i] = std * radius * Math.cos(angle);
      if (i + 1 < out.length) out[i + 1] = std * radius * Math.sin(angle);
    }
  }
  return out;
}

/** A uniform integer in 0..range-1 from one 32-bit draw (range at most 2^32). */
export function uniformIndex(range: number, seed: Seed, stream: number, counter: number): number {
  return Math.floor((philoxBits(seed, stream, counter) / 0x1_0000_0000) * range);
}
