// The position-dependent inputs every layer of the exported decoder shares, computed once:
//   mask     [batch, 1, 1, seq, total] additive: 0 where key t is visible to query s, else -1e9.
//            Key t (0..past+seq-1) is visible to the query at index past + s when t <= past + s
//            and attention_mask[t] is 1 (padding, left or right, is 0). -1e9 and not -Infinity,
//            so a fully masked padding row stays finite.
//   cos, sin [batch or 1, 1, seq, headDim]: rows of tables of every position (maxPositions x
//            headDim/2, computed in f64) gathered by position_ids, as early Llama exports did
//            with cos_cached/sin_cached. WGSL's cos/sin are only specified to 2^-11 on [-pi, pi],
//            too coarse for 1e-3 parity at positions up to 96. Without position_ids the new
//            tokens sit at past + s in every row.
// The shape arithmetic (Shape, Range, Greater, Equal, Or) runs on onnxruntime's CPU provider from
// the CPU inputs: no GPU readback.
import type { ModelConfig } from '../../config';
import type { GraphBuilder } from './graph';

function ropeTables(config: ModelConfig): { cos: Float32Array; sin: Float32Array } {
  const half = config.headDim / 2;
  const theta = config.ropeTheta ?? 10000;
  const cos = new Float32Array(config.maxPositions * half);
  const sin = new Float32Array(config.maxPositions * half);
  for (let p = 0; p < config.maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / theta ** ((2 * i) / config.headDim);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

export function positionInputs(
  g: GraphBuilder,
  config: ModelConfig,
  /** tokens: input_ids [batch, seq] or inputs_embeds [batch, seq, d] (axis 1 is the new tokens either way). */
  inputs: { tokens: string; attentionMask: string; positionIds: string | null },
): { mask: string; cos: string; sin: string } {
  const axes = (values: number[]) => g.ints('/axes', values);
  const unsqueeze = (x: string, values: number[], name: string) =>
    g.node('Unsqueeze', [x, axes(values)], { name });
  const dimOf = (x: string, axis: number, name: string) => {
    const shape = g.node('Shape', [x], { name: `${name}/shape` });
    const sliced = g.node('Slice', [shape, g.ints('/start', [axis]), g.ints('/end', [axis + 1])], {
      name: `${name}/slice`,
    });
    return g.node('Squeeze', [sliced, axes([0])], { name });
  };
  const seqLength = dimOf(inputs.tokens, 1, '/model/mask/sequence_length');
  const totalLength = dimOf(inputs.attentionMask, 1, '/model/mask/total_length');
  const pastLength = g.node('Sub', [totalLength, seqLength], { name: '/model/mask/past_length' });
  const zero = g.ints('/zero', [0], []);
  const one = g.ints('/one', [1], []);
  const keyIndex = g.node('Range', [zero, totalLength, one], { name: '/model/mask/key_index' });
  const queryIndex = g.node('Range', [pastLength, totalLength, one], { name: '/model/mask/query_index' });
  const future = g.node(
    'Greater',
    [unsqueeze(keyIndex, [0], '/model/mask/key_row'), unsqueeze(queryIndex, [1], '/model/mask/query_column')],
    { name: '/model/mask/future' },
  );
  const padding = unsqueeze(
    g.node('Equal', [inputs.attentionMask, zero], { name: '/model/mask/padding' }),
    [1],
    '/model/mask/padding_rows',
  );
  const blocked = g.node('Or', [future, padding], { name: '/model/mask/blocked' });
  const additive = g.node(
    'Where',
    [blocked, g.scalar('/model/mask/blocked_value', -1e9), g.scalar('/zero_f', 0)],
    {
      name: '/model/mask/additive',
    },
  );
  const mask = unsqueeze(additive, [1, 2], '/model/mask/heads');

  const positions = inputs.positionIds ?? unsqueeze(queryIndex, [0], '/model/rotary_emb/positions');
  const tables = ropeTables(config);
  const rotary = (table: Float32Array, label: 'cos' | 'sin') => {
    const stored = g.weight(`model.rotary_emb.${label}_cached`, table, [
      config.maxPositions,
      config.headDim / 2,
    ]);
    const halfRows = g.node('Gather', [stored, positions], { name: `/model/rotary_emb/${label}` });
    const full = g.node('Concat', [halfRows, halfRows], {
      name: `/model/rotary_emb/${label}_full`,
      attributes: { axis: -1 },
    });
    return unsqueeze(full, [1], `/model/rotary_emb/${label}_heads`);
  };
  return { mask, cos: rotary(tables.cos, 'cos'), sin: rotary(tables.sin, 'sin') };
}
