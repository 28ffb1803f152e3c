// Initialisation: every expected tensor, the GPT-2 scheme's statistics, and seeded determinism.
import { describe, expect, it } from 'vitest';
import { expectedTensors } from '../model/architectures/tensors';
import { parseModelConfig } from '../model/config';
import { INIT_STD, initKindOf, initialWeights } from './init';
import { SIZE_PRESETS, sizePreset } from './presets';
import { fillNormal, seedFromNumber } from './random';

function stats(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

describe('size presets', () => {
  it.each(SIZE_PRESETS.map((p) => [p.id, p] as const))(
    '%s parses and has the context asked for',
    (_, preset) => {
      const config = parseModelConfig(preset.configJson(61, 48));
      expect(config.architecture).toBe(preset.architecture);
      expect(config.vocabSize).toBe(61);
      expect(config.maxPositions).toBe(48);
      expect(config.tieWordEmbeddings).toBe(true);
    },
  );

  it('names the presets when asked for one that does not exist', () => {
    expect(() => sizePreset('huge')).toThrow(
      'There is no size preset "huge": choose one of nano, micro, small.',
    );
  });
});

describe('initialWeights', () => {
  it('classifies tensors like GPT-2 and nanoGPT', () => {
    expect(initKindOf('h.0.attn.c_proj.weight')).toBe('residual');
    expect(initKindOf('h.1.mlp.c_proj.weight')).toBe('residual');
    expect(initKindOf('model.layers.0.self_attn.o_proj.weight')).toBe('residual');
    expect(initKindOf('model.layers.0.mlp.down_proj.weight')).toBe('residual');
    expect(initKindOf('h.0.attn.c_attn.weight')).toBe('normal');
    expect(initKindOf('wte.weight')).toBe('normal');
    expect(initKindOf('h.0.ln_1.weight')).toBe('gain');
    expect(initKindOf('ln_f.weight')).toBe('gain');
    expect(initKindOf('model.layers.2.post_attention_layernorm.weight')).toBe('gain');
    expect(initKindOf('model.norm.weight')).toBe('gain');
    expect(initKindOf('h.0.mlp.c_fc.bias')).toBe('zero');
  });

  it.each(['nano', 'micro'])('%s: every expected tensor, right sizes, the scheme’s statistics', (id) => {
    const config = parseModelConfig(sizePreset(id).configJson(60, 32));
    const weights = initialWeights(config, 7);
    const specs = expectedTensors(config);
    expect([...weights.keys()]).toEqual(specs.map((s) => s.name));
    for (const { name, shape } of specs) {
      const values = weights.get(name)!;
      expect(values.length).toBe(shape.reduce((a, b) => a * b, 1));
      const kind = initKindOf(name);
      if (kind === 'gain') expect(values.every((v) => v === 1)).toBe(true);
      if (kind === 'zero') expect(values.every((v) => v === 0)).toBe(true);
      if (kind === 'normal' || kind === 'residual') {
        const expected = kind === 'normal' ? INIT_STD : INIT_STD / Math.sqrt(2 * config.numLayers);
        const { mean, std } = stats(values);
        // Thousands of draws: the sample std is within a few percent of the target.
        expect(Math.abs(std / expected - 1)).toBeLessThan(0.08);
        expect(Math.abs(mean)).toBeLessThan(expected * 0.1);
      }
    }
  });

  it('is a pure function of the seed', () => {
    const config = parseModelConfig(sizePreset('nano').configJson(40, 16));
    const a = initialWeights(config, 3).get('h.0.attn.c_attn.weight')!;
    const b = initialWeights(config, 3).get('h.0.attn.c_attn.weight')!;
    const c = initialWeights(config, 4).get('h.0.attn.c_attn.weight')!;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('normal draws: element i depends only on (seed, stream, i), including odd lengths', () => {
    const seed = seedFromNumber(9);
    const long = fillNormal(new Float32Array(11), 1, seed, 2);
    const short = fillNormal(new Float32Array(5), 1, seed, 2);
    expect(short).toEqual(long.subarray(0, 5));
    expect(long.every(Number.isFinite)).toBe(true);
  });
});
