// The spec of the activation kernels (./activation.ts), in f64.
//   gelu(x)  = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   Hendrycks & Gimpel, "Gaussian
//              Error Linear Units (GELUs)", tanh approximation; GPT-2's "gelu_new"
//   silu(x)  = x / (1 + exp(-x))                                  Elfwing et al., "Sigmoid-Weighted
//              Linear Units"; Llama's hidden_act "silu"
//   swiglu   = silu(gate) * up                                    Shazeer, "GLU Variants Improve
//              Transformer"; Llama MLP: down(silu(gate(x)) * up(x))

const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** The formula as written: 0.5 x (1 + tanh(u)). Loses all relative precision once u < -19. */
export function geluTanhForm(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x)));
}

/**
 * The same function through 1 + tanh(u) = 2 / (1 + exp(-2u)): x / (1 + exp(-2u)). Accurate for
 * every x (the tanh form rounds 1 + tanh(u) to 0 in f64 for u < -19, where gelu is ~1e-17 x);
 * reference.test.ts checks the two agree where the tanh form is accurate.
 */
export function geluReference(x: number): number {
  return x / (1 + Math.exp(-2 * GELU_SCALE * (x + 0.044715 * x * x * x)));
}

export function siluReference(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function unaryReference(op: 'gelu' | 'silu', input: ArrayLike<number>): Float64Array {
  const f = op === 'gelu' ? geluReference : siluReference;
  return Float64Array.from(input, (x) => f(x));
}

/** out [rows, I] from gate and up given as [rows, I] each. */
export function swigluReference(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  return Float64Array.from(gate, (g, i) => siluReference(g) * up[i]);
}

/** gate = columns 0..I-1 and up = columns I..2I-1 of a packed [rows, 2I] buffer. */
export function unpackGateUp(packed: Float32Array, rows: number, intermediate: number) {
  const gate = new Float32Array(rows * intermediate);
  const up = new Float32Array(rows * intermediate);
  for (let r = 0; r < rows; r++) {
    gate.set(packed.subarray(r * 2 * intermediate, r * 2 * intermediate + intermediate), r * intermediate);
    up.set(
      packed.subarray(r * 2 * intermediate + intermediate, (r + 1) * 2 * intermediate),
      r * intermediate,
    );
  }
  return { gate, up };
}

export function addReference(target: ArrayLike<number>, addend: ArrayLike<number>): Float64Array {
  return Float64Array.from(target, (t, i) => t + addend[i]);
}
