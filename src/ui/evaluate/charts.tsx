// Plain SVG charts for estimates with intervals: bars with whiskers per lane (one metric), and a
// sweep's line with an interval band. No dependency: each is a few dozen rectangles and a path.
import type { Estimate, SweepPoint } from '../../evaluate';

const W = 360;
const H = 150;
const PAD = { left: 34, right: 8, top: 10, bottom: 28 };

/** y of a value in [lo, hi] (the plot's range). */
const scaleY = (v: number, lo: number, hi: number) =>
  PAD.top + (H - PAD.top - PAD.bottom) * (1 - (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo || 1));

function range(estimates: readonly Estimate[]): [number, number] {
  const finite = estimates.flatMap((e) => [e.low, e.high, e.value]).filter(Number.isFinite);
  const hi = Math.max(1, ...finite);
  return [Math.min(0, ...finite), hi];
}

function Axis({ lo, hi }: { lo: number; hi: number }) {
  return (
    <g className="chart-axis">
      {[lo, (lo + hi) / 2, hi].map((v) => (
        <g key={v}>
          <line x1={PAD.left} x2={W - PAD.right} y1={scaleY(v, lo, hi)} y2={scaleY(v, lo, hi)} />
          <text x={PAD.left - 4} y={scaleY(v, lo, hi) + 3} textAnchor="end">
            {Number(v.toFixed(2))}
          </text>
        </g>
      ))}
    </g>
  );
}

export function BarChart({
  title,
  labels,
  estimates,
  testId,
}: {
  title: string;
  labels: string[];
  estimates: Estimate[];
  testId?: string;
}) {
  // prettier-ignore
  const [lo, hi] = range(estimates);
  const slot = (W - PAD.left - PAD.right) / Math.max(1, estimates.length);
  return (
    <figure className="eval-chart" data-testid={testId}>
      <figcaption className="small">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        <Axis lo={lo} hi={hi} />
        {estimates.map((e, i) => {
          const x = PAD.left + i * slot + slot * 0.2;
          const w = slot * 0.6;
          const y = scaleY(e.value, lo, hi);
          const base = scaleY(Math.max(lo, 0), lo, hi);
          return (
            <g key={i} className={`chart-series-${i % 6}`}>
              <rect className="chart-bar" x={x} width={w} y={Math.min(y, base)} height={Math.abs(base - y)} />
              <line
                className="chart-whisker"
                x1={x + w / 2}
                x2={x + w / 2}
                y1={scaleY(e.low, lo, hi)}
                y2={scaleY(e.high, lo, hi)}
              />
              <line
                className="chart-whisker"
                x1={x + w * 0.3}
                x2={x + w * 0.7}
                y1={scaleY(e.low, lo, hi)}
                y2={scaleY(e.low, lo, hi)}
              />
              <line
                className="chart-whisker"
                x1={x + w * 0.3}
                x2={x + w * 0.7}
                y1={scaleY(e.high, lo, hi)}
                y2={scaleY(e.high, lo, hi)}
              />
              <text x={x + w / 2} y={H - 12} textAnchor="middle" className="chart-label">
                {labels[i]}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

export function SweepChart({
  title,
  parameter,
  points,
}: {
  title: string;
  parameter: string;
  points: SweepPoint[];
}) {
  if (points.length === 0) return null;
  const [lo, hi] = range(points.map((p) => p.estimate));
  const xs = points.map((p) => p.value);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const scaleX = (v: number) => PAD.left + ((W - PAD.left - PAD.right) * (v - x0)) / (x1 - x0 || 1);
  const line = points.map((p, i) => `${i ? 'L' : 'M'}${scaleX(p.value)},${scaleY(p.estimate.value, lo, hi)}`).join(''); // prettier-ignore
  const band =
    points.map((p, i) => `${i ? 'L' : 'M'}${scaleX(p.value)},${scaleY(p.estimate.high, lo, hi)}`).join('') +
    [...points]
      .reverse()
      .map((p) => `L${scaleX(p.value)},${scaleY(p.estimate.low, lo, hi)}`)
      .join('') +
    'Z';
  return (
    <figure className="eval-chart" data-testid="eval-sweep-chart">
      <figcaption className="small">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        <Axis lo={lo} hi={hi} />
        <path className="chart-band" d={band} />
        <path className="chart-line" d={line} />
        {points.map((p) => (
          <g key={p.laneIndex}>
            <circle
              className="chart-point"
              cx={scaleX(p.value)}
              cy={scaleY(p.estimate.value, lo, hi)}
              r={3}
            />
            <text x={scaleX(p.value)} y={H - 12} textAnchor="middle" className="chart-label">
              {p.value}
            </text>
          </g>
        ))}
        <text x={W - PAD.right} y={H - 1} textAnchor="end" className="chart-label">
          {parameter}
        </text>
      </svg>
    </figure>
  );
}
