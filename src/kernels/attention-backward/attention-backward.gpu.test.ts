// Parity of both paths of the attention backward kernel (./path.ts) with the f64 reference (itself
// checked against finite differences in reference.test.ts), each path forced on every shape:
// T in {1, 5, 33, 130} (T = 1 is a single key; 33 and 130 end mid-chunk for the workgroup path's
// 64-key chunks and mid-step for the invocation path's four keys per step), D in {8, 24, 64},
// H = 4 with Hkv = 2 (GQA) and H = Hkv = 4, batches of 1 and 3; D = 6 on the workgroup path (the
// invocation path refuses it). Also: deterministic bits, bad arguments refused with the value
// named. Bound: ./testing.ts.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { submitPass } from '../../gpu/dispatch';
import { readUint32 } from '../../gpu/readback';
import { testGpu } from '../../testing/gpu';
import { CheckResources } from '../logits/checks-support';
import { AttentionBackwardKernel } from './attention-backward';
import { ATTENTION_BACKWARD_PATHS, attentionBackwardPath, type AttentionBackwardPath } from './path';
import type { AttentionBackwardShape } from './reference';
import { compareAttentionBackward } from './testing';

const kernel = testGpu().then((gpu) => AttentionBackwardKernel.create(gpu, 'attention-backward-test'));
let resources: CheckResources | null = null;
let worst = 0;
afterEach(() => resources?.destroy());
afterAll(() => console.warn(`attention backward parity: worst |gpu - ref| / bound ${worst.toFixed(4)}`));

const SHAPES: AttentionBackwardShape[] = [1, 5, 33, 130]
  .flatMap((tokens): AttentionBackwardShape[] =>
    [8, 24, 64].flatMap((headDim) => [
      { tokens, numHeads: 4, numKvHeads: 2, headDim },
      { tokens, numHeads: 4, numKvHeads: 4, headDim },
    ]),
  )
  .concat([
    // A batch must equal independent sequences (a leak across sequences would show at once).
    { tokens: 1, numHeads: 4, numKvHeads: 2, headDim: 8, batch: 3 },
    { tokens: 5, numHeads: 4, numKvHeads: 4, headDim: 24, batch: 3 },
    { tokens: 7, numHeads: 4, numKvHeads: 2, headDim: 8, batch: 3 },
    { tokens: 33, numHeads: 4, numKvHeads: 2, headDim: 64, batch: 3 },
    { tokens: 130, numHeads: 4, numKvHeads: 4, headDim: 24, batch: 3 },
    { tokens: 33, numHeads: 2, numKvHeads: 1, headDim: 16, batch: 2 },
  ]);

const CASES: (AttentionBackwardShape & { path: AttentionBackwardPath })[] = SHAPES.flatMap((shape) =>
  ATTENTION_BACKWARD_PATHS.map((path) => ({ ...shape, path })),
).concat([
  { tokens: 5, numHeads: 4, numKvHeads: 2, headDim: 6, path: 'workgroup-per-row' },
  { tokens: 33, numHeads: 2, numKvHeads: 2, headDim: 6, batch: 2, path: 'workgroup-per-row' },
]);

describe('attention backward matches the f64 reference on both paths', () => {
  test.each(CASES)('$path B $batch T $tokens H $numHeads Hkv $numKvHeads D $headDim', async (c) => {
    const { path, ...shape } = c;
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'attention-backward-test');
    const seed = shape.tokens * 131 + shape.headDim;
    const result = await compareAttentionBackward(gpu, resources, await kernel, shape, seed, path);
    expect(gpu.takeUncapturedErrors()).toEqual([]);
    worst = Math.max(worst, result.worst);
    expect(result.failures, result.failures.join('; ')).toEqual([]);
  });

  test("the default path is the shape's (the tiny training model: invocation per row)", async () => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'attention-backward-default');
    const shape = { tokens: 32, numHeads: 4, numKvHeads: 2, headDim: 24, batch: 2 };
    expect(attentionBackwardPath(shape)).toBe('invocation-per-row');
    const result = await compareAttentionBackward(gpu, resources, await kernel, shape, 3);
    expect(result.failures, result.failures.join('; ')).toEqual([]);
  });
});

describe('determinism and bad arguments', () => {
  test.each(ATTENTION_BACKWARD_PATHS)('the same inputs give the same bits (%s)', async (path) => {
    const gpu = await testGpu();
    resources = new CheckResources(gpu, 'attention-backward-determinism');
    const shape = { tokens: 33, numHeads: 4, numKvHeads: 2, headDim: 8 };
    const first = await compareAttentionBackward(gpu, resources, await kernel, shape, 7, path);
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
      await submitPass(gpu, 'attention-backward', (pass) => k.encode(pass, buffers, shape, path));
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
    [
      { tokens: 2, numHeads: 4, numKvHeads: 2, headDim: 6, path: 'invocation-per-row' as const },
      /invocation-per-row path reads rows as vec4 and needs headDim \(D\) a multiple of 4, got 6: use the workgroup-per-row path/,
    ],
    [
      // As a caller without the type (plain JS, a URL) could pass it.
      { tokens: 2, numHeads: 4, numKvHeads: 2, headDim: 8, path: 'rows' as string as AttentionBackwardPath },
      /unknown path "rows"; use one of invocation-per-row, workgroup-per-row/,
    ],
  ])('%o', async ({ path, ...shape }: AttentionBackwardShape & { path?: AttentionBackwardPath }, message) => {
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
    expect(() => k.encode(pass, buffers, shape, path)).toThrow(message);
    pass.end();
  });
});
