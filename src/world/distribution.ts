// A training distribution with a language prior, and the samplers that measure it.
//
// Models trained on text from this world learn its regularities: "a star usually comes with a
// moon", "stars are usually yellow". When the prior is strong enough to override the image, a
// model says "moon" for a picture with a star alone: the object hallucination that contrastive
// decoding methods (VCD, RITUAL, …) target. Evaluating on scenes that break the prior
// (sampleAntiPriorScene) turns the prior into measurable hallucination (POPE adversarial, CHAIR).
//
// The prior strength s ∈ [0, 1] scales every configured regularity:
//   shape of a new object   P(shape) = (1 − s) / |SHAPES| + s · weight(shape) / Σ weights
//   co-occurrence {A, B}, p  when an A is placed and no B is in the scene yet, with probability
//                            s · p the next object is a B (if the scene has room for one more)
//   colour prior (shape, c, p)  with probability s · p the object is c; otherwise the colour is
//                            uniform over all colours (so P(c) = s·p + (1 − s·p) / |COLOURS|)
// s = 0 is the uniform world (shapes and colours independent and uniform); s = 1 uses the
// configured numbers as written. Count (uniform in minObjects..maxObjects), size and position
// (distinct random cells, random offsets) have no prior.
import { WorldRandom } from './random';
import {
  CELL_SIZE,
  COLOURS,
  GRID_SIZE,
  MAX_OBJECTS,
  SHAPES,
  SIZE_PIXELS,
  type Colour,
  type Scene,
  type SceneObject,
  type Shape,
} from './types';

export interface CooccurrenceRule {
  shapes: readonly [Shape, Shape];
  /** Chance (at strength 1) that placing one brings the other. */
  probability: number;
}

export interface ColourPrior {
  shape: Shape;
  colour: Colour;
  /** Chance (at strength 1) that an object of this shape has this colour outright. */
  probability: number;
}

export interface WorldDistribution {
  minObjects: number;
  maxObjects: number;
  /** Relative frequency of each shape; missing shapes weigh 1. Sets POPE's "popular" objects. */
  shapeWeights: Partial<Record<Shape, number>>;
  cooccurrence: readonly CooccurrenceRule[];
  colourPriors: readonly ColourPrior[];
  largeProbability: number;
  /** Strength of every prior above, in [0, 1] (0: uniform world). */
  priorStrength: number;
}

/** The default world: stars come with moons, hearts with crosses, triangles with diamonds. */
export const DEFAULT_WORLD: WorldDistribution = {
  minObjects: 1,
  maxObjects: MAX_OBJECTS,
  shapeWeights: { circle: 5, square: 4, triangle: 3, star: 2, diamond: 1, moon: 1, heart: 1, cross: 1 },
  cooccurrence: [
    { shapes: ['star', 'moon'], probability: 0.8 },
    { shapes: ['heart', 'cross'], probability: 0.7 },
    { shapes: ['triangle', 'diamond'], probability: 0.6 },
  ],
  colourPriors: [
    { shape: 'star', colour: 'yellow', probability: 0.8 },
    { shape: 'moon', colour: 'white', probability: 0.8 },
    { shape: 'heart', colour: 'red', probability: 0.8 },
  ],
  largeProbability: 0.5,
  priorStrength: 0.9,
};

const inUnit = (p: number) => typeof p === 'number' && p >= 0 && p <= 1;

/** Throws an error naming the first bad field. */
export function validateDistribution(d: WorldDistribution): void {
  const { minObjects: lo, maxObjects: hi } = d;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > MAX_OBJECTS || lo > hi) {
    throw new RangeError(
      `WorldDistribution: need 1 ≤ minObjects ≤ maxObjects ≤ ${MAX_OBJECTS}, got ${lo}..${hi}`,
    );
  }
  if (!inUnit(d.priorStrength)) {
    throw new RangeError(`WorldDistribution: priorStrength must be in [0, 1], got ${d.priorStrength}`);
  }
  if (!inUnit(d.largeProbability)) {
    throw new RangeError(`WorldDistribution: largeProbability must be in [0, 1], got ${d.largeProbability}`);
  }
  for (const [shape, w] of Object.entries(d.shapeWeights)) {
    if (
      !(SHAPES as readonly string[]).includes(shape) ||
      !(typeof w === 'number' && w >= 0 && Number.isFinite(w))
    ) {
      throw new RangeError(
        `WorldDistribution: shapeWeights.${shape} = ${w}: need a known shape and a finite weight ≥ 0`,
      );
    }
  }
  if (SHAPES.every((s) => (d.shapeWeights[s] ?? 1) === 0)) {
    throw new RangeError('WorldDistribution: every shape weight is 0');
  }
  for (const rule of d.cooccurrence) {
    const [a, b] = rule.shapes;
    if (!SHAPES.includes(a) || !SHAPES.includes(b) || a === b || !inUnit(rule.probability)) {
      throw new RangeError(
        `WorldDistribution: co-occurrence ${JSON.stringify(rule)} needs two different shapes and p in [0, 1]`,
      );
    }
  }
  for (const prior of d.colourPriors) {
    if (!SHAPES.includes(prior.shape) || !COLOURS.includes(prior.colour) || !inUnit(prior.probability)) {
      throw new RangeError(
        `WorldDistribution: colour prior ${JSON.stringify(prior)} needs a shape, a colour and p in [0, 1]`,
      );
    }
  }
}

