// KV caches of the ONNX backend: per sequence and layer, a key and a value tensor
// [1, kvHeads, stored, headDim] as the graph's present outputs hand them over (kept where they
// are: on the GPU for the WebGPU provider), plus a logical length <= stored (truncate only moves
// the length; the tail is cut off by a copy the next time the cache is fed or forked).
//
// A forward over several sequences feeds one past of [batch, kvHeads, P, headDim] where P is the
// longest cached length: sequence b's positions are right-aligned (left padding, masked by
// attention_mask = 0) and copied in per head; its new cache is copied back out of the batched
// present. A lone sequence feeds its own tensors and keeps the present as is: no copy at all.
import type { Tensor } from 'onnxruntime-web/webgpu';
import { KernelInputError } from '../../gpu/errors';
import type { SequenceId } from '../interface';
import { ELEMENT_BYTES, emptyTensor, type CacheType, type CopyRegion, type TensorMemory } from './memory';

export interface LayerTensors {
  key: Tensor;
  value: Tensor;
}

interface SequenceCache {
  /** Per layer; null while the cache is empty. */
  layers: LayerTensors[] | null;
  length: number;
}

export interface CacheShape {
  numLayers: number;
  kvHeads: number;
  headDim: number;
  type: CacheType;
}

/** Where one run of positions of a cache tensor sits: batch row, positions per head, first position. */
interface Slot {
  tensor: Tensor;
  batch: number;
  /** Positions per head in this tensor (its dims[2]). */
  stride: number;
  start: number;
}

export class OrtKvCache {
  private readonly sequences = new Map<SequenceId, SequenceCache>();
  private nextId = 1;
  private readonly rowBytes: number;

  constructor(
    private readonly memory: TensorMemory,
    private readonly shape: CacheShape,
  ) {
    this.rowBytes = shape.headDim * ELEMENT_BYTES[shape.type];
  }

  /** Bytes held by the caches (stored positions, keys and values of every layer). */
  get bytes(): number {
    let total = 0;
    for (const cache of this.sequences.values()) {
      const stored = cache.layers ? (cache.layers[0].key.dims[2] as number) : 0;
      total += 2 * this.shape.numLayers * this.shape.kvHeads * stored * this.rowBytes;
    }
    return total;
  }

  private get(sequence: SequenceId): SequenceCache {
    const cache = this.sequences.get(sequence);
    if (!cache) throw new KernelInputError(`unknown sequence ${sequence} (released or never created)`);
    return cache;
  }

  create(): SequenceId {
    const id = this.nextId++;
    this.sequences.set(id, { layers: null, length: 0 });
    return id;
  }

  length(sequence: SequenceId): number {
    return this.get(sequence).length;
  }

  /** Copies `positions` positions of every head from one slot to another. */
  private regions(from: Slot, to: Slot, positions: number): CopyRegion[] {
    const { kvHeads } = this.shape;
    const row = this.rowBytes;
    if (from.stride === positions && to.stride === positions && from.start === 0 && to.start === 0) {
      const block = kvHeads * positions * row; // the whole [kvHeads, positions, headDim] of one batch row
      return [
        {
          from: from.tensor,
          fromOffset: from.batch * block,
          to: to.tensor,
          toOffset: to.batch * block,
          bytes: block,
        },
      ];
    }
    return Array.from({ length: kvHeads }, (_, h) => ({
      from: from.tensor,
      fromOffset: ((from.batch * kvHeads + h) * from.stride + from.start) * row,
      to: to.tensor,
      toOffset: ((to.batch * kvHeads + h) * to.stride + to.start) * row,
      bytes: positions * row,
    }));
  }

  /** Fresh tensors holding the first `length` positions of `cache` (its tensors stay). */
  private copyOf(cache: SequenceCache, length: number, label: string): LayerTensors[] {
    const { kvHeads, headDim, type } = this.shape;
    const regions: CopyRegion[] = [];
    const layers = cache.layers!.map((layer) => {
      const copy = {
        key: this.memory.allocate(type, [1, kvHeads, length, headDim], `${label}:key`),
        value: this.memory.allocate(type, [1, kvHeads, length, headDim], `${label}:value`),
      };
      for (const kind of ['key', 'value'] as const) {
        const stride = layer[kind].dims[2] as number;
        regions.push(
          ...this.regions(
            { tensor: layer[kind], batch: 0, stride, start: 0 },
            { tensor: copy[kind], batch: 0, stride: length, start: 0 },
            length,
          ),
        );
      }
      return copy;
    });
    this.memory.copy(regions, label);
    return layers;
  }

  private releaseLayers(layers: LayerTensors[] | null): void {
    for (const layer of layers ?? []) {
      this.memory.release(layer.key);
      this.memory.release(layer.value);
    }
  }

