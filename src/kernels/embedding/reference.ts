// The spec of the embedding kernel (./embedding.ts):
//   out[t, :] = E[ids[t], :] (+ P[positions[t], :]), an all-zero row when ids[t] >= vocab or
//   (with P) positions[t] >= maxPositions. The sum is rounded to f32 as the kernel stores it.

export interface EmbeddingReferenceOutput {
  out: Float32Array;
  badIds: number[];
  badPositions: number[];
}

export function embeddingReference(
  ids: ArrayLike<number>,
  table: Float32Array,
  dim: number,
  vocab: number,
  positional?: { positions: ArrayLike<number>; table: Float32Array; maxPositions: number },
): EmbeddingReferenceOutput {
  const tokens = ids.length;
  const out = new Float32Array(tokens * dim);
  const badIds: number[] = [];
  const badPositions: number[] = [];
  for (let t = 0; t < tokens; t++) {
    const id = ids[t];
    const position = positional ? positional.positions[t] : 0;
    const idValid = id < vocab;
    const positionValid = !positional || position < positional.maxPositions;
    if (!idValid) badIds.push(id);
    if (!positionValid) badPositions.push(position);
    if (!idValid || !positionValid) continue;
    for (let i = 0; i < dim; i++) {
      const extra = positional ? positional.table[position * dim + i] : 0;
      out[t * dim + i] = table[id * dim + i] + extra;
    }
  }
  return { out, badIds, badPositions };
}
