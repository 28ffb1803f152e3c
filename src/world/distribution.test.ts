// The training distribution: counts in range, the co-occurrence and colour priors present at
// strength 1 and gone at strength 0, anti-prior scenes that never follow the prior, validation,
// and seeded reproducibility (pinned hashes).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WORLD,
  sampleAntiPriorScene,
  sampleScene,
  sampleSceneAt,
  sampleScenes,
  validateDistribution,
  type WorldDistribution,
} from './distribution';
import { WorldRandom } from './random';
import { validateScene } from './scene';
import { worldStatistics } from './statistics';
import { EXPECTED_FINGERPRINT, fnv1a } from './testing';
import { COLOURS, MAX_OBJECTS, SHAPES, type Scene } from './types';

const N = 3000;
const withStrength = (s: number): WorldDistribution => ({ ...DEFAULT_WORLD, priorStrength: s });
/** P(partner present | shape present). */
function conditional(scenes: Scene[], shape: string, partner: string): number {
  const withShape = scenes.filter((s) => s.objects.some((o) => o.shape === shape));
  return withShape.filter((s) => s.objects.some((o) => o.shape === partner)).length / withShape.length;
}

describe('sampleScene', () => {
  it('gives valid scenes of 1..6 objects, every count occurring', () => {
    const scenes = sampleScenes(DEFAULT_WORLD, 1, 600);
    const counts = new Set(scenes.map((s) => s.objects.length));
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const s of scenes) validateScene(s);
    expect(Math.max(...scenes.map((s) => s.objects.length))).toBe(MAX_OBJECTS);
  });

  it('honours co-occurrence at strength 1 and drops it at strength 0', () => {
    const strong = sampleScenes(withStrength(1), 2, N);
    const uniform = sampleScenes(withStrength(0), 2, N);
    // Star → moon at p = 0.8 (less when the scene has no room left for the moon).
    expect(conditional(strong, 'star', 'moon')).toBeGreaterThan(0.6);
    // Uniform world: a moon among the other 3.5 objects of a star's scene about 35% of the time.
    expect(conditional(uniform, 'star', 'moon')).toBeLessThan(0.45);
    expect(conditional(strong, 'star', 'moon')).toBeGreaterThan(conditional(uniform, 'star', 'moon') + 0.25);
  });

  it('honours colour priors and shape weights by strength', () => {
    const yellowStars = (scenes: Scene[]) => {
      const stars = scenes.flatMap((s) => s.objects.filter((o) => o.shape === 'star'));
      return stars.filter((o) => o.colour === 'yellow').length / stars.length;
    };
    expect(yellowStars(sampleScenes(withStrength(1), 3, N))).toBeCloseTo(0.8 + 0.2 / 8, 1);
    expect(yellowStars(sampleScenes(withStrength(0), 3, N))).toBeCloseTo(1 / 8, 1);
    const stats = worldStatistics(sampleScenes(withStrength(1), 3, N));
    expect(stats.shapeCounts.circle).toBeGreaterThan(2 * stats.shapeCounts.heart);
    const flat = worldStatistics(sampleScenes(withStrength(0), 3, N));
    for (const shape of SHAPES)
      expect(flat.shapeCounts[shape] / N).toBeCloseTo(flat.shapeCounts.circle / N, 1);
  });
});

describe('sampleAntiPriorScene', () => {
  it('never puts co-occurring shapes together nor a shape in its prior colour', () => {
    const rng = WorldRandom.fromNumber(4);
    for (let i = 0; i < 500; i++) {
      const scene = sampleAntiPriorScene(DEFAULT_WORLD, rng);
      validateScene(scene);
      const shapes = new Set(scene.objects.map((o) => o.shape));
      for (const rule of DEFAULT_WORLD.cooccurrence) {
        expect(shapes.has(rule.shapes[0]) && shapes.has(rule.shapes[1])).toBe(false);
      }
      for (const prior of DEFAULT_WORLD.colourPriors) {
        expect(scene.objects.some((o) => o.shape === prior.shape && o.colour === prior.colour)).toBe(false);
      }
    }
  });

  it('repeats a shape when every other one is its partner, and says so when no colour is left', () => {
    const everyPair = SHAPES.flatMap((a) =>
      SHAPES.filter((b) => a < b).map((b) => ({ shapes: [a, b] as const, probability: 1 })),
    );
    const closed = { ...DEFAULT_WORLD, minObjects: 6, cooccurrence: everyPair };
    const scene = sampleAntiPriorScene(closed, WorldRandom.fromNumber(0));
    expect(new Set(scene.objects.map((o) => o.shape)).size).toBe(1);
    const colourPriors = SHAPES.flatMap((shape) =>
      COLOURS.map((colour) => ({ shape, colour, probability: 0.1 })),
    );
    expect(() => sampleAntiPriorScene({ ...DEFAULT_WORLD, colourPriors }, WorldRandom.fromNumber(0))).toThrow(
      /the colour priors of \w+ cover every colour/,
    );
  });
});

describe('validateDistribution', () => {
  it('names the bad field', () => {
    const bad = (change: Partial<WorldDistribution>) => () =>
      validateDistribution({ ...DEFAULT_WORLD, ...change });
    expect(bad({ priorStrength: 1.5 })).toThrow('priorStrength must be in [0, 1], got 1.5');
    expect(bad({ minObjects: 0 })).toThrow('need 1 ≤ minObjects ≤ maxObjects ≤ 6, got 0..6');
    expect(bad({ maxObjects: 7 })).toThrow('got 1..7');
    expect(bad({ shapeWeights: { circle: -1 } })).toThrow('shapeWeights.circle = -1');
    expect(bad({ cooccurrence: [{ shapes: ['star', 'star'], probability: 0.5 }] })).toThrow(
      'needs two different shapes',
    );
    expect(bad({ colourPriors: [{ shape: 'star', colour: 'gold' as never, probability: 0.5 }] })).toThrow(
      'needs a shape, a colour and p in [0, 1]',
    );
    expect(() => sampleScene({ ...DEFAULT_WORLD, largeProbability: NaN }, WorldRandom.fromNumber(0))).toThrow(
      'largeProbability must be in [0, 1], got NaN',
    );
  });
});

describe('seeded reproducibility', () => {
  it('same seed ⇒ same scenes; scene i is rebuilt alone (pinned hashes)', () => {
    const scenes = sampleScenes(DEFAULT_WORLD, 2024, 20);
    expect(fnv1a(JSON.stringify(scenes))).toBe(EXPECTED_FINGERPRINT.scenes);
    expect(fnv1a(JSON.stringify(sampleScenes(DEFAULT_WORLD, 2024, 20, 'anti-prior')))).toBe(
      EXPECTED_FINGERPRINT.antiPriorScenes,
    );
    expect(sampleSceneAt(DEFAULT_WORLD, 2024, 13)).toEqual(scenes[13]);
    expect(sampleScenes(DEFAULT_WORLD, 2024, 5, 'prior', 10)).toEqual(scenes.slice(10, 15));
    expect(sampleScenes(DEFAULT_WORLD, 2025, 20)).not.toEqual(scenes);
  });
});
