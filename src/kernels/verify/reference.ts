// The spec of speculative verification (shaders/speculative-verify.wgsl): plain loops in f64 over
// the same Philox draws, so it reproduces the kernel's decisions. Formulas, papers and conventions
// are in the shader's header; the arithmetic is in ./distributions.ts.
//
// Each trial also records, per position, how close its decisions were to their thresholds (the
// margins): where the f32 kernel may legitimately decide the other way, parity tests report the
// difference as a boundary case instead of a failure (as src/kernels/logits/checks-sampling.ts).
import { philoxBits24, philoxUniform } from '../random/philox';
import {
  modelResidual,
  probabilities,
  residualScale,
  rowDistribution,
  sampleFixedPoint,
  selectRho,
  type RhoChoice,
  type RowDistribution,
} from './distributions';
import {
  resolveDraftTokens,
  resolveParams,
  resolveShape,
  RHO_UNITS,
  type VerifyParams,
  type VerifyResult,
  type VerifyShape,
} from './params';

/** Logits as the kernel reads them from its row offsets: target [k][K+1][V], draft [k][K][V] (f32). */
export interface VerifyLogits {
  target: Float32Array;
  draft?: Float32Array;
}

export interface ReferenceOptions {
  /** The negative control (see VerifyOptions): the correction is drawn from p. */
  negativeControlCorrectionFromP?: boolean;
}

/** How close the decisions at one position were to flipping (Infinity: no such decision). */
export interface PositionMargins {
  /** min over accept tests of |u rho q - p| / max(p, u rho q). */
  accept: number;
  /** The sampled draw's distance to its token's interval edges, as a fraction of the mass. */
  sample: number;
  /** min |g(rho)| over the grid points SpecTr's rho search evaluated. */
  rho: number;
}

export interface ReferenceTrial {
  result: VerifyResult;
  margins: PositionMargins[];
}

const relative = (a: number, b: number): number => {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? Infinity : Math.abs(a - b) / scale;
};

class RowCache {
  private readonly rows = new Map<string, RowDistribution>();
  private readonly probs = new Map<string, Float64Array>();
  private readonly rhos = new Map<string, RhoChoice>();

  constructor(
    private readonly logits: VerifyLogits,
    private readonly vocab: number,
    private readonly temperatures: { target: number; draft: number },
  ) {}

  row(which: 'target' | 'draft', row: number): RowDistribution {
    const key = `${which}${row}`;
    let d = this.rows.get(key);
    if (!d) {
      const data = which === 'target' ? this.logits.target : this.logits.draft!;
      d = rowDistribution(data.subarray(row * this.vocab, (row + 1) * this.vocab), this.temperatures[which], which, row); // prettier-ignore
      this.rows.set(key, d);
      this.probs.set(key, probabilities(d));
    }
    return d;
  }

  p(which: 'target' | 'draft', row: number): Float64Array {
    this.row(which, row);
    return this.probs.get(`${which}${row}`)!;
  }

  rho(targetRow: number, draftRow: number, m: number, floorUnits: number): RhoChoice {
    const key = `${targetRow}/${draftRow}/${m}`;
    let choice = this.rhos.get(key);
    if (!choice) {
      choice = selectRho(this.p('target', targetRow), this.p('draft', draftRow), m, floorUnits);
      this.rhos.set(key, choice);
    }
    return choice;
  }
}

