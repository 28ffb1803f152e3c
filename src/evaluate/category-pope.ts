// POPE questions over arbitrary object categories (a user's folder of annotated images, ./folder.ts),
// following src/world/pope.ts step for step, which is typed to the Shapes world's 8 shapes:
//   per image k = min(perScene, #present, #absent) yes-questions about present categories and k
//   no-questions about absent ones, by split:
//     random       absent categories drawn uniformly;
//     popular      the k absent categories in the most images of the annotation set;
//     adversarial  the k absent categories with the highest share max_a count(a, b) / count(a) over
//                  present a (ties: summed co-occurrence, then frequency, then category order).
//   Yes and no questions are shuffled together; image i's draws use stream i of the seed.
// As POPE does with COCO (Li et al., 2023), the popular/adversarial statistics are counted over the
// annotation set itself. The generator draws in the same order as pope.ts, so for the 8 shapes and
// the world's statistics these functions ask exactly popeQuestions' questions (tested).
import { WorldRandom } from '../world/random';
import type { PopeSplit } from '../world/pope';

export interface CategoryStatistics {
  images: number;
  /** Images containing each category. */
  counts: Map<string, number>;
  /** cooccurrence.get(a).get(b) = images containing both a and b (a ≠ b). */
  cooccurrence: Map<string, Map<string, number>>;
}

/** Frequencies and co-occurrences of `categories` over images given as their distinct categories. */
export function categoryStatistics(
  categories: readonly string[],
  images: readonly { objects: readonly string[] }[],
): CategoryStatistics {
  const counts = new Map(categories.map((c) => [c, 0]));
  const cooccurrence = new Map(categories.map((c) => [c, new Map(categories.map((d) => [d, 0]))]));
  for (const image of images) {
    const present = [...new Set(image.objects)];
    for (const a of present) {
      counts.set(a, (counts.get(a) ?? 0) + 1);
      const row = cooccurrence.get(a);
      for (const b of present) if (a !== b && row) row.set(b, (row.get(b) ?? 0) + 1);
    }
  }
  return { images: images.length, counts, cooccurrence };
}

/** Categories from most to least frequent (ties in `categories` order). */
export function categoriesByFrequency(stats: CategoryStatistics, categories: readonly string[]): string[] {
  return [...categories].sort((a, b) => (stats.counts.get(b) ?? 0) - (stats.counts.get(a) ?? 0));
}

/** Absent categories, those most bound to the present ones first (see the header). */
export function categoriesByCooccurrence(
  stats: CategoryStatistics,
  categories: readonly string[],
  present: ReadonlySet<string>,
): string[] {
  const count = (c: string) => stats.counts.get(c) ?? 0;
  const together = (a: string, b: string) => stats.cooccurrence.get(a)?.get(b) ?? 0;
  const given = [...present].filter((a) => count(a) > 0);
  const share = (b: string) => Math.max(0, ...given.map((a) => together(a, b) / count(a)));
  const total = (b: string) => given.reduce((sum, a) => sum + together(a, b), 0);
  return categories
    .filter((c) => !present.has(c))
    .sort((a, b) => share(b) - share(a) || total(b) - total(a) || count(b) - count(a));
}

export interface CategoryQuestion {
  object: string;
  label: 'yes' | 'no';
}

/** Balanced questions about one image whose distinct categories are `present` (in annotation order). */
export function categoryPopeQuestions(
  present: readonly string[],
  categories: readonly string[],
  split: PopeSplit,
  stats: CategoryStatistics,
  rng: WorldRandom,
  perScene = 3,
): CategoryQuestion[] {
  const distinct = [...new Set(present)];
  const presentSet = new Set(distinct);
  const absentCount = categories.filter((c) => !presentSet.has(c)).length;
  const k = Math.min(perScene, distinct.length, absentCount);
  const positives = rng.shuffle(distinct).slice(0, k);
  let negatives: string[];
  if (split === 'random') negatives = rng.shuffle(categories.filter((c) => !presentSet.has(c))).slice(0, k);
  else if (split === 'popular')
    negatives = categoriesByFrequency(stats, categories)
      .filter((c) => !presentSet.has(c))
      .slice(0, k);
  else negatives = categoriesByCooccurrence(stats, categories, presentSet).slice(0, k);
  return rng.shuffle([
    ...positives.map((object) => ({ object, label: 'yes' as const })),
    ...negatives.map((object) => ({ object, label: 'no' as const })),
  ]);
}

/** POPE over many images: image i's questions use stream i of `seed`. */
export function categoryPopeBenchmark(
  images: readonly { objects: readonly string[] }[],
  categories: readonly string[],
  split: PopeSplit,
  stats: CategoryStatistics,
  seed: number,
  perScene = 3,
): (CategoryQuestion & { sceneIndex: number })[] {
  return images.flatMap((image, i) =>
    categoryPopeQuestions(
      image.objects,
      categories,
      split,
      stats,
      WorldRandom.fromNumber(seed, i),
      perScene,
    ).map((q) => ({ ...q, sceneIndex: i })),
  );
}
