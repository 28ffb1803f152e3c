// Kernel check panel entries for the activation backward: GELU' and SiLU' on the forward checks'
// tails (+-20, +-1e4, x^3 overflow, +-3e38) and 5,003 gaussians, and the SwiGLU backward on the
// packed [rows, 2I] layout at Qwen2.5-0.5B's I = 4,864, against f64 within ./testing.ts's bounds.
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { activationInputs, checkBounded } from '../activation/testing';
import { gaussianArray } from '../matmul/testing';
import { ActivationBackwardKernel } from './activation-backward';
import { swigluBackwardReference, unaryBackwardReference } from './reference';
import { swigluBackwardBound, unaryBackwardBound } from './testing';

const COUNT = 5003;

async function unaryBackwardCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'activation-backward-check');
  try {
    const kernel = resources.own(await ActivationBackwardKernel.create(gpu, 'activation-backward-check'));
    const x = activationInputs(21, COUNT);
    const gradOutput = gaussianArray(22, COUNT);
    const [xb, dy] = [x, gradOutput].map((data, i) => resources.upload(data, `in${i}`));
    const failures: string[] = [];
    const notes: string[] = [];
    const timings = [];
    let cpuMs = 0;
    for (const op of ['gelu', 'silu'] as const) {
      const dx = resources.storage(COUNT * 4, `${op}-dX`);
      timings.push(
        await timeComputePass(gpu, `activation-backward-check-${op}`, (pass) =>
          kernel.encodeUnary(pass, op, xb, dy, dx, COUNT),
        ),
      );
      const got = await readFloat32(gpu, dx, COUNT);
      const cpu = timeCpu(() => unaryBackwardReference(op, x, gradOutput));
      cpuMs += cpu.ms;
      const report = checkBounded(got, cpu.value, (i) =>
        unaryBackwardBound(op, x[i], gradOutput[i], cpu.value[i]),
      );
      if (report.failures > 0)
        failures.push(`${op}': ${report.failures} of ${COUNT} over the bound, first ${report.first}`);
      notes.push(`${op}' worst ${report.worstRatio.toFixed(3)} of bound`);
    }
    const timing = { ms: timings[0].ms + timings[1].ms, source: timings[0].source };
    const summary = `${COUNT} values incl. +-20, +-1e4, +-1e13, +-3e38: ${notes.join(', ')} (bound (8 + 5|a|) u per term)`;
    return checkResult(gpu, failures, summary, timing, cpuMs);
  } finally {
    resources.destroy();
  }
}

async function swigluBackwardCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'swiglu-backward-check');
  try {
    const kernel = resources.own(await ActivationBackwardKernel.create(gpu, 'swiglu-backward-check'));
    const shape = { rows: 2, intermediate: 4864 };
    const count = shape.rows * shape.intermediate;
    const packed = activationInputs(23, 2 * count, 3);
    const gradOutput = gaussianArray(24, count);
    const [gateUp, dOut] = [packed, gradOutput].map((data, i) => resources.upload(data, `in${i}`));
    const gradGateUp = resources.storage(count * 8, 'dGateUp');
    const timing = await timeComputePass(gpu, 'swiglu-backward-check', (pass) =>
      kernel.encodeSwiGlu(pass, gateUp, dOut, gradGateUp, shape),
    );
    const got = await readFloat32(gpu, gradGateUp, 2 * count);
    const cpu = timeCpu(() => swigluBackwardReference(packed, gradOutput, shape.rows, shape.intermediate));
    const bound = swigluBackwardBound(packed, gradOutput, cpu.value, shape);
    const report = checkBounded(got, cpu.value, (i) => bound[i]);
    const failures =
      report.failures > 0
        ? [`swiglu backward: ${report.failures} of ${2 * count} over the bound, first ${report.first}`]
        : [];
    const summary = `dGate/dUp packed [2, 2 x 4864]: worst ${report.worstRatio.toFixed(3)} of bound`;
    return checkResult(gpu, failures, summary, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'activation-backward/gelu-silu-backward',
    family: 'activation-backward',
    description:
      "GELU' (tanh form) and SiLU' times dY on 5,003 values including +-20, +-1e4, +-1e13 and +-3e38, against f64",
    run: unaryBackwardCheck,
  },
  {
    id: 'activation-backward/swiglu-backward',
    family: 'activation-backward',
    description: 'SwiGLU backward into the packed [rows, 2I] dGate/dUp layout at I = 4,864, against f64',
    run: swigluBackwardCheck,
  },
];
