// TEMPO: Tran, Yao, Yu, "Exploiting Tree Structure for Credit Assignment in RL Training of LLMs"
// (2025): Tree-Estimated Mean Prefix Value for Policy Optimization.
//
// Prefix-to-Tree (P2T): the responses of one group (same prompt) are merged into a prefix tree; node
// s is a response prefix, and its value is the mean outcome of the rollouts that pass through it,
//   V(s) = (1/|D(s)|) sum_{j in D(s)} A_j,
// with A_j the rollout's group-normalised reward (./grpo.ts groupAdvantages), so V(root) is the group
// mean of A (0 up to eps) and V is on the advantage's scale. Token k of rollout i is chosen at
// prefix s_k (its first k response tokens) and leads to s_{k+1}; TEMPO adds the temporal difference
// at branching tokens to GRPO's advantage,
//   A_{i,k} = A_i + lambda * 1[s_k branches] * (V(s_{k+1}) - V(s_k)),
// and trains with GRPO's clipped ratio and KL (./grpo.ts clippedObjective), so w_t is GRPO's with
// A_{i,k} in place of A_i.
// Interpretation, where the abstract leaves details open:
//   - the outcomes averaged in V are the normalised rewards A_j (a summary of the paper describes
//     V as the average normalised reward of the descendants), not the raw rewards;
//   - s_k branches when the rollouts through it do not all continue with the same token; a rollout
//     that ends at s_k counts as one more continuation, so a response that is a strict prefix of
//     another makes a branch. At a node that does not branch D(s_{k+1}) = D(s_k), so the TD term is
//     0 there by construction, as the paper says (the gate also makes it exactly 0 in floats);
//   - lambda = 1 by default (METHODS.md: "add the temporal difference"); it is a knob here.
// The tree is built over the response tokens (targets at mask != 0); the prompt is the root.
// A degenerate group has A_j = 0 for all j, so V = 0 everywhere and every advantage is 0.
import type { TokenBatch } from '../training/types';
import { requireNonNegative } from './errors';
import {
  clippedObjective,
  groupAdvantages,
  groupsOf,
  GRPO_ADVANTAGE_EPSILON,
  type GrpoOptions,
  type Rollout,
} from './grpo';
import { responsePositions, type RlObjective } from './objective';

export const TEMPO_TD_WEIGHT = 1;

export interface PrefixTreeNode {
  /** Number of response tokens in this prefix (0 at the root). */
  depth: number;
  /** Indices (into the responses given) of the rollouts whose response starts with this prefix. */
  rollouts: number[];
  /** Next token → child prefix. */
  children: Map<number, PrefixTreeNode>;
  /** How many responses end exactly here. */
  ends: number;
  /** V(s): the mean outcome of `rollouts`. */
  value: number;
}

/** The prefix tree of one group's responses with V(s) from the outcomes (one per response). */
export function buildPrefixTree(
  responses: readonly (readonly number[])[],
  outcomes: readonly number[],
): PrefixTreeNode {
  const node = (depth: number): PrefixTreeNode => ({
    depth,
    rollouts: [],
    children: new Map(),
    ends: 0,
    value: 0,
  });
  const root = node(0);
  responses.forEach((tokens, i) => {
    let at = root;
    at.rollouts.push(i);
    for (const token of tokens) {
      let next = at.children.get(token);
      if (!next) {
        next = node(at.depth + 1);
        at.children.set(token, next);
      }
      next.rollouts.push(i);
      at = next;
    }
    at.ends++;
  });
  const assign = (n: PrefixTreeNode) => {
    n.value = n.rollouts.reduce((sum, i) => sum + outcomes[i], 0) / n.rollouts.length;
    n.children.forEach(assign);
  };
  assign(root);
  return root;
}

/** True when the rollouts through the node do not all continue the same way. */
export function isBranching(node: PrefixTreeNode): boolean {
  return node.children.size + (node.ends > 0 ? 1 : 0) >= 2;
}

/** Per response and position k: 1[s_k branches] (V(s_{k+1}) - V(s_k)). */
export function prefixTreeCorrections(
  responses: readonly (readonly number[])[],
  outcomes: readonly number[],
): Float64Array[] {
  const root = buildPrefixTree(responses, outcomes);
  return responses.map((tokens) => {
    const out = new Float64Array(tokens.length);
    let at = root;
    tokens.forEach((token, k) => {
      const next = at.children.get(token) as PrefixTreeNode;
      if (isBranching(at)) out[k] = next.value - at.value;
      at = next;
    });
    return out;
  });
}

/** The response tokens (targets at mask != 0) of a rollout. */
export function responseTokens(batches: readonly TokenBatch[], rollout: Rollout): number[] {
  const batch = batches[rollout.sequence.batch];
  return responsePositions(batch, rollout.sequence.row).map((i) => batch.targets[i]);
}

/** Per rollout, A_{i,k} = A_i + tdWeight * correction_{i,k} (what TEMPO's heatmap shows). */
export function tempoTokenAdvantages(
  batches: readonly TokenBatch[],
  rollouts: readonly Rollout[],
  epsilon = GRPO_ADVANTAGE_EPSILON,
  tdWeight = TEMPO_TD_WEIGHT,
): Float64Array[] {
  const advantages = groupAdvantages(rollouts, epsilon);
  const out: Float64Array[] = rollouts.map(() => new Float64Array(0));
  for (const members of groupsOf(rollouts)) {
    const responses = members.map((i) => responseTokens(batches, rollouts[i]));
    const corrections = prefixTreeCorrections(
      responses,
      members.map((i) => advantages[i]),
    );
    members.forEach((i, m) => (out[i] = corrections[m].map((c) => advantages[i] + tdWeight * c)));
  }
  return out;
}

export interface TempoOptions extends GrpoOptions {
  /** lambda, the weight of the tree's TD term (default 1). */
  tdWeight?: number;
}

export function tempoObjective(options: TempoOptions): RlObjective {
  const tdWeight = options.tdWeight ?? TEMPO_TD_WEIGHT;
  requireNonNegative('tempo', 'TD weight', tdWeight, 'the method adds the TD term with weight 1; 0 is GRPO');
  const epsilon = options.advantageEpsilon ?? GRPO_ADVANTAGE_EPSILON;
  return clippedObjective('tempo', options, (batches) =>
    tempoTokenAdvantages(batches, options.rollouts, epsilon, tdWeight),
  );
}
