// The live curves: loss (raw and smoothed, optional log scale) large, learning rate and gradient
// norm small beside each other. The loss chart carries the plotted values as data attributes
// (first, last, smoothed last, minimum, step count) so tests and scripts can read them.
import { useMemo, useState } from 'react';
import { useAppStore } from '../../store';
import { LineChart } from './LineChart';
import { formatLoss, formatSci, smoothed } from './trainFormat';

export function TrainCharts() {
  const points = useAppStore((s) => s.train.points);
  const [logY, setLogY] = useState(false);
  const columns = useMemo(() => {
    const loss = points.map((p) => p.loss);
    return {
      steps: points.map((p) => p.step),
      loss,
      smooth: smoothed(loss),
      learningRate: points.map((p) => p.learningRate),
      gradientNorm: points.map((p) => p.gradientNorm),
    };
  }, [points]);
  const { loss, smooth } = columns;
  const data = {
    'data-steps': loss.length,
    'data-first-loss': loss.length ? loss[0] : '',
    'data-last-loss': loss.length ? loss[loss.length - 1] : '',
    'data-smoothed-loss': smooth.length ? smooth[smooth.length - 1] : '',
    'data-min-loss': loss.length ? Math.min(...loss) : '',
  } as const;

  return (
    <div className="train-charts">
      <div className="chart-head">
        <h3>Loss</h3>
        <span className="muted small">
          mean cross-entropy per token (nats) · thin: every step · bold: smoothed
        </span>
        <label className="log-toggle small">
          <input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} /> log scale
        </label>
      </div>
      <div className="chart-frame">
        <LineChart
          testId="loss-chart"
          className="chart"
          x={columns.steps}
          height={250}
          yLabel="loss"
          logY={logY}
          formatY={formatLoss}
          data={data}
          series={[
            { label: 'loss', color: 'rgba(47, 91, 211, 0.35)', values: loss, width: 1 },
            { label: 'smoothed', color: '#2f5bd3', values: smooth, width: 2 },
          ]}
        />
        {loss.length === 0 ? (
          <div className="chart-empty muted">The loss appears here step by step.</div>
        ) : null}
      </div>
      <div className="small-charts">
        <div>
          <h3>Learning rate</h3>
          <LineChart
            testId="lr-chart"
            className="chart"
            x={columns.steps}
            height={130}
            legend={false}
            yLabel="lr"
            formatY={formatSci}
            formatAxis={formatSci}
            series={[{ label: 'lr', color: '#17723a', values: columns.learningRate }]}
          />
        </div>
        <div>
          <h3>Gradient norm (before clipping)</h3>
          <LineChart
            testId="grad-norm-chart"
            className="chart"
            x={columns.steps}
            height={130}
            legend={false}
            yLabel="L2 norm"
            formatY={formatSci}
            formatAxis={formatSci}
            series={[{ label: 'gradient norm', color: '#b45309', values: columns.gradientNorm }]}
          />
        </div>
      </div>
    </div>
  );
}
