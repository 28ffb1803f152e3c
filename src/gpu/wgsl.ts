// The one mechanism for sharing WGSL between shader files: `#include "name.wgsl"` on its own line.
// Each file is included at most once per composed shader (later includes of it are dropped),
// cycles are reported with their path, and unknown names list what exists. The composed source
// comes with a line map so compiler messages point at the file and line that was written.

const INCLUDE = /^\s*#include\s+"([^"]+)"\s*$/;

export interface SourceLine {
  file: string;
  /** 1-based line in `file`; 0 for the marker comments composeWgsl adds. */
  line: number;
}

export interface ComposedWgsl {
  code: string;
  /** lines[i] is where line i + 1 of `code` came from. */
  lines: SourceLine[];
}

export function composeWgslWithMap(entry: string, library: Readonly<Record<string, string>>): ComposedWgsl {
  const included = new Set<string>();
  const code: string[] = [];
  const lines: SourceLine[] = [];
  const emit = (text: string, file: string, line: number) => {
    code.push(text);
    lines.push({ file, line });
  };
  const expand = (name: string, stack: string[]): void => {
    if (stack.includes(name)) throw new Error(`WGSL include cycle: ${[...stack, name].join(' -> ')}`);
    const source = library[name];
    if (source === undefined) {
      const known = Object.keys(library).sort().join(', ');
      throw new Error(
        `WGSL include "${name}"${stack.length ? ` (from ${stack[stack.length - 1]})` : ''} not found; known: ${known}`,
      );
    }
    included.add(name);
    source.split('\n').forEach((text, index) => {
      const match = INCLUDE.exec(text);
      if (!match) return emit(text, name, index + 1);
      const target = match[1];
      if (stack.includes(target) || target === name) {
        throw new Error(`WGSL include cycle: ${[...stack, name, target].join(' -> ')}`);
      }
      if (included.has(target)) return emit(`// (already included: ${target})`, name, index + 1);
      emit(`// ---- begin ${target} ----`, target, 0);
      expand(target, [...stack, name]);
      emit(`// ---- end ${target} ----`, target, 0);
    });
  };
  expand(entry, []);
  return { code: code.join('\n'), lines };
}

export function composeWgsl(entry: string, library: Readonly<Record<string, string>>): string {
  return composeWgslWithMap(entry, library).code;
}
