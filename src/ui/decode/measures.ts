// How a token chip is coloured: by the probability the token had where it was chosen, by the
// entropy of that distribution, by its rank under the base distribution (the undistorted input's),
// or by whether the method changed the base argmax. Pure: the legend and the chips read the same
// scale, so a colour always means what the legend says.
import type { TokenRecord } from '../../share/trace';
import type { ColourMeasure } from '../../store/decodeSlice';

export type { ColourMeasure };

export const MEASURES: readonly { value: ColourMeasure; label: string; help: string }[] = [
  {
    value: 'probability',
    label: 'probability',
    help: 'The chosen token’s probability under the distribution it was picked from (combined, after filters). Darker: more probable.',
  },
  {
    value: 'entropy',
    label: 'entropy',
    help: 'Entropy (nats) of the distribution the token was picked from. Darker: more uncertain.',
  },
  {
    value: 'rank',
    label: 'rank under base',
    help: 'The chosen token’s rank under the base distribution (the model on the undistorted input). Rank 1 is what greedy decoding of the base would have picked.',
  },
  {
    value: 'changed',
    label: 'changed by method',
    help: 'Marked where the method chose a different token than the base distribution’s argmax.',
  },
];

/** Ranks are binned: 1 (the base argmax), 2, 3–5, 6–10, beyond 10. */
export const RANK_BINS: readonly { upTo: number; label: string; colour: string }[] = [
  { upTo: 1, label: '1', colour: '#e5f4ea' },
  { upTo: 2, label: '2', colour: '#fff1c2' },
  { upTo: 5, label: '3–5', colour: '#ffd8a8' },
  { upTo: 10, label: '6–10', colour: '#fbb4a5' },
  { upTo: Infinity, label: '>10', colour: '#e8837a' },
];

const CHANGED = '#e4d7fb';
const UNCHANGED = '#f1f3f6';

/** A colour `intensity` (0..1) of the way from white to the measure's hue; text stays readable. */
function ramp(hue: 'blue' | 'orange', intensity: number): string {
  const t = Math.min(1, Math.max(0, Number.isFinite(intensity) ? intensity : 0));
  const [r, g, b] = hue === 'blue' ? [47, 91, 211] : [214, 110, 18];
  const alpha = 0.06 + 0.52 * t;
  return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
}

/** The scale's upper end for entropy: the largest entropy shown (at least ln 2, so one bit is never "full"). */
export function entropyScale(tokens: Iterable<TokenRecord>): number {
  let high = Math.LN2;
  for (const t of tokens) if (Number.isFinite(t.combined.entropy)) high = Math.max(high, t.combined.entropy);
  return high;
}

/** The base distribution's rank of the chosen token (components[0] is the base). */
export function baseRank(token: TokenRecord): number {
  return (token.components[0] ?? token.combined).chosenRank;
}

export function rankBin(rank: number): (typeof RANK_BINS)[number] {
  return RANK_BINS.find((bin) => rank <= bin.upTo) ?? RANK_BINS[RANK_BINS.length - 1];
}

/** The chip's background colour under `measure`; `maxEntropy` from entropyScale over what is shown. */
export function chipColour(token: TokenRecord, measure: ColourMeasure, maxEntropy: number): string {
  switch (measure) {
    // NaN: not read back (a speculative token the verifier did not report p for): neutral, not "0".
    case 'probability':
      return Number.isNaN(token.combined.chosenProbability) ? UNCHANGED : ramp('blue', token.combined.chosenProbability); // prettier-ignore
    case 'entropy':
      return Number.isNaN(token.combined.entropy) ? UNCHANGED : ramp('orange', token.combined.entropy / maxEntropy); // prettier-ignore
    case 'rank':
      // Rank 0: not known (a sampled speculative token; the engine reads back no distribution).
      return baseRank(token) >= 1 ? rankBin(baseRank(token)).colour : UNCHANGED;
    case 'changed':
      return token.changedByMethod ? CHANGED : UNCHANGED;
  }
}

/** The legend's swatches: [colour, label] from low to high. */
export function legendOf(measure: ColourMeasure, maxEntropy: number): [string, string][] {
  switch (measure) {
    case 'probability':
      return [0, 0.25, 0.5, 0.75, 1].map((p) => [ramp('blue', p), p.toFixed(2)]);
    case 'entropy':
      return [0, 0.25, 0.5, 0.75, 1].map((f) => [ramp('orange', f), (f * maxEntropy).toFixed(2)]);
    case 'rank':
      return RANK_BINS.map((bin) => [bin.colour, bin.label]);
    case 'changed':
      return [
        [UNCHANGED, 'base argmax kept'],
        [CHANGED, 'changed by method'],
      ];
  }
}

/** The numbers a chip's tooltip states, whatever the colour measure. */
export function chipTitle(token: TokenRecord): string {
  const p = token.combined.chosenProbability;
  const H = token.combined.entropy;
  const rank = baseRank(token);
  // NaN and rank 0: a number the method did not read back (speculative lanes), not a value.
  return (
    `step ${token.step} · id ${token.id} · p ${Number.isNaN(p) ? '—' : p.toFixed(4)}` +
    ` · H ${Number.isNaN(H) ? '—' : `${H.toFixed(3)} nats`}` +
    ` · base rank ${rank >= 1 ? rank : '—'}${token.changedByMethod ? ' · changed by method' : ''}`
  );
}
