// A lane's small chart over steps: the entropy of the distribution each token was chosen from
// (nats, left axis) and the chosen token's probability (0..1, right axis). Built once per lane and
// fed new points in place (uPlot redraws in well under a millisecond); follows its container's
// width. Clicking a step opens that token in the inspector.
import { useEffect, useLayoutEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TokenRecord } from '../../share/trace';

const ENTROPY_COLOUR = '#d66e12';
const PROBABILITY_COLOUR = '#2f5bd3';
const AXIS = {
  stroke: '#5d6673',
  font: '10px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  grid: { stroke: '#eceff3', width: 1 },
  ticks: { stroke: '#dde1e7', width: 1, size: 3 },
};

/** A gap (null) where a number was not read back (NaN: speculative lanes' entropies). */
const point = (value: number) => (Number.isNaN(value) ? null : value);

function dataOf(tokens: readonly TokenRecord[]): uPlot.AlignedData {
  return [
    tokens.map((t) => t.step),
    tokens.map((t) => point(t.combined.entropy)),
    tokens.map((t) => point(t.combined.chosenProbability)),
  ];
}

function options(width: number, height: number, onPick: (step: number) => void): uPlot.Options {
  return {
    width,
    height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 4 } },
    scales: {
      x: {
        time: false,
        range: (u, min, max) => (u.data[0].length <= 1 ? [min ?? 0, (min ?? 0) + 1] : [min, max]),
      },
      H: { auto: true, range: (_u, _min, max) => [0, Math.max(Math.LN2, max ?? 0)] },
      p: { auto: false, range: [0, 1] },
    },
    axes: [
      { ...AXIS, size: 22, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
      { ...AXIS, scale: 'H', size: 34, stroke: ENTROPY_COLOUR },
      { ...AXIS, scale: 'p', side: 1, size: 30, stroke: PROBABILITY_COLOUR, grid: { show: false } },
    ],
    series: [
      {},
      { label: 'entropy', scale: 'H', stroke: ENTROPY_COLOUR, width: 1.5, points: { show: (u: uPlot) => u.data[0].length <= 40, size: 3 } }, // prettier-ignore
      { label: 'p(chosen)', scale: 'p', stroke: PROBABILITY_COLOUR, width: 1.5, points: { show: (u: uPlot) => u.data[0].length <= 40, size: 3 } }, // prettier-ignore
    ],
    hooks: {
      ready: [
        (u) =>
          u.over.addEventListener('click', () => {
            const index = u.cursor.idx;
            if (index !== null && index !== undefined) onPick(u.data[0][index]);
          }),
      ],
    },
  };
}

export function LaneChart({
  tokens,
  height = 96,
  onPick,
  testId,
}: {
  tokens: readonly TokenRecord[];
  height?: number;
  onPick: (step: number) => void;
  testId?: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const pick = useRef(onPick);
  const latest = useRef(tokens);
  useLayoutEffect(() => {
    pick.current = onPick;
    latest.current = tokens;
  });

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const plot = new uPlot(
      options(Math.max(160, element.clientWidth), height, (step) => pick.current(step)),
      dataOf(latest.current),
      element,
    );
    chart.current = plot;
    const observer = new ResizeObserver(() => {
      const width = Math.max(160, element.clientWidth);
      if (width !== plot.width) plot.setSize({ width, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [height]);

  useEffect(() => {
    chart.current?.setData(dataOf(tokens));
  }, [tokens]);

  return (
    <div className="lane-chart-frame">
      <div className="lane-chart-key small">
        <span style={{ color: ENTROPY_COLOUR }}>— entropy (nats)</span>
        <span style={{ color: PROBABILITY_COLOUR }}>— p(chosen)</span>
      </div>
      <div
        ref={container}
        className="lane-chart"
        data-testid={testId}
        role="img"
        aria-label={`Entropy and chosen-token probability over ${tokens.length} steps`}
      />
    </div>
  );
}
