// Every `.wgsl` file under shaders/, loaded as text at build time, composed with includes.
import { composeWgsl } from './wgsl';

const files = import.meta.glob('../../shaders/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export const shaderLibrary: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(files).map(([path, source]) => [path.slice(path.lastIndexOf('/') + 1), source]),
);

const composed = new Map<string, string>();

/** The full source of `shaders/<name>` with its includes expanded. */
export function shaderSource(name: string): string {
  let source = composed.get(name);
  if (source === undefined) {
    source = composeWgsl(name, shaderLibrary);
    composed.set(name, source);
  }
  return source;
}
