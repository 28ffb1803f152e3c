// The Shapes world's nouns and adjectives, and the scene they make up.
//
// Image: 48×48 RGB ([H, W, 3], row-major, Uint8 0..255). A tiny vision-language model with 8×8
// patches sees a 6×6 grid of patches. The canvas is split into a 3×3 grid of 16×16 cells and each
// object sits inside one cell (at most one object per cell), so:
//   - objects never overlap and the rasterizer's output does not depend on drawing order;
//   - spatial relations are read from cells (column/row), never from pixel distances, so "left of"
//     is never ambiguous: every pixel of the left object is left of every pixel of the right one;
//   - sizes are clearly distinct: small objects span 9 px (about one patch), large ones 15 px (about
//     two patches across).
// Objects are plain JSON (no classes), so scenes go into share links and test fixtures as they are.

export const IMAGE_SIZE = 48;
export const GRID_SIZE = 3;
export const CELL_SIZE = IMAGE_SIZE / GRID_SIZE;
export const MAX_OBJECTS = 6;

export const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'star', 'moon', 'heart', 'cross'] as const;
export type Shape = (typeof SHAPES)[number];

export const COLOURS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'white'] as const;
export type Colour = (typeof COLOURS)[number];

export const SIZES = ['small', 'large'] as const;
export type Size = (typeof SIZES)[number];

/** Width and height in pixels of an object's box. */
export const SIZE_PIXELS: Readonly<Record<Size, number>> = { small: 9, large: 15 };

/** RGB of each colour: far apart from each other and from the black background. */
export const PALETTE: Readonly<Record<Colour, readonly [number, number, number]>> = {
  red: [220, 40, 40],
  orange: [245, 140, 30],
  yellow: [240, 220, 40],
  green: [50, 180, 70],
  blue: [50, 100, 230],
  purple: [150, 70, 200],
  pink: [245, 130, 190],
  white: [240, 240, 240],
};

export const BACKGROUND: readonly [number, number, number] = [0, 0, 0];

export const RELATIONS = ['left of', 'right of', 'above', 'below'] as const;
export type Relation = (typeof RELATIONS)[number];

export interface SceneObject {
  shape: Shape;
  colour: Colour;
  size: Size;
  /** Grid cell, 0..GRID_SIZE-1 each; relations are read from these. */
  column: number;
  row: number;
  /** Offset of the object's box inside its cell, 0..CELL_SIZE - SIZE_PIXELS[size] each. */
  offsetX: number;
  offsetY: number;
}

/** A scene: 0..MAX_OBJECTS objects in distinct cells (the samplers always give at least one). */
export interface Scene {
  objects: readonly SceneObject[];
}

export function isShape(word: unknown): word is Shape {
  return (SHAPES as readonly unknown[]).includes(word);
}

export function isColour(word: unknown): word is Colour {
  return (COLOURS as readonly unknown[]).includes(word);
}

export function isSize(word: unknown): word is Size {
  return (SIZES as readonly unknown[]).includes(word);
}
