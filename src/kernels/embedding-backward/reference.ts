// The spec of the embedding backward (./embedding-backward.ts): plain loops in the kernel's exact
// f32 order, so the GPU must match bit for bit:
//   dE[v, c] = fl(...fl(fl(dE0[v, c] + dOut[t_1, c]) + dOut[t_2, c]) ... )  over t_1 < t_2 < ...
// the tokens with ids[t] = v; rows of ids that do not occur are unchanged.

export function embeddingBackwardReference(
  ids: ArrayLike<number>,
  outputGradient: Float32Array,
  tableGradient: Float32Array,
  dim: number,
): Float32Array {
  const out = Float32Array.from(tableGradient);
  for (let t = 0; t < ids.length; t++) {
    const row = ids[t] * dim;
    for (let c = 0; c < dim; c++) out[row + c] = Math.fround(out[row + c] + outputGradient[t * dim + c]);
  }
  return out;
}
