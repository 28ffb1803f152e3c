// Seeded logits with the hard cases parity tests need: -Infinity entries, ties, huge magnitudes.

/** mulberry32: a tiny seeded generator for test data (not the sampling generator). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export type LogitKind = 'normal' | 'huge' | 'ties' | 'neg-inf' | 'peaked' | 'flat';

/** One row of `vocab` logits of the given kind. */
export function makeRow(random: () => number, vocab: number, kind: LogitKind): Float32Array {
  const row = new Float32Array(vocab);
  for (let i = 0; i < vocab; i++) {
    const z = gaussian(random);
    switch (kind) {
      case 'normal':
        row[i] = 3 * z;
        break;
      case 'huge':
        row[i] = 1e4 * z;
        break;
      case 'ties':
        // Few distinct values: ties everywhere, including at any top-k / top-p boundary.
        row[i] = Math.round(2 * z) / 2;
        break;
      case 'neg-inf':
        row[i] = random() < 0.3 ? -Infinity : 4 * z;
        break;
      case 'peaked':
        row[i] = 2 * z;
        break;
      case 'flat':
        row[i] = 0.01 * z;
        break;
    }
  }
  if (kind === 'peaked') row[Math.floor(random() * vocab)] = 40;
  return row;
}

/** rows x vocab, row r of kind kinds[r % kinds.length]. */
export function makeBatch(
  seed: number,
  rows: number,
  vocab: number,
  kinds: readonly LogitKind[],
): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++) out.set(makeRow(random, vocab, kinds[r % kinds.length]), r * vocab);
  return out;
}

export function rowOf(batch: Float32Array, vocab: number, row: number): Float32Array {
  return batch.subarray(row * vocab, (row + 1) * vocab);
}
