// composeWgsl is the one include mechanism for WGSL (STYLE.md convention 1); these pin its rules.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { composeWgsl } from './wgsl';

describe('composeWgsl', () => {
  test('expands an include in place between begin/end markers', () => {
    const library = {
      'main.wgsl': 'fn a() {}\n#include "lib.wgsl"\nfn b() {}',
      'lib.wgsl': 'fn lib() {}',
    };
    expect(composeWgsl('main.wgsl', library)).toBe(
      [
        'fn a() {}',
        '// ---- begin lib.wgsl ----',
        'fn lib() {}',
        '// ---- end lib.wgsl ----',
        'fn b() {}',
      ].join('\n'),
    );
  });

  test('expands nested includes depth first', () => {
    const library = {
      'main.wgsl': '#include "mid.wgsl"\nfn main() {}',
      'mid.wgsl': '#include "leaf.wgsl"\nfn mid() {}',
      'leaf.wgsl': 'fn leaf() {}',
    };
    const out = composeWgsl('main.wgsl', library);
    const order = ['fn leaf() {}', 'fn mid() {}', 'fn main() {}'].map((line) => out.indexOf(line));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(out).not.toMatch(/^#include/m);
  });

  test('a file included twice (directly and through another file) is emitted once', () => {
    const library = {
      'main.wgsl': '#include "keys.wgsl"\n#include "user.wgsl"\n#include "keys.wgsl"',
      'user.wgsl': '#include "keys.wgsl"\nfn user() {}',
      'keys.wgsl': 'fn orderedKey() {}',
    };
    const out = composeWgsl('main.wgsl', library);
    expect(out.split('fn orderedKey() {}').length - 1).toBe(1);
    expect(out.split('// (already included: keys.wgsl)').length - 1).toBe(2);
    expect(out).toContain('fn user() {}');
  });

  // Regression (fixed in src/gpu/wgsl.ts:27): the `included.has(target)` check runs before `expand`, so a file
  // already on the include stack is treated as "already included" and the cycle check on line 10
  // is unreachable. A cycle a -> b -> a composes silently instead of throwing.
  test('reports a cycle with its path (a -> b -> a)', () => {
    const library = { 'a.wgsl': '#include "b.wgsl"', 'b.wgsl': '#include "a.wgsl"' };
    expect(() => composeWgsl('a.wgsl', library)).toThrow('WGSL include cycle: a.wgsl -> b.wgsl -> a.wgsl');
  });

  test('reports a self-include as a cycle (a -> a)', () => {
    expect(() => composeWgsl('a.wgsl', { 'a.wgsl': 'fn a() {}\n#include "a.wgsl"' })).toThrow(
      'WGSL include cycle: a.wgsl -> a.wgsl',
    );
  });

  test('an unknown include names the includer and lists the known files', () => {
    const library = { 'main.wgsl': '#include "nope.wgsl"', 'philox.wgsl': '', 'float-keys.wgsl': '' };
    expect(() => composeWgsl('main.wgsl', library)).toThrow(
      'WGSL include "nope.wgsl" (from main.wgsl) not found; known: float-keys.wgsl, main.wgsl, philox.wgsl',
    );
  });

  test('an unknown entry file is reported without an includer', () => {
    expect(() => composeWgsl('missing.wgsl', { 'a.wgsl': '' })).toThrow(
      'WGSL include "missing.wgsl" not found; known: a.wgsl',
    );
  });

  test('lines that are not a whole-line include are left untouched', () => {
    const lines = [
      '// #include "lib.wgsl" mentioned in a comment',
      'let x = 1; #include "lib.wgsl"',
      '#include lib.wgsl',
      '#includes "lib.wgsl"',
      '  indented();\t',
      '',
      'fn f() -> f32 { return 1.0; }',
    ];
    const library = { 'main.wgsl': lines.join('\n'), 'lib.wgsl': 'SHOULD NOT APPEAR' };
    expect(composeWgsl('main.wgsl', library)).toBe(lines.join('\n'));
  });

  test('an include with surrounding whitespace (and a CRLF line end) still expands', () => {
    const library = { 'main.wgsl': '  #include   "lib.wgsl"  \r\nfn main() {}', 'lib.wgsl': 'fn lib() {}' };
    const out = composeWgsl('main.wgsl', library);
    expect(out).toContain('fn lib() {}');
    expect(out).not.toContain('#include');
  });
});

describe('every shader in shaders/ composes', () => {
  // Same map as src/gpu/shaders.ts: file name (no directory) -> source text.
  const directory = fileURLToPath(new URL('../../shaders/', import.meta.url));
  const library: Record<string, string> = Object.fromEntries(
    readdirSync(directory)
      .filter((name) => name.endsWith('.wgsl'))
      .map((name) => [name, readFileSync(directory + name, 'utf8')]),
  );
  const names = Object.keys(library).sort();

  test('the directory holds the logit shaders and the shared snippets', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'float-keys.wgsl',
        'logit-combine.wgsl',
        'logit-filter.wgsl',
        'logit-sample.wgsl',
        'logit-stats.wgsl',
        'philox.wgsl',
      ]),
    );
  });

  test.each(names)('%s', (name) => {
    const out = composeWgsl(name, library);
    expect(out).not.toMatch(/^\s*#include\s/m);
    const includes = [...library[name].matchAll(/^\s*#include\s+"([^"]+)"\s*$/gm)].map((m) => m[1]);
    for (const target of includes) {
      // Each included file is emitted exactly once however many times it is reached.
      expect(out.split(`// ---- begin ${target} ----`).length - 1, target).toBe(1);
    }
  });
});