  /** Cuts a truncated cache's tail off so its tensors hold exactly `length` positions. */
  private compact(cache: SequenceCache): void {
    if (!cache.layers || (cache.layers[0].key.dims[2] as number) === cache.length) return;
    const old = cache.layers;
    cache.layers = cache.length === 0 ? null : this.copyOf(cache, cache.length, 'kv-compact');
    this.releaseLayers(old);
  }

  fork(sequence: SequenceId): SequenceId {
    const source = this.get(sequence);
    const id = this.nextId++;
    const layers =
      source.layers && source.length > 0 ? this.copyOf(source, source.length, `kv-fork:${id}`) : null;
    this.sequences.set(id, { layers, length: source.length });
    return id;
  }

  truncate(sequence: SequenceId, length: number): void {
    const cache = this.get(sequence);
    if (!Number.isInteger(length) || length < 0 || length > cache.length) {
      throw new KernelInputError(
        `cannot truncate sequence ${sequence} of length ${cache.length} to ${length}`,
      );
    }
    cache.length = length;
    if (length === 0) {
      this.releaseLayers(cache.layers);
      cache.layers = null;
    }
  }

  release(sequence: SequenceId): void {
    const cache = this.sequences.get(sequence);
    if (!cache) return;
    this.releaseLayers(cache.layers);
    this.sequences.delete(sequence);
  }

  /**
   * The past inputs of a forward over `sequences` (batch order), each right-aligned in
   * `pastLength` positions. `temporaries` are released by the caller once the run is over.
   */
  pastInputs(
    sequences: readonly SequenceId[],
    pastLength: number,
  ): { layers: LayerTensors[]; temporaries: Tensor[] } {
    const { numLayers, kvHeads, headDim, type } = this.shape;
    const caches = sequences.map((s) => this.get(s));
    const batch = sequences.length;
    if (pastLength === 0) {
      const empty = () => emptyTensor(type, [batch, kvHeads, 0, headDim]);
      return {
        layers: Array.from({ length: numLayers }, () => ({ key: empty(), value: empty() })),
        temporaries: [],
      };
    }
    if (batch === 1) {
      this.compact(caches[0]);
      return { layers: caches[0].layers!, temporaries: [] };
    }
    const temporaries: Tensor[] = [];
    const regions: CopyRegion[] = [];
    const layers = Array.from({ length: numLayers }, (_, layer) => {
      const batched = {
        key: this.memory.allocate(type, [batch, kvHeads, pastLength, headDim], 'kv-batch:key'),
        value: this.memory.allocate(type, [batch, kvHeads, pastLength, headDim], 'kv-batch:value'),
      };
      temporaries.push(batched.key, batched.value);
      caches.forEach((cache, b) => {
        if (cache.length === 0) return;
        for (const kind of ['key', 'value'] as const) {
          const tensor = cache.layers![layer][kind];
          regions.push(
            ...this.regions(
              { tensor, batch: 0, stride: tensor.dims[2] as number, start: 0 },
              { tensor: batched[kind], batch: b, stride: pastLength, start: pastLength - cache.length },
              cache.length,
            ),
          );
        }
      });
      return batched;
    });
    this.memory.copy(regions, 'kv-batch');
    return { layers, temporaries };
  }

  /**
   * Takes a forward's presents [batch, kvHeads, pastLength + seqLength, headDim] as the caches of
   * `sequences`: sequence b keeps its positions [pastLength - P_b, pastLength + newTokens[b]).
   * Their previous tensors and the presents not kept are released.
   */
  takePresents(
    sequences: readonly SequenceId[],
    newTokens: readonly number[],
    pastLength: number,
    presents: LayerTensors[],
  ): void {
    const caches = sequences.map((s) => this.get(s));
    const total = presents[0].key.dims[2] as number;
    if (sequences.length === 1) {
      this.releaseLayers(caches[0].layers);
      caches[0].layers = presents;
      caches[0].length = total;
      return;
    }
    const { kvHeads, headDim, type } = this.shape;
    const regions: CopyRegion[] = [];
    const kept = caches.map((cache, b) => {
      const length = cache.length + newTokens[b];
      return presents.map((present) => {
        const own = {
          key: this.memory.allocate(type, [1, kvHeads, length, headDim], 'kv:key'),
          value: this.memory.allocate(type, [1, kvHeads, length, headDim], 'kv:value'),
        };
        for (const kind of ['key', 'value'] as const) {
          regions.push(
            ...this.regions(
              { tensor: present[kind], batch: b, stride: total, start: pastLength - cache.length },
              { tensor: own[kind], batch: 0, stride: length, start: 0 },
              length,
            ),
          );
        }
        return own;
      });
    });
    this.memory.copy(regions, 'kv-unbatch');
    caches.forEach((cache, b) => {
      this.releaseLayers(cache.layers);
      cache.layers = kept[b];
      cache.length += newTokens[b];
    });
    this.releaseLayers(presents);
  }

  dispose(): void {
    for (const id of [...this.sequences.keys()]) this.release(id);
  }
}
