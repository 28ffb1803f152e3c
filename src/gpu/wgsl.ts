// The one mechanism for sharing WGSL between shader files: `#include "name.wgsl"` on its own line.
// Each file is included at most once per composed shader (later includes of it are dropped),
// cycles are reported with their path, and unknown names list what exists.

const INCLUDE = /^\s*#include\s+"([^"]+)"\s*$/;

export function composeWgsl(entry: string, library: Readonly<Record<string, string>>): string {
  const included = new Set<string>();
  const expand = (name: string, stack: string[]): string => {
    if (stack.includes(name)) {
      throw new Error(`WGSL include cycle: ${[...stack, name].join(' -> ')}`);
    }
    const source = library[name];
    if (source === undefined) {
      const known = Object.keys(library).sort().join(', ');
      throw new Error(
        `WGSL include "${name}"${stack.length ? ` (from ${stack[stack.length - 1]})` : ''} not found; known: ${known}`,
      );
    }
    included.add(name);
    return source
      .split('\n')
      .map((line) => {
        const match = INCLUDE.exec(line);
        if (!match) return line;
        const target = match[1];
        if (included.has(target)) return `// (already included: ${target})`;
        return `// ---- begin ${target} ----\n${expand(target, [...stack, name])}\n// ---- end ${target} ----`;
      })
      .join('\n');
  };
  return expand(entry, []);
}
