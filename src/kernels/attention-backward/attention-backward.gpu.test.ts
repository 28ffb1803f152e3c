// Parity of the attention backward kernel with the f64 reference (itself checked against finite
// differences in reference.test.ts): T in {1, 5, 33} (33 rows: the 64-wide key chunks end mid-row,
// and T = 1 is a single key), H = 4 with Hkv = 2 (GQA) and H = Hkv = 4, D in {8, 64}; deterministic
// bits; bad arguments refused with the value named. Bound: ./testing.ts.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readUint32 } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { CheckResources } from '../logits/checks-support';
import { AttentionBackwardKernel } from './attention-backward';
import type { AttentionBackwardShape } from './reference';
import { compareAttentionBackward } from './testing';

const kernel = testGpu().then((gpu) => AttentionBackwardKernel.create(gpu, 'attention-backward-test'));
let resources: CheckResources | null = null;
let worst = 0;
afterEach(() => resources?.destroy());
afterAll(() => console.warn(`attention backward parity: worst |gpu - ref| / bound ${worst.toFixed(4)}`));

const CASES: AttentionBackwardShape[] = [1, 5, 33]
  .flatMap((tokens): AttentionBackwardShape[] =>
    [8, 64].flatMap((headDim) => [
      { tokens, numHeads: 4, numKvHeads: 2, headDim },
      { tokens, numHeads: 4, numKvHeads: 4, headDim },
    ]),
  )
  .concat([
    // A batch must equal independent sequences (a leak across sequences would show at once).
    { tokens: 7, numHeads: 4, numKvHeads: 2, headDim: 8, batch: 3 },
    { tokens: 33, numHeads: 2, numKvHeads: 1, headDim: 16, batch: 2 },
  ]);

describe('attention backward matches the f64 reference', () => {
  test.each(CASES)('B $batch T $tokens H $numHeads Hkv $numKvHeads D $headDim', async (shape) => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'attention-backward-test');
    const result = await compareAttentionBackward(
      gpu,
      resources,
      await kernel,
      shape,
      shape.tokens * 131 + shape.headDim,
    );
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    worst = Math.max(worst, result.worst);
    expect(result.failures, result.failures.join('; ')).toEqual([]);
  });
});

describe('determinism and bad arguments', () => {
  test('the same inputs give the same bits', async () => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'attention-backward-determinism');
    const shape = { tokens: 33, numHeads: 4, numKvHeads: 2, headDim: 8 };
    const first = await compareAttentionBackward(gpu, resources, await kernel, shape, 7);
    expect(first.failures).toEqual([]);
    const dk = resources.storage(33 * 2 * 8 * 4, 'dk-again');
    const buffers = {
      query: resources.upload(
        new Float32Array(33 * 4 * 8).map((_, i) => Math.sin(i)),
        'q2',
      ),
      key: resources.upload(
        new Float32Array(33 * 2 * 8).map((_, i) => Math.cos(i)),
        'k2',
      ),
      value: resources.upload(
        new Float32Array(33 * 2 * 8).map((_, i) => Math.sin(3 * i)),
        'v2',
      ),
      outputGradient: resources.upload(
        new Float32Array(33 * 4 * 8).map((_, i) => Math.cos(5 * i)),
        'do2',
      ),
      queryGradient: resources.storage(33 * 4 * 8 * 4, 'dq2'),
      keyGradient: dk,
      valueGradient: resources.storage(33 * 2 * 8 * 4, 'dv2'),
    };
    const k = await kernel;
    const runs: number[][] = [];
    for (let run = 0; run < 2; run++) {
      await submitPass(gpu, 'attention-backward', (pass) => k.encode(pass, buffers, shape));
      runs.push(Array.from(await readUint32(gpu, dk)));
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  test.each([
    [
      { tokens: 0, numHeads: 4, numKvHeads: 2, headDim: 8 },
      /attention backward: tokens \(T\) must be an integer in 1\.\.65535, got 0/,
    ],
    [
      { tokens: 2, numHeads: 4, numKvHeads: 3, headDim: 8 },
      /numKvHeads \(Hkv\) = 3 must divide numHeads \(H\) = 4/,
    ],
    [
      { tokens: 2, numHeads: 4, numKvHeads: 2, headDim: 129 },
      /headDim \(D\) must be an integer in 1\.\.128, got 129/,
    ],
    [
      { tokens: 3, numHeads: 4, numKvHeads: 2, headDim: 8 },
      /query buffer "bad:q" has 256 bytes but the shape needs 384/,
    ],
  ])('%o', async (shape, message) => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'bad');
    const big = () => resources!.storage(4096, 'x');
    const buffers = {
      query: resources.storage(2 * 4 * 8 * 4, 'q'),
      key: big(),
      value: big(),
      outputGradient: big(),
      queryGradient: big(),
      keyGradient: big(),
      valueGradient: big(),
    };
    const pass = gpu.device.createCommandEncoder().beginComputePass();
    const k = await kernel;
    expect(() => k.encode(pass, buffers, shape)).toThrow(message);
    pass.end();
  });
});
