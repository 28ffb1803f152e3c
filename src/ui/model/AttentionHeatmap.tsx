// Token × token attention probabilities of one (layer, head): rows are queries, columns keys, the
// causal upper triangle greyed out; hovering a cell reads out its probability.
import { useState } from 'react';
import type { TokenPiece } from '../../worker/modelTypes';
import { visible } from './GenerateBox';

// p = 0 is a pale tint, not white, so it stays distinct from the white (causally masked) cells.
const LOW = [234, 240, 249];
const HIGH = [8, 48, 107];

/** Linear pale → dark blue over p in [0, 1] (no per-map rescaling, so maps compare). */
export function heatColor(p: number): string {
  const t = Math.min(1, Math.max(0, p));
  const [r, g, b] = LOW.map((low, i) => Math.round(low + (HIGH[i] - low) * t));
  return `rgb(${r}, ${g}, ${b})`;
}

const label = (t: TokenPiece, i: number, max = 10) => {
  const text = visible(t.piece);
  return `${text.length > max ? `${text.slice(0, max - 1)}…` : text} ${i}`;
};

export function AttentionHeatmap({ tokens, probs }: { tokens: TokenPiece[]; probs: readonly number[] }) {
  const [hover, setHover] = useState<{ q: number; k: number } | null>(null);
  const n = tokens.length;
  const cell = Math.max(8, Math.min(30, Math.floor(440 / n)));
  const longest = Math.max(...tokens.map((t, i) => label(t, i).length));
  const margin = Math.min(96, 14 + longest * 6.6);
  const top = Math.min(80, margin * 0.8 + 6);
  const size = n * cell;
  const font = Math.min(11, cell - 1);
  const readout = hover
    ? `query ${hover.q} “${visible(tokens[hover.q].piece)}” → key ${hover.k} “${visible(tokens[hover.k].piece)}”: ` +
      (hover.k > hover.q ? 'masked (causal)' : `p = ${probs[hover.q * n + hover.k].toFixed(4)}`)
    : 'Hover a cell: row = query token, column = key token it attends to.';
  return (
    <div className="heatmap">
      <div className="heatmap-readout small" data-testid="attention-readout">
        {readout}
      </div>
      <svg
        width={margin + size + 2 + top * 0.6}
        height={top + size + 2}
        role="img"
        aria-label={`Attention heatmap, ${n} by ${n} tokens`}
        data-testid="attention-heatmap"
        onMouseLeave={() => setHover(null)}
      >
        {tokens.map((t, i) => (
          <text
            key={`row${i}`}
            x={margin - 4}
            y={top + i * cell + cell / 2}
            className={hover?.q === i ? 'axis-label active' : 'axis-label'}
            fontSize={font}
            textAnchor="end"
            dominantBaseline="central"
          >
            {label(t, i)}
          </text>
        ))}
        {tokens.map((t, i) => (
          <text
            key={`col${i}`}
            transform={`translate(${margin + i * cell + cell / 2}, ${top - 4}) rotate(-55)`}
            className={hover?.k === i ? 'axis-label active' : 'axis-label'}
            fontSize={font}
            dominantBaseline="central"
          >
            {label(t, i)}
          </text>
        ))}
        <g transform={`translate(${margin}, ${top})`}>
          {tokens.map((_, q) =>
            tokens.map((__, k) => {
              const p = probs[q * n + k];
              const masked = k > q;
              return (
                <rect
                  key={`${q}:${k}`}
                  data-testid="attention-cell"
                  x={k * cell}
                  y={q * cell}
                  width={cell - 1}
                  height={cell - 1}
                  fill={masked ? '#ffffff' : heatColor(p)}
                  onMouseEnter={() => setHover({ q, k })}
                >
                  <title>{masked ? 'masked (causal)' : `p = ${p.toFixed(4)}`}</title>
                </rect>
              );
            }),
          )}
        </g>
      </svg>
      <div className="legend small muted">
        <span>0</span>
        <span className="legend-ramp" />
        <span>1</span>
        <span>attention probability</span>
      </div>
    </div>
  );
}
