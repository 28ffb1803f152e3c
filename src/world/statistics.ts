// Object statistics of a set of scenes: what POPE's "popular" and "adversarial" splits rank by.
// Following POPE (Li et al., 2023), frequencies are counted over the training scenes: a shape's
// frequency is the number of scenes it appears in, and the co-occurrence of two shapes the number
// of scenes holding both. Colour counts (per object) show the colour priors.
import { shapesIn } from './scene';
import { COLOURS, SHAPES, type Colour, type Scene, type Shape } from './types';

export interface WorldStatistics {
  scenes: number;
  /** Scenes containing each shape. */
  shapeCounts: Record<Shape, number>;
  /** cooccurrence[a][b] = scenes containing both a and b (a ≠ b; symmetric; 0 on the diagonal). */
  cooccurrence: Record<Shape, Record<Shape, number>>;
  /** colourCounts[shape][colour] = objects of that shape and colour. */
  colourCounts: Record<Shape, Record<Colour, number>>;
}

function table<K extends string, V>(keys: readonly K[], value: () => V): Record<K, V> {
  return Object.fromEntries(keys.map((k) => [k, value()])) as Record<K, V>;
}

export function worldStatistics(scenes: readonly Scene[]): WorldStatistics {
  const shapeCounts = table(SHAPES, () => 0);
  const cooccurrence = table(SHAPES, () => table(SHAPES, () => 0));
  const colourCounts = table(SHAPES, () => table(COLOURS, () => 0));
  for (const scene of scenes) {
    const present = [...shapesIn(scene)];
    for (const a of present) {
      shapeCounts[a]++;
      for (const b of present) if (a !== b) cooccurrence[a][b]++;
    }
    for (const o of scene.objects) colourCounts[o.shape][o.colour]++;
  }
  return { scenes: scenes.length, shapeCounts, cooccurrence, colourCounts };
}

/** Shapes from most to least frequent (ties in SHAPES order). */
export function shapesByFrequency(stats: WorldStatistics): Shape[] {
  return [...SHAPES].sort((a, b) => stats.shapeCounts[b] - stats.shapeCounts[a]);
}

/**
 * Shapes not in `present`, those most bound to the present ones first: an absent shape b scores
 * max over present a of count(a, b) / count(a), the share of a's scenes that also hold b; ties go
 * to the larger summed co-occurrence count, then the more frequent shape, then SHAPES order.
 * Interpretation of POPE's "rank by co-occurring frequency with the ground-truth objects": raw
 * summed counts rank the shapes that are frequent everywhere first, which is the popular split
 * again; the conditional share asks first about the partners the language prior binds.
 */
export function shapesByCooccurrence(stats: WorldStatistics, present: ReadonlySet<Shape>): Shape[] {
  const given = [...present].filter((a) => stats.shapeCounts[a] > 0);
  const share = (b: Shape) =>
    Math.max(0, ...given.map((a) => stats.cooccurrence[a][b] / stats.shapeCounts[a]));
  const total = (b: Shape) => given.reduce((sum, a) => sum + stats.cooccurrence[a][b], 0);
  return SHAPES.filter((s) => !present.has(s)).sort(
    (a, b) => share(b) - share(a) || total(b) - total(a) || stats.shapeCounts[b] - stats.shapeCounts[a],
  );
}
