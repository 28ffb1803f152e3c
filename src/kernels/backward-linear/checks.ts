// Kernel check panel entry for the linear backward kernel: dX, dW and dBias of a training-sized
// layer in both weight layouts (one accumulating into existing gradients), against the f64
// reference within the sequential-sum rounding bound of ./testing.ts.
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { LinearBackwardKernel, type LinearShape } from './backward-linear';
import { linearBackwardReference } from './reference';
import { compareGradient, seededBackwardCase } from './testing';

const CASES: { shape: LinearShape; layout: 'kn' | 'nk'; accumulate: boolean }[] = [
  { shape: { m: 256, k: 128, n: 96 }, layout: 'kn', accumulate: true },
  { shape: { m: 65, k: 257, n: 33 }, layout: 'nk', accumulate: false },
];

async function linearBackwardCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'linear-backward-check');
  try {
    const kernel = resources.own(await LinearBackwardKernel.create(gpu, 'linear-backward-check'));
    const failures: string[] = [];
    const notes: string[] = [];
    let mainTiming: TimedResult = { ms: 0, source: 'wall-clock' };
    let mainCpu = 0;
    for (const [index, { shape, layout, accumulate }] of CASES.entries()) {
      const { m, k, n } = shape;
      const c = seededBackwardCase(11 + index, shape, layout, accumulate);
      const [dY, x, w, dX, dW, dBias] = [
        c.dY,
        c.x,
        c.w,
        c.dX0 ?? new Float32Array(m * k),
        c.dW0 ?? new Float32Array(k * n),
        c.dBias0 ?? new Float32Array(n),
      ].map((data, i) => resources.upload(data, `${index}-${i}`));
      const gradients = {
        input: { buffer: dX, accumulate },
        weight: { buffer: dW, accumulate },
        bias: { buffer: dBias, accumulate },
      };
      const timing = await timeComputePass(gpu, 'linear-backward-check', (pass) =>
        kernel.encode(pass, dY, x, { buffer: w, layout }, gradients, shape),
      );
      const cpu = timeCpu(() => linearBackwardReference(c));
      if (index === 0) [mainTiming, mainCpu] = [timing, cpu.ms];
      let worst = 0;
      for (const [name, buffer, want, terms] of [
        ['dX', dX, cpu.value.dX, n],
        ['dW', dW, cpu.value.dW, m],
        ['dBias', dBias, cpu.value.dBias, m],
      ] as const) {
        const got = await readFloat32(gpu, buffer, want.value.length);
        const report = compareGradient(name, got, want, terms);
        worst = Math.max(worst, report.worstRatio);
        if (report.failures > 0)
          failures.push(`M ${m} K ${k} N ${n} ${layout}: ${report.failures} over, first ${report.first}`);
      }
      notes.push(
        `M ${m} K ${k} N ${n} ${layout}${accumulate ? ' accumulate' : ''}: worst ${worst.toFixed(3)} of bound`,
      );
    }
    return checkResult(gpu, failures, notes.join('; '), mainTiming, mainCpu);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'backward-linear/gradients',
    family: 'backward-linear',
    description:
      'Linear layer backward: dX = dY W^T, dW = X^T dY (kn and nk layouts, one accumulating) and dBias at ' +
      'M 256 K 128 N 96 and M 65 K 257 N 33, against the f64 reference within the sequential-sum bound',
    run: linearBackwardCheck,
  },
];
