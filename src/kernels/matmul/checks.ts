// Kernel check panel entries for the matmul family: both paths against the f64 reference on
// shapes that are not multiples of any tile, with chunked weights and the fused epilogue, judged
// by the rounding bound of the GPU tests (compareMatmul in ./testing.ts).
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { uploadWeight } from './chunks';
import { MatmulKernel, type MatmulPath } from './matmul';
import { compareMatmul, gaussianArray, referenceFor, seededCase, type MatmulCase } from './testing';

interface NamedCase {
  name: string;
  c: MatmulCase;
}

const GEMV_CASES: NamedCase[] = [
  {
    name: 'head-like nk M=1 K=896 N=5000 in 3 uneven chunks',
    c: { ...seededCase(1, { m: 1, k: 896, n: 5000 }, 'nk'), chunkLimit: 2000 * 896 * 4 },
  },
  {
    name: 'c_fc-like kn M=3 K=255 N=257 + bias + GELU',
    c: {
      ...seededCase(2, { m: 3, k: 255, n: 257 }, 'kn', 1, 0.2),
      bias: gaussianArray(3, 257, 0.5),
      activation: 'gelu',
    },
  },
];

const TILED_CASES: NamedCase[] = [
  {
    name: 'kn M=17 K=255 N=1001 + bias + GELU in 2 chunks',
    c: {
      ...seededCase(4, { m: 17, k: 255, n: 1001 }, 'kn', 1, 0.2),
      bias: gaussianArray(5, 1001, 0.5),
      activation: 'gelu',
      chunkLimit: 600 * 255 * 4,
    },
  },
  {
    name: 'nk M=33 K=896 N=257, accumulate into Y ~ 1e3',
    c: { ...seededCase(6, { m: 33, k: 896, n: 257 }, 'nk'), accumulateInto: gaussianArray(7, 33 * 257, 1e3) },
  },
];

async function runCases(gpu: Gpu, path: MatmulPath, cases: NamedCase[]): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, `matmul-check-${path}`);
  try {
    const kernel = resources.own(await MatmulKernel.create(gpu, `matmul-check-${path}`, { path }));
    const failures: string[] = [];
    const notes: string[] = [];
    let mainTiming: TimedResult = { ms: 0, source: 'wall-clock' };
    let mainCpu = 0;
    for (const [index, { name, c }] of cases.entries()) {
      const { m, k, n } = c.shape;
      const x = resources.upload(c.x, `x${index}`);
      const weight = uploadWeight(gpu, c.w, c.layout, n, k, `matmul-check:w${index}`, c.chunkLimit);
      for (const chunk of weight.chunks) resources.own(chunk.buffer);
      const y = resources.upload(c.accumulateInto ?? new Float32Array(m * n), `y${index}`);
      const bias = c.bias ? resources.upload(c.bias, `bias${index}`) : undefined;
      const epilogue = { bias, activation: c.activation, accumulate: !!c.accumulateInto };
      const timing = await timeComputePass(gpu, `matmul-check-${path}`, (pass) =>
        kernel.encode(pass, x, weight, y, c.shape, epilogue),
      );
      const got = await readFloat32(gpu, y, m * n);
      const cpu = timeCpu(() => referenceFor(c));
      if (index === 0) [mainTiming, mainCpu] = [timing, cpu.ms];
      const report = compareMatmul(got, cpu.value, c);
      if (report.failures > 0)
        failures.push(`${name}: ${report.failures} of ${m * n} over the bound, first ${report.first}`);
      notes.push(
        `${name} (${weight.chunks.length} chunk${weight.chunks.length > 1 ? 's' : ''}): worst ${report.worstRatio.toFixed(3)} of bound`,
      );
    }
    const summary = `${notes.join('; ')}. Bound per element: 2 gamma_K sum_k |x w| (+ GELU slope, + 4u|y|)`;
    return checkResult(gpu, failures, summary, mainTiming, mainCpu);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'matmul/gemv',
    family: 'matmul',
    description:
      'GEMV path (M <= 16): the LM-head layout (nk) split into uneven chunks, and GPT-2 c_fc (kn) with ' +
      'bias + GELU, against the f64 reference within the rounding bound 2 gamma_K sum|x w|',
    run: (gpu) => runCases(gpu, 'gemv', GEMV_CASES),
  },
  {
    id: 'matmul/tiled',
    family: 'matmul',
    description:
      'Tiled path (64 x 64 tiles): M=17 kn with bias + GELU over 2 chunks, M=33 nk accumulating into Y, ' +
      'against the f64 reference within the rounding bound',
    run: (gpu) => runCases(gpu, 'tiled', TILED_CASES),
  },
];
