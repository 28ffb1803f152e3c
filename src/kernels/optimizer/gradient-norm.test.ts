// How many partial workgroups a gradient tensor gets: at least GRADIENT_NORM_ELEMENTS_PER_THREAD
// entries per thread (few barrier trees on software adapters), at most PARTIALS_PER_TENSOR.
import { expect, test } from 'vitest';
import { gradientNormGroups, MAX_GRADIENT_ENTRIES, PARTIALS_PER_TENSOR } from './gradient-norm';

test.each([
  [1, 1],
  [2048, 1],
  [2049, 2],
  [16_384, 8],
  [65_537, 33],
  [MAX_GRADIENT_ENTRIES, PARTIALS_PER_TENSOR],
])('%d entries: %d workgroups', (n, groups) => expect(gradientNormGroups(n)).toBe(groups));
