// The colour measure of the token chips, with its legend: the same scale the chips are drawn with.
import { useAppStore, type ColourMeasure } from '../../store';
import { MEASURES, legendOf } from './measures';
import './controls.css';

export function MeasureBar({ maxEntropy }: { maxEntropy: number }) {
  const measure = useAppStore((s) => s.decode.measure);
  const setMeasure = useAppStore((s) => s.setColourMeasure);
  const info = MEASURES.find((m) => m.value === measure)!;
  return (
    <div className="measure-bar" data-testid="decode-measure-bar">
      <label className="dfield measure-select" title={info.help}>
        <span className="dfield-label">colour tokens by</span>
        <select
          className="text-input"
          value={measure}
          data-testid="decode-measure"
          onChange={(e) => setMeasure(e.currentTarget.value as ColourMeasure)}
        >
          {MEASURES.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
      <ul className="legend" aria-label={`Legend: ${info.label}`} data-testid="decode-legend">
        {legendOf(measure, maxEntropy).map(([colour, label]) => (
          <li key={label}>
            <span className="legend-swatch" style={{ background: colour }} aria-hidden />
            {label}
          </li>
        ))}
        {measure === 'entropy' ? <li className="muted">nats</li> : null}
      </ul>
      <span className="muted small measure-help">{info.help}</span>
      <span className="muted small measure-help">
        <span className="tok-diverge-mark">≠</span> first step that differs from lane 1 · click a token (or
        use the arrow keys) to inspect it
      </span>
    </div>
  );
}
