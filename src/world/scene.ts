// Scene checks and the scene-side meaning of the language: which objects a phrase denotes, whether
// a relation holds between two sets of objects, and the (colour, shape) groups captions describe.
//
// Relations are read from grid cells (see types.ts): a is "left of" b when a.column < b.column,
// "above" when a.row < b.row. Between two sets, a relation holds when it holds for every pair
// (so "two red circles left of a blue star" says each red circle is left of the star) and both
// sets are non-empty.
import {
  CELL_SIZE,
  GRID_SIZE,
  MAX_OBJECTS,
  SIZE_PIXELS,
  isColour,
  isShape,
  isSize,
  type Colour,
  type Relation,
  type Scene,
  type SceneObject,
  type Shape,
  type Size,
} from './types';

function checkInteger(where: string, name: string, value: number, max: number, why = ''): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${where}: ${name} must be an integer in 0..${max}${why}, got ${String(value)}`);
  }
}

/** Throws an error naming the first problem: unknown words, cells out of range or shared, offsets that leave the cell. */
export function validateScene(scene: Scene): void {
  if (scene === null || typeof scene !== 'object' || !Array.isArray(scene.objects as unknown)) {
    throw new TypeError('Scene: expected an object { objects: SceneObject[] }');
  }
  if (scene.objects.length > MAX_OBJECTS) {
    throw new RangeError(`Scene: has ${scene.objects.length} objects, at most ${MAX_OBJECTS} are allowed`);
  }
  const used = new Set<number>();
  scene.objects.forEach((o, i) => {
    const where = `Scene object ${i}`;
    if (!isShape(o.shape)) throw new RangeError(`${where}: unknown shape ${JSON.stringify(o.shape)}`);
    if (!isColour(o.colour)) throw new RangeError(`${where}: unknown colour ${JSON.stringify(o.colour)}`);
    if (!isSize(o.size)) throw new RangeError(`${where}: unknown size ${JSON.stringify(o.size)}`);
    checkInteger(where, 'column', o.column, GRID_SIZE - 1);
    checkInteger(where, 'row', o.row, GRID_SIZE - 1);
    const room = CELL_SIZE - SIZE_PIXELS[o.size];
    const why = ` for a ${o.size} object (${SIZE_PIXELS[o.size]} px in a ${CELL_SIZE} px cell)`;
    checkInteger(where, 'offsetX', o.offsetX, room, why);
    checkInteger(where, 'offsetY', o.offsetY, room, why);
    const cell = o.row * GRID_SIZE + o.column;
    if (used.has(cell)) {
      throw new RangeError(`${where}: cell (column ${o.column}, row ${o.row}) already holds another object`);
    }
    used.add(cell);
  });
}

/** What a noun phrase pins down; a missing attribute matches any value. */
export interface ObjectPattern {
  shape: Shape;
  colour?: Colour | null;
  size?: Size | null;
}

/** The objects a phrase like "small red circles" refers to. */
export function denotation(scene: Scene, pattern: ObjectPattern): SceneObject[] {
  return scene.objects.filter(
    (o) =>
      o.shape === pattern.shape &&
      (pattern.colour == null || o.colour === pattern.colour) &&
      (pattern.size == null || o.size === pattern.size),
  );
}

export function relationHoldsForPair(a: SceneObject, b: SceneObject, relation: Relation): boolean {
  switch (relation) {
    case 'left of':
      return a.column < b.column;
    case 'right of':
      return a.column > b.column;
    case 'above':
      return a.row < b.row;
    case 'below':
      return a.row > b.row;
  }
}

/** True when both sets are non-empty and the relation holds for every pair. */
export function relationHolds(
  subjects: readonly SceneObject[],
  objects: readonly SceneObject[],
  relation: Relation,
): boolean {
  if (subjects.length === 0 || objects.length === 0) return false;
  return subjects.every((a) => objects.every((b) => relationHoldsForPair(a, b, relation)));
}

/** The objects of one colour and shape: what "two red circles" describes. */
export interface ObjectGroup {
  shape: Shape;
  colour: Colour;
  objects: SceneObject[];
  /** The size all members share, or null when they differ. */
  size: Size | null;
}

/** Groups by (colour, shape), in order of first appearance. */
export function groupObjects(scene: Scene): ObjectGroup[] {
  const groups = new Map<string, ObjectGroup>();
  for (const o of scene.objects) {
    const key = `${o.colour} ${o.shape}`;
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { shape: o.shape, colour: o.colour, objects: [o], size: o.size });
    } else {
      group.objects.push(o);
      if (group.size !== o.size) group.size = null;
    }
  }
  return [...groups.values()];
}

/** Distinct shapes present, in order of first appearance in the scene. */
export function shapesIn(scene: Scene): Set<Shape> {
  return new Set(scene.objects.map((o) => o.shape));
}

const ROW_NAMES = ['top', 'middle', 'bottom'];
const COLUMN_NAMES = ['left', 'centre', 'right'];

/** "large red circle, top left" — for overlays and error messages, not for training text. */
export function describeObject(o: SceneObject): string {
  const place =
    o.row === 1 && o.column === 1
      ? 'centre'
      : `${ROW_NAMES[o.row] ?? o.row} ${COLUMN_NAMES[o.column] ?? o.column}`;
  return `${o.size} ${o.colour} ${o.shape}, ${place}`;
}
