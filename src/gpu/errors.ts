/** Why the GPU could not be used; the UI shows `message` as is, so it says what to do. */
export type GpuErrorKind =
  | 'no-webgpu'
  | 'no-adapter'
  | 'missing-feature'
  | 'missing-limit'
  | 'device-lost'
  | 'validation'
  | 'out-of-memory';

export class GpuError extends Error {
  readonly kind: GpuErrorKind;
  constructor(kind: GpuErrorKind, message: string) {
    super(message);
    this.name = 'GpuError';
    this.kind = kind;
  }
}

/** Thrown by kernels for bad shapes or parameters; the message names the offending value. */
export class KernelInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelInputError';
  }
}

/**
 * Thrown when a row of logits has no finite entry left (e.g. everything masked to -Infinity),
 * so no token can be chosen. Carries the offending rows so the caller can say which lane failed.
 */
export class EmptyDistributionError extends Error {
  readonly rows: number[];
  constructor(rows: number[], what: string) {
    super(
      `${what}: row${rows.length > 1 ? 's' : ''} ${rows.join(', ')} ha${rows.length > 1 ? 've' : 's'} ` +
        'no finite logit left (every entry is -Infinity or NaN), so no token can be chosen. ' +
        'Check the inputs and the masking parameters (top-k, top-p, min-p, plausibility beta).',
    );
    this.name = 'EmptyDistributionError';
    this.rows = rows;
  }
}
