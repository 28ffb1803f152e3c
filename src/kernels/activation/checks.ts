// Kernel check panel entries for the activation family: GELU and SiLU on their tails (+-20,
// +-1e4, x^3 overflow, +-3e38) and 5,003 gaussians, SwiGLU from the packed [rows, 2I] layout at
// Qwen2.5-0.5B's I = 4,864, and the residual add, against the f64 reference within the bounds
// derived from WGSL's exp accuracy (./testing.ts).
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { ActivationKernel, ResidualAddKernel } from './activation';
import { swigluReference, unaryReference, unpackGateUp } from './reference';
import { activationInputs, checkBounded, geluArgument, sigmoidFormBound } from './testing';

const COUNT = 5003;

async function unaryCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'activation-check');
  try {
    const kernel = resources.own(await ActivationKernel.create(gpu, 'activation-check'));
    const input = activationInputs(11, COUNT);
    const source = resources.upload(input, 'input');
    const failures: string[] = [];
    const notes: string[] = [];
    const timings = [];
    let cpuMs = 0;
    for (const op of ['gelu', 'silu'] as const) {
      const output = resources.storage(COUNT * 4, `${op}-output`);
      timings.push(
        await timeComputePass(gpu, `activation-check-${op}`, (pass) =>
          kernel.encodeUnary(pass, op, source, output, COUNT),
        ),
      );
      const got = await readFloat32(gpu, output, COUNT);
      const cpu = timeCpu(() => unaryReference(op, input));
      cpuMs += cpu.ms;
      const argument = (x: number) => (op === 'gelu' ? geluArgument(x) : x);
      const report = checkBounded(got, cpu.value, (i) =>
        sigmoidFormBound(argument(input[i]), cpu.value[i], input[i]),
      );
      if (report.failures > 0)
        failures.push(`${op}: ${report.failures} of ${COUNT} over the bound, first ${report.first}`);
      notes.push(`${op} worst ${report.worstRatio.toFixed(3)} of bound`);
    }
    const timing = { ms: timings[0].ms + timings[1].ms, source: timings[0].source };
    const summary = `${COUNT} values incl. +-20, +-1e4, +-1e13, +-3e38: ${notes.join(', ')} (bound (6 + 5|a|) u |ref|, a the exp argument)`;
    return checkResult(gpu, failures, summary, timing, cpuMs);
  } finally {
    resources.destroy();
  }
}

async function swigluCheck(gpu: Gpu): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, 'swiglu-check');
  try {
    const kernel = resources.own(await ActivationKernel.create(gpu, 'swiglu-check'));
    const add = resources.own(await ResidualAddKernel.create(gpu, 'residual-add-check'));
    const shape = { rows: 2, intermediate: 4864 };
    const count = shape.rows * shape.intermediate;
    const packed = activationInputs(12, 2 * count, 3);
    const packedBuffer = resources.upload(packed, 'packed');
    const output = resources.storage(count * 4, 'output');
    const timing = await timeComputePass(gpu, 'swiglu-check', (pass) =>
      kernel.encodeSwiGlu(pass, packedBuffer, output, shape),
    );
    const got = await readFloat32(gpu, output, count);
    const { gate, up } = unpackGateUp(packed, shape.rows, shape.intermediate);
    const cpu = timeCpu(() => swigluReference(gate, up).map(Math.fround));
    const failures: string[] = [];
    const report = checkBounded(
      got,
      cpu.value,
      (i) => sigmoidFormBound(gate[i], cpu.value[i], gate[i] * up[i]) + 2 ** -24 * Math.abs(cpu.value[i]),
    );
    if (report.failures > 0)
      failures.push(`swiglu: ${report.failures} of ${count} over the bound, first ${report.first}`);
    // Residual add: the f32 sum exactly.
    const target = resources.upload(gate, 'target');
    const addend = resources.upload(up, 'addend');
    await timeComputePass(gpu, 'residual-add-check', (pass) => add.encode(pass, target, addend, count));
    const sum = await readFloat32(gpu, target, count);
    const wrong = sum.findIndex((v, i) => v !== Math.fround(gate[i] + up[i]));
    if (wrong >= 0)
      failures.push(`residual add [${wrong}]: GPU ${sum[wrong]} vs ${Math.fround(gate[wrong] + up[wrong])}`);
    const summary =
      `SwiGLU from packed [2, 2 x 4864]: worst ${report.worstRatio.toFixed(3)} of bound (silu's + 1 rounding); ` +
      `residual add of ${count} values: exact f32 sums`;
    return checkResult(gpu, failures, summary, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'activation/gelu-silu',
    family: 'activation',
    description:
      'GELU (tanh form) and SiLU on 5,003 values including +-20, +-1e4, +-1e13 and +-3e38, against f64',
    run: unaryCheck,
  },
  {
    id: 'activation/swiglu',
    family: 'activation',
    description:
      'SwiGLU from the packed [rows, 2I] layout at I = 4,864 against f64, and the residual add (exact)',
    run: swigluCheck,
  },
];
