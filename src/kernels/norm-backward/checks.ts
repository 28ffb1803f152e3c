// Kernel check panel entries for the LayerNorm / RMSNorm backward: every hard row kind of the
// forward checks (constant, 1e4 offset, 1e20, 3e38, 1e-20, zeros, spike) at d = 768, dX, dGamma and
// dBeta against the f64 reference within the rounding bounds of the GPU tests (./testing.ts).
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { gaussianArray } from '../matmul/testing';
import { makeNormParameters, makeRows, ROW_KINDS } from '../norm/testing';
import { LayerNormBackwardKernel, normBackwardWorkspaceBytes, RmsNormBackwardKernel } from './norm-backward';
import { normBackwardReference } from './reference';
import { checkWithin, normBackwardBounds } from './testing';

const ROWS = ROW_KINDS.length;
const DIM = 768;

async function normBackwardCheck(gpu: Gpu, kind: 'layer' | 'rms'): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, `${kind}-norm-backward-check`);
  try {
    const kernel = resources.own(
      kind === 'layer'
        ? await LayerNormBackwardKernel.create(gpu, 'layer-norm-backward-check')
        : await RmsNormBackwardKernel.create(gpu, 'rms-norm-backward-check'),
    );
    const eps = kind === 'layer' ? 1e-5 : 1e-6;
    const shape = { rows: ROWS, dim: DIM };
    const x = makeRows(31, ROWS, DIM, ROW_KINDS);
    const gradOutput = gaussianArray(32, ROWS * DIM);
    const { gamma } = makeNormParameters(33, DIM);
    const [dy, xb, g] = [gradOutput, x, gamma].map((data, i) => resources.upload(data, `in${i}`));
    const dx = resources.storage(ROWS * DIM * 4, 'dX');
    const dGamma = resources.storage(DIM * 4, 'dGamma');
    const dBeta = resources.storage(DIM * 4, 'dBeta');
    const stats = resources.storage(normBackwardWorkspaceBytes(ROWS), 'statistics');
    const options = { eps };
    const timing = await timeComputePass(gpu, `${kind}-norm-backward-check`, (pass) => {
      if (kernel instanceof LayerNormBackwardKernel)
        kernel.encode(pass, dy, xb, g, dx, dGamma, dBeta, stats, shape, options);
      else kernel.encode(pass, dy, xb, g, dx, dGamma, stats, shape, options);
    });
    const got = {
      dX: await readFloat32(gpu, dx, ROWS * DIM),
      dGamma: await readFloat32(gpu, dGamma, DIM),
      dBeta: await readFloat32(gpu, dBeta, DIM),
    };
    const cpu = timeCpu(() => normBackwardReference(kind === 'layer', gradOutput, x, gamma, ROWS, DIM, eps));
    const bounds = normBackwardBounds(cpu.value, gradOutput, gamma, ROWS, DIM);
    const reports = [
      checkWithin('dX', got.dX, cpu.value.gradInput, bounds.gradInput),
      checkWithin('dGamma', got.dGamma, cpu.value.gradGamma, bounds.gradGamma),
    ];
    if (kind === 'layer') reports.push(checkWithin('dBeta', got.dBeta, cpu.value.gradBeta, bounds.gradBeta));
    const failures = reports
      .filter((report) => report.failures > 0)
      .map((report) => `${report.name}: ${report.failures} over the bound, first ${report.first}`);
    const notes = reports.map((report) => `${report.name} worst ${report.worst.toFixed(3)}`);
    const summary = `${ROWS} rows x ${DIM} (${ROW_KINDS.join(', ')}); ${notes.join(', ')} of bound`;
    return checkResult(gpu, failures, summary, timing, cpu.ms);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'norm-backward/layer-norm-backward',
    family: 'norm-backward',
    description:
      'LayerNorm backward (dX, dGamma, dBeta) at d = 768 on constant, offset, 1e20, 3e38, 1e-20, zero and ' +
      'spiked rows, against the f64 reference within the rounding bound',
    run: (gpu) => normBackwardCheck(gpu, 'layer'),
  },
  {
    id: 'norm-backward/rms-norm-backward',
    family: 'norm-backward',
    description:
      'RMSNorm backward (dX, dGamma) at d = 768 on the same hard rows, against the f64 reference within ' +
      'the rounding bound',
    run: (gpu) => normBackwardCheck(gpu, 'rms'),
  },
];
