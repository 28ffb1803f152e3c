// Shape masks in exact integer geometry, so a pixel is inside or outside identically in every
// JavaScript engine (no trigonometry at run time; the star's points are precomputed constants).
//
// Each shape is drawn in a template box [0, 1000]² (y down) as a union of discs and polygons,
// minus some discs (the moon). A pixel (x, y) of an s×s box is inside when its centre
// ((x + ½) / s · 1000, (y + ½) / s · 1000) is inside. Multiplying through by 2s keeps everything
// integral: the centre is ((2x + 1)·1000, (2y + 1)·1000) and a template coordinate t becomes t·2s.
// For s ≤ 16 every product and sum below stays under 2^32, far inside a double's exact range (2^53).
import type { Shape } from './types';

type Point = readonly [number, number];

interface Disc {
  kind: 'disc';
  centre: Point;
  radius: number;
}

interface Polygon {
  kind: 'polygon';
  points: readonly Point[];
}

type Part = Disc | Polygon;

interface ShapeTemplate {
  add: readonly Part[];
  subtract?: readonly Part[];
}

const disc = (x: number, y: number, radius: number): Disc => ({ kind: 'disc', centre: [x, y], radius });
const polygon = (...points: Point[]): Polygon => ({ kind: 'polygon', points });

// Five-pointed star: outer radius 500, inner radius 220, centre (500, 530), first point straight up;
// points at angles −90° + 36°·k, rounded to integers once, here.
const STAR = polygon(
  [500, 30],
  [629, 352],
  [976, 375],
  [709, 598],
  [794, 935],
  [500, 750],
  [206, 935],
  [291, 598],
  [24, 375],
  [371, 352],
);

const TEMPLATES: Readonly<Record<Shape, ShapeTemplate>> = {
  circle: { add: [disc(500, 500, 470)] },
  square: { add: [polygon([30, 30], [970, 30], [970, 970], [30, 970])] },
  triangle: { add: [polygon([500, 40], [970, 940], [30, 940])] },
  diamond: { add: [polygon([500, 0], [1000, 500], [500, 1000], [0, 500])] },
  star: { add: [STAR] },
  moon: { add: [disc(500, 500, 470)], subtract: [disc(760, 380, 380)] },
  heart: {
    add: [disc(290, 330, 250), disc(710, 330, 250), polygon([60, 420], [940, 420], [500, 980])],
  },
  cross: {
    add: [
      polygon([340, 20], [660, 20], [660, 980], [340, 980]),
      polygon([20, 340], [980, 340], [980, 660], [20, 660]),
    ],
  },
};

/** Cross product (b − a) × (p − a): > 0 when p is left of the directed edge a → b (y down: clockwise). */
function side(ax: number, ay: number, bx: number, by: number, px: number, py: number): number {
  return (bx - ax) * (py - ay) - (px - ax) * (by - ay);
}

/** Non-zero winding rule (Sunday's algorithm): exact with integer coordinates. */
function insidePolygon(points: readonly Point[], scale: number, px: number, py: number): boolean {
  let winding = 0;
  for (let i = 0; i < points.length; i++) {
    const [ax0, ay0] = points[i];
    const [bx0, by0] = points[(i + 1) % points.length];
    const ax = ax0 * scale;
    const ay = ay0 * scale;
    const bx = bx0 * scale;
    const by = by0 * scale;
    if (ay <= py) {
      if (by > py && side(ax, ay, bx, by, px, py) > 0) winding++;
    } else if (by <= py && side(ax, ay, bx, by, px, py) < 0) {
      winding--;
    }
  }
  return winding !== 0;
}

function insidePart(part: Part, scale: number, px: number, py: number): boolean {
  if (part.kind === 'disc') {
    const dx = px - part.centre[0] * scale;
    const dy = py - part.centre[1] * scale;
    const r = part.radius * scale;
    return dx * dx + dy * dy <= r * r;
  }
  return insidePolygon(part.points, scale, px, py);
}

const cache = new Map<string, Uint8Array>();

/** The s×s mask of a shape (1 inside, 0 outside), row-major; cached, do not modify. */
export function shapeMask(shape: Shape, sizePixels: number): Uint8Array {
  if (!Number.isInteger(sizePixels) || sizePixels < 1 || sizePixels > 16) {
    throw new RangeError(`shapeMask: size must be an integer in 1..16 pixels, got ${String(sizePixels)}`);
  }
  const key = `${shape}/${sizePixels}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const template = TEMPLATES[shape];
  if (template === undefined) throw new RangeError(`shapeMask: unknown shape ${JSON.stringify(shape)}`);
  const scale = 2 * sizePixels;
  const mask = new Uint8Array(sizePixels * sizePixels);
  for (let y = 0; y < sizePixels; y++) {
    for (let x = 0; x < sizePixels; x++) {
      const px = (2 * x + 1) * 1000;
      const py = (2 * y + 1) * 1000;
      const inside =
        template.add.some((p) => insidePart(p, scale, px, py)) &&
        !(template.subtract ?? []).some((p) => insidePart(p, scale, px, py));
      mask[y * sizePixels + x] = inside ? 1 : 0;
    }
  }
  cache.set(key, mask);
  return mask;
}

/** The mask as text rows ("#" inside, "." outside), for tests and debugging. */
export function maskToText(mask: Uint8Array, sizePixels: number): string {
  const rows: string[] = [];
  for (let y = 0; y < sizePixels; y++) {
    let row = '';
    for (let x = 0; x < sizePixels; x++) row += mask[y * sizePixels + x] ? '#' : '.';
    rows.push(row);
  }
  return rows.join('\n');
}
