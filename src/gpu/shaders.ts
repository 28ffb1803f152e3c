// Every `.wgsl` file under shaders/, loaded as text at build time, composed with includes.
import { composeWgslWithMap, type ComposedWgsl } from './wgsl';

const files = import.meta.glob('../../shaders/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export const shaderLibrary: Record<string, string> = Object.fromEntries(
  Object.entries(files).map(([path, source]) => [path.slice(path.lastIndexOf('/') + 1), source]),
);

const composed = new Map<string, ComposedWgsl>();

/** `shaders/<name>` with its includes expanded, and where each line came from. */
export function composedShader(name: string): ComposedWgsl {
  let result = composed.get(name);
  if (result === undefined) {
    result = composeWgslWithMap(name, shaderLibrary);
    composed.set(name, result);
  }
  return result;
}

/** The full source of `shaders/<name>` with its includes expanded. */
export function shaderSource(name: string): string {
  return composedShader(name).code;
}
