// A lane's tokens as chips coloured by the chosen measure. The first step where this lane differs
// from lane 1 carries a marker. A chip is a button: click or Enter opens it in the inspector. Each
// lane is one tab stop; the arrow keys move along the lane (Home/End to its ends) and across lanes
// at the same step, opening each token they land on.
import type { KeyboardEvent } from 'react';
import type { TokenRecord } from '../../share/trace';
import type { ColourMeasure } from '../../store';
import { visible } from '../model/GenerateBox';
import { chipColour, chipTitle } from './measures';

export interface TokenStreamProps {
  laneIndex: number;
  laneId: string;
  tokens: readonly TokenRecord[];
  measure: ColourMeasure;
  maxEntropy: number;
  /** The first step where this lane differs from lane 1 (null: none, or this is lane 1). */
  divergence: number | null;
  selectedStep: number | null;
  onSelect: (step: number) => void;
  running: boolean;
}

/** Focuses the chip of (lane, step) if it exists, and opens it in the inspector. */
function openChip(lane: number, step: number): void {
  const chip = document.querySelector<HTMLButtonElement>(`[data-testid="decode-token-${lane}-${step}"]`);
  if (!chip) return;
  chip.focus();
  chip.click();
}

export function TokenStream(props: TokenStreamProps) {
  const { laneIndex, tokens, divergence, selectedStep } = props;
  const move = (event: KeyboardEvent<HTMLButtonElement>, step: number) => {
    const targets: Record<string, [number, number]> = {
      ArrowLeft: [laneIndex, step - 1],
      ArrowRight: [laneIndex, step + 1],
      ArrowUp: [laneIndex - 1, step],
      ArrowDown: [laneIndex + 1, step],
      Home: [laneIndex, 0],
      End: [laneIndex, tokens.length - 1],
    };
    const target = targets[event.key];
    if (!target) return;
    event.preventDefault();
    openChip(target[0], target[1]);
  };

  return (
    <div
      className="token-stream"
      role="group"
      aria-label={`Tokens of lane ${laneIndex + 1}`}
      data-testid={`decode-tokens-${laneIndex}`}
      data-count={tokens.length}
    >
      {tokens.map((token) => {
        const diverges = divergence === token.step;
        return (
          <button
            key={token.step}
            type="button"
            className={`tok${diverges ? ' tok-diverges' : ''}${token.changedByMethod ? ' tok-changed' : ''}`}
            style={{ background: chipColour(token, props.measure, props.maxEntropy) }}
            title={chipTitle(token) + (diverges ? ' · first step that differs from lane 1' : '')}
            aria-pressed={selectedStep === token.step}
            // One tab stop per lane (the selected chip, else the first); the arrow keys move inside.
            tabIndex={(selectedStep ?? 0) === token.step ? 0 : -1}
            data-testid={`decode-token-${laneIndex}-${token.step}`}
            data-token-id={token.id}
            data-diverges={diverges || undefined}
            onClick={() => props.onSelect(token.step)}
            onKeyDown={(e) => move(e, token.step)}
          >
            {diverges ? (
              <span className="tok-diverge-mark" aria-label="diverges from lane 1 here">
                ≠
              </span>
            ) : null}
            {visible(token.piece)}
          </button>
        );
      })}
      {props.running ? <span className="tok-cursor">▍</span> : null}
      {tokens.length === 0 && !props.running ? <span className="muted small">No tokens yet.</span> : null}
    </div>
  );
}