/** The partners of a shape under the co-occurrence rules, with their probabilities. */
export function partnersOf(d: WorldDistribution, shape: Shape): { shape: Shape; probability: number }[] {
  return d.cooccurrence
    .filter((r) => r.shapes.includes(shape))
    .map((r) => ({ shape: r.shapes[0] === shape ? r.shapes[1] : r.shapes[0], probability: r.probability }));
}

function placeObject(
  shape: Shape,
  colour: Colour,
  cell: number,
  d: WorldDistribution,
  rng: WorldRandom,
): SceneObject {
  const size = rng.chance(d.largeProbability) ? 'large' : 'small';
  const room = CELL_SIZE - SIZE_PIXELS[size] + 1;
  return {
    shape,
    colour,
    size,
    column: cell % GRID_SIZE,
    row: Math.floor(cell / GRID_SIZE),
    offsetX: rng.int(room),
    offsetY: rng.int(room),
  };
}

function objectCountAndCells(d: WorldDistribution, rng: WorldRandom): number[] {
  const count = d.minObjects + rng.int(d.maxObjects - d.minObjects + 1);
  const cells = Array.from({ length: GRID_SIZE * GRID_SIZE }, (_, i) => i);
  return rng.shuffle(cells).slice(0, count);
}

/** A scene from the distribution, honouring its priors at its priorStrength. */
export function sampleScene(d: WorldDistribution, rng: WorldRandom): Scene {
  validateDistribution(d);
  const s = d.priorStrength;
  const totalWeight = SHAPES.reduce((sum, shape) => sum + (d.shapeWeights[shape] ?? 1), 0);
  const shapeProbabilities = SHAPES.map(
    (shape) => (1 - s) / SHAPES.length + (s * (d.shapeWeights[shape] ?? 1)) / totalWeight,
  );
  const objects: SceneObject[] = [];
  const queued: Shape[] = [];
  const present = new Set<Shape>();
  for (const cell of objectCountAndCells(d, rng)) {
    const shape = queued.shift() ?? SHAPES[rng.weighted(shapeProbabilities)];
    present.add(shape);
    for (const partner of partnersOf(d, shape)) {
      if (present.has(partner.shape) || queued.includes(partner.shape)) continue;
      if (rng.chance(s * partner.probability)) queued.push(partner.shape);
    }
    const prior = d.colourPriors.find((p) => p.shape === shape);
    const colour =
      prior !== undefined && rng.chance(s * prior.probability) ? prior.colour : rng.pick(COLOURS);
    objects.push(placeObject(shape, colour, cell, d, rng));
  }
  return { objects };
}

/**
 * A scene that contradicts the prior: no two shapes of a co-occurrence rule together, and no
 * object in its shape's prior colour. Shapes and colours are otherwise uniform; count, size and
 * position follow the distribution. For evaluation: a model leaning on the prior hallucinates.
 */
export function sampleAntiPriorScene(d: WorldDistribution, rng: WorldRandom): Scene {
  validateDistribution(d);
  const objects: SceneObject[] = [];
  const present = new Set<Shape>();
  for (const cell of objectCountAndCells(d, rng)) {
    const banned = new Set([...present].flatMap((shape) => partnersOf(d, shape).map((p) => p.shape)));
    const shapes = SHAPES.filter((x) => !banned.has(x));
    if (shapes.length === 0) {
      throw new RangeError(
        `sampleAntiPriorScene: the co-occurrence rules pair ${[...present].join(', ')} with every shape`,
      );
    }
    const shape = rng.pick(shapes);
    present.add(shape);
    const priorColours = new Set(d.colourPriors.filter((p) => p.shape === shape).map((p) => p.colour));
    const colours = COLOURS.filter((c) => !priorColours.has(c));
    if (colours.length === 0) {
      throw new RangeError(`sampleAntiPriorScene: the colour priors of ${shape} cover every colour`);
    }
    const colour = rng.pick(colours);
    objects.push(placeObject(shape, colour, cell, d, rng));
  }
  return { objects };
}

export type SceneSampler = 'prior' | 'uniform' | 'anti-prior';

/** Scene `index` of a seeded set: it uses stream `index` of the seed, so it is rebuilt on its own. */
export function sampleSceneAt(
  d: WorldDistribution,
  seed: number,
  index: number,
  sampler: SceneSampler = 'prior',
): Scene {
  const rng = WorldRandom.fromNumber(seed, index);
  if (sampler === 'anti-prior') return sampleAntiPriorScene(d, rng);
  return sampleScene(sampler === 'uniform' ? { ...d, priorStrength: 0 } : d, rng);
}

/** `count` scenes from a seed (scene i = sampleSceneAt(d, seed, firstIndex + i, sampler)). */
export function sampleScenes(
  d: WorldDistribution,
  seed: number,
  count: number,
  sampler: SceneSampler = 'prior',
  firstIndex = 0,
): Scene[] {
  return Array.from({ length: count }, (_, i) => sampleSceneAt(d, seed, firstIndex + i, sampler));
}
