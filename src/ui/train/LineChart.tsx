// A small uPlot line chart that follows its container's width and takes new data without being
// rebuilt (uPlot redraws tens of thousands of points in a few milliseconds, so a live curve
// costs nothing). Options that uPlot cannot change in place (a log scale) rebuild the chart.
import { useEffect, useLayoutEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  values: readonly (number | null)[];
  width?: number;
  dash?: number[];
}

export interface LineChartProps {
  /** x values (steps), ascending. */
  x: readonly number[];
  series: readonly ChartSeries[];
  height: number;
  yLabel: string;
  logY?: boolean;
  /** Formats y values in the legend (the axis picks its own precision from the tick spacing). */
  formatY?: (value: number) => string;
  /** Formats the y axis's tick labels (default: uPlot's, precision from the tick spacing). */
  formatAxis?: (value: number) => string;
  /** Show the hover read-out under the chart. */
  legend?: boolean;
  className?: string;
  /** Extra attributes for the container (data-* for tests). */
  data?: Record<`data-${string}`, string | number>;
  testId?: string;
}

/** Steps are whole numbers: tick increments that never fall between two steps. */
const STEP_INCREMENTS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000,
];

const AXIS = {
  stroke: '#5d6673',
  font: '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  grid: { stroke: '#eceff3', width: 1 },
  ticks: { stroke: '#dde1e7', width: 1, size: 4 },
};

/**
 * Legend values: the hovered point's, and when the cursor is elsewhere the latest point's (uPlot
 * passes idx null then), so the read-out always says where the run is.
 */
function legendValue(format: (value: number) => string) {
  return (u: uPlot, value: number | null, seriesIndex: number, index: number | null): string => {
    const column = u.data[seriesIndex] ?? [];
    const shown = index === null ? (column[column.length - 1] ?? null) : value;
    return shown === null || shown === undefined ? '—' : format(shown);
  };
}

function axisValues(format: (value: number) => string) {
  return (_u: uPlot, ticks: number[]) => ticks.map((t) => format(t));
}

function optionsOf(props: LineChartProps, width: number): uPlot.Options {
  const format = props.formatY ?? ((v: number) => String(v));
  return {
    width,
    height: props.height,
    legend: { show: props.legend ?? true, live: true },
    cursor: { drag: { x: true, y: false }, points: { size: 5 } },
    scales: {
      // uPlot spans a single point over 0..100; one step of room reads better.
      x: {
        time: false,
        range: (u, min, max) => (u.data[0].length === 1 ? [u.data[0][0], u.data[0][0] + 1] : [min, max]),
      },
      y: props.logY ? { distr: 3, log: 10 } : { auto: true },
    },
    axes: [
      { ...AXIS, incrs: STEP_INCREMENTS, size: 30 },
      {
        ...AXIS,
        label: props.yLabel,
        labelSize: 14,
        labelFont: AXIS.font,
        size: 56,
        space: 24,
        ...(props.formatAxis ? { values: axisValues(props.formatAxis) } : {}),
      },
    ],
    series: [
      { label: 'step', value: legendValue(String) },
      ...props.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 1.5,
        dash: s.dash,
        // Dots while the curve is short enough to count its steps (a single step is only a dot).
        points: { show: (u: uPlot) => u.data[0].length <= 30, size: 4 },
        value: legendValue(format),
      })),
    ],
  };
}

function dataOf(props: LineChartProps): uPlot.AlignedData {
  return [props.x as number[], ...props.series.map((s) => s.values as (number | null)[])];
}

export function LineChart(props: LineChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(props);
  useLayoutEffect(() => {
    latest.current = props;
  });
  const seriesKey = props.series.map((s) => `${s.label}:${s.color}`).join('|');

  // Build (and rebuild when a structural option changes); follow the container's width.
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const width = Math.max(200, element.clientWidth);
    const plot = new uPlot(optionsOf(latest.current, width), dataOf(latest.current), element);
    chart.current = plot;
    const observer = new ResizeObserver(() => {
      const next = Math.max(200, element.clientWidth);
      if (next !== plot.width) plot.setSize({ width: next, height: latest.current.height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = null;
    };
  }, [props.logY, props.height, props.yLabel, seriesKey]);

  // New points: data only.
  useEffect(() => {
    chart.current?.setData(dataOf(props));
  });

  return <div ref={container} className={props.className} data-testid={props.testId} {...props.data} />;
}