/** Verifies every trial on the CPU; `logits` rows start at the kernel's row offsets. */
export function verifyReference(
  shape: VerifyShape,
  logits: VerifyLogits,
  draftTokens: readonly number[],
  params: VerifyParams,
  options: ReferenceOptions = {},
): ReferenceTrial[] {
  const s = resolveShape(shape);
  const r = resolveParams(params, s);
  const perTrial = resolveDraftTokens(draftTokens, s);
  const { draftLength: K, candidates: k, vocab } = s;
  const hasDraft = logits.draft !== undefined;
  const cache = new RowCache(logits, vocab, { target: r.targetTemperature, draft: r.draftTemperature });
  const uniform = (counter: number) => philoxUniform(r.seed, r.stream, counter);
  const bits24 = (counter: number) => philoxBits24(r.seed, r.stream, counter);

  return Array.from({ length: s.trials }, (_, trial) => {
    const tokenOf = (c: number, j: number) => draftTokens[(perTrial ? trial * k * K : 0) + c * K + j];
    let live = Array.from({ length: k }, (_, c) => c);
    const result: VerifyResult = { accepted: 0, tokens: [], bonus: false, candidate: 0, p: [], q: [] };
    if (k > 1 && hasDraft && !r.greedy) result.rho = [];
    const margins: PositionMargins[] = [];
    for (let j = 0; j <= K; j++) {
      const at: PositionMargins = { accept: Infinity, sample: Infinity, rho: Infinity };
      margins.push(at);
      const targetRow = live[0] * (K + 1) + j;
      const draftRow = live[0] * K + Math.min(j, K - 1);
      const target = cache.row('target', targetRow);
      const p = cache.p('target', targetRow);
      const q = hasDraft && j < K ? cache.p('draft', draftRow) : null;
      const base = r.counter + (trial * (K + 1) + j) * (k + 1);
      // `magnitude`: the size of the terms a residual's weights are differences of, in its units.
      const sample = (weights: ArrayLike<number>, magnitude?: number) => {
        let drawn = sampleFixedPoint(weights, bits24(base + k));
        let mass = 0;
        for (let x = 0; x < weights.length; x++) mass += weights[x];
        if (!drawn) [drawn, mass, magnitude] = [sampleFixedPoint(target.weights, bits24(base + k))!, 1, 1];
        at.sample = (drawn.margin * mass) / (magnitude ?? mass);
        result.tokens.push(drawn.token);
      };
      if (j === K) {
        result.bonus = true;
        if (r.greedy) result.tokens.push(target.argmax);
        else sample(target.weights);
        break;
      }
      const m = live.length;
      let rho = r.rhoFloorUnits / RHO_UNITS;
      if (!r.greedy && q && m > 1) {
        const choice = cache.rho(targetRow, draftRow, m, r.rhoFloorUnits);
        rho = choice.rho;
        at.rho = choice.margin;
      }
      let accepted: number | null = null;
      const removed: number[] = [];
      let removedMass = 0;
      for (const c of live) {
        const y = tokenOf(c, j);
        if (r.greedy) {
          if (y === target.argmax) accepted = y;
        } else if (q) {
          const u = uniform(base + c);
          at.accept = Math.min(at.accept, relative(u * rho * q[y], p[y]));
          if (u * rho * q[y] < p[y]) accepted = y;
        } else if (!removed.includes(y)) {
          const u = uniform(base + c);
          const e = target.weights[y];
          at.accept = Math.min(at.accept, relative(u * (target.sum - removedMass), e));
          if (u * (target.sum - removedMass) < e) accepted = y;
          else {
            removed.push(y);
            removedMass += e;
          }
        }
        if (accepted !== null) break;
      }
      if (accepted !== null) live = live.filter((c) => tokenOf(c, j) === accepted);
      const shown = tokenOf(live[0], j);
      result.p.push(p[shown]);
      result.q.push(q ? q[shown] : 1);
      result.rho?.push(rho);
      if (accepted !== null) {
        result.accepted = j + 1;
        result.tokens.push(accepted);
        continue;
      }
      if (r.greedy) result.tokens.push(target.argmax);
      else if (options.negativeControlCorrectionFromP) sample(target.weights);
      else if (q) {
        const c = residualScale(p, q, rho, m);
        sample(
          modelResidual(p, q, rho, m),
          p.reduce((sum, px, x) => sum + px + c * Math.min(q[x], px / rho), 0),
        );
      } else sample(target.weights.map((e, x) => (removed.includes(x) ? 0 : e)));
      break;
    }
    result.candidate = live[0];
    return { result, margins };
  });
}
