// The verification kernels a lane uses, one per (draft length, candidates) shape, built on first
// use and kept for the lane's life (adaptive and model-free drafts change K from round to round).
import type { Gpu } from '../gpu/runtime';
import { VerifyKernel, type VerifyInputs, type VerifyParams, type VerifyResult } from '../kernels/verify';
import { resultWords } from '../kernels/verify/layout';
import type { ReadbackCounter } from './sampler';

export class Verifier {
  private readonly kernels = new Map<string, Promise<VerifyKernel>>();
  private destroyed = false;

  constructor(
    private readonly gpu: Gpu,
    private readonly vocab: number,
    private readonly readback: ReadbackCounter,
  ) {}

  private kernel(draftLength: number, candidates: number): Promise<VerifyKernel> {
    const key = `${draftLength}x${candidates}`;
    let kernel = this.kernels.get(key);
    if (!kernel) {
      kernel = VerifyKernel.create(this.gpu, { draftLength, vocab: this.vocab, candidates });
      this.kernels.set(key, kernel);
      // A failed build is not cached: the next round tries again and reports its own error.
      kernel.catch(() => this.kernels.delete(key));
    }
    return kernel;
  }

  /** Verifies `inputs.draftTokens` (flat [candidates][K]) against the target rows; one small readback. */
  async verify(
    shape: { draftLength: number; candidates: number },
    inputs: VerifyInputs,
    params: VerifyParams,
  ): Promise<VerifyResult> {
    if (this.destroyed) throw new Error('the verifier was destroyed');
    const kernel = await this.kernel(shape.draftLength, shape.candidates);
    const [result] = await kernel.run(inputs, params);
    this.readback.bytes += resultWords(shape.draftLength) * 4;
    return result;
  }

  destroy(): void {
    this.destroyed = true;
    for (const kernel of this.kernels.values())
      void kernel.then(
        (k) => k.destroy(),
        () => undefined,
      );
    this.kernels.clear();
  }
}
