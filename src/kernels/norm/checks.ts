// Kernel check panel entries for LayerNorm and RMSNorm: every hard row kind (constant rows,
// 1e4 offsets, 1e20 and 3e38 magnitudes, 1e-20, zeros, a spike) at d = 768 and 4096, plain and
// fused with the residual add, judged by the rounding bounds of the GPU tests (./testing.ts).
import { readFloat32 } from '../../gpu/readback';
import type { Gpu } from '../../gpu/runtime';
import { timeComputePass, type TimedResult } from '../../gpu/timing';
import type { KernelCheck, KernelCheckResult } from '../check';
import { CheckResources, checkResult, timeCpu } from '../logits/checks-support';
import { LayerNormKernel, RmsNormKernel } from './norm';
import { layerNormReference, residualAddReference, rmsNormReference } from './reference';
import { layerNormBound, makeNormParameters, makeRows, rmsNormBound, ROW_KINDS } from './testing';

const ROWS = ROW_KINDS.length;

async function normCheck(gpu: Gpu, kind: 'layer' | 'rms'): Promise<KernelCheckResult> {
  const resources = new CheckResources(gpu, `${kind}-norm-check`);
  try {
    const kernel = resources.own(
      kind === 'layer'
        ? await LayerNormKernel.create(gpu, 'layer-norm-check')
        : await RmsNormKernel.create(gpu, 'rms-norm-check'),
    );
    const eps = kind === 'layer' ? 1e-5 : 1e-6;
    const failures: string[] = [];
    const notes: string[] = [];
    let mainTiming: TimedResult = { ms: 0, source: 'wall-clock' };
    let mainCpu = 0;
    for (const [index, [dim, fused]] of (
      [
        [768, false],
        [4096, true],
      ] as const
    ).entries()) {
      const shape = { rows: ROWS, dim };
      const a = makeRows(dim + index, ROWS, dim, ROW_KINDS);
      const delta = fused ? makeRows(dim + 7, ROWS, dim, ['gaussian', 'zeros']) : null;
      const { gamma, beta } = makeNormParameters(dim, dim);
      const [rows, g, b, out] = [a, gamma, beta, new Float32Array(ROWS * dim)].map((d, i) =>
        resources.upload(d, `${index}-${i}`),
      );
      const deltaBuffer = delta ? resources.upload(delta, `${index}-delta`) : null;
      const timing = await timeComputePass(gpu, `${kind}-norm-check`, (pass) => {
        if (kernel instanceof LayerNormKernel) {
          if (deltaBuffer) kernel.encodeResidual(pass, rows, deltaBuffer, g, b, out, shape, eps);
          else kernel.encode(pass, rows, g, b, out, shape, eps);
        } else if (deltaBuffer) kernel.encodeResidual(pass, rows, deltaBuffer, g, out, shape, eps);
        else kernel.encode(pass, rows, g, out, shape, eps);
      });
      const got = await readFloat32(gpu, out, ROWS * dim);
      const residual = delta ? await readFloat32(gpu, rows, ROWS * dim) : null;
      const x = delta ? residualAddReference(a, delta) : a;
      const cpu = timeCpu(() =>
        kind === 'layer'
          ? layerNormReference(x, gamma, beta, ROWS, dim, eps)
          : rmsNormReference(x, gamma, ROWS, dim, eps),
      );
      if (index === 0) [mainTiming, mainCpu] = [timing, cpu.ms];
      if (residual && residual.some((v, i) => v !== x[i]))
        failures.push(`d ${dim}: residual stream != f32(a + b)`);
      let worst = 0;
      let over = 0;
      let first = '';
      for (let r = 0; r < ROWS; r++) {
        const normalized = (i: number) => (cpu.value[i] - beta[i % dim]) / gamma[i % dim];
        let rowMax = 0;
        for (let i = r * dim; i < (r + 1) * dim; i++) rowMax = Math.max(rowMax, Math.abs(normalized(i)));
        for (let i = r * dim; i < (r + 1) * dim; i++) {
          const bound =
            kind === 'layer'
              ? layerNormBound(normalized(i), rowMax, gamma[i % dim], beta[i % dim], dim)
              : rmsNormBound(cpu.value[i], dim);
          const ratio = Math.abs(got[i] - cpu.value[i]) / bound;
          worst = Math.max(worst, Number.isNaN(ratio) ? Infinity : ratio);
          if (!(ratio <= 1) && over++ === 0)
            first = `row ${r} (${ROW_KINDS[r]}) [${i - r * dim}] GPU ${got[i]} vs ${cpu.value[i]}`;
        }
      }
      if (over > 0) failures.push(`d ${dim}: ${over} over the bound, first ${first}`);
      notes.push(`d ${dim}${fused ? ' fused residual add' : ''}: worst ${worst.toFixed(3)} of bound`);
    }
    const summary = `${ROWS} rows (${ROW_KINDS.join(', ')}); ${notes.join('; ')}`;
    return checkResult(gpu, failures, summary, mainTiming, mainCpu);
  } finally {
    resources.destroy();
  }
}

export const checks: KernelCheck[] = [
  {
    id: 'norm/layer-norm',
    family: 'norm',
    description:
      'LayerNorm (GPT-2) at d = 768 and d = 4096 (fused residual add) on constant, offset, 1e20, 3e38, ' +
      '1e-20, zero and spiked rows, against the f64 reference within the rounding bound',
    run: (gpu) => normCheck(gpu, 'layer'),
  },
  {
    id: 'norm/rms-norm',
    family: 'norm',
    description:
      'RMSNorm (Llama) at d = 768 and d = 4096 (fused residual add) on the same hard rows, against the ' +
      'f64 reference within the rounding bound',
    run: (gpu) => normCheck(gpu, 'rms'),
  },
];
