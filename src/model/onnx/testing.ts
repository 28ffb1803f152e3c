// Helpers of the ONNX backend's GPU tests: model folders served from memory through the real URL
// source (a fetch route with the Hub's layout), and the committed fixtures read from Vite's server.
import { urlSource, type ModelSource } from '../loading/sources';

export type MemoryFolder = Record<string, Uint8Array<ArrayBuffer>>;

/** Files of public/<path>/ as served by Vite. */
export async function servedFolder(path: string, files: readonly string[]): Promise<MemoryFolder> {
  const folder: MemoryFolder = {};
  for (const file of files) {
    const response = await fetch(`${location.origin}/${path}/${file}`);
    if (!response.ok) throw new Error(`${path}/${file}: ${response.status}`);
    folder[file] = new Uint8Array(await response.arrayBuffer());
  }
  return folder;
}

export const HUB_ONNX_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'generation_config.json',
  'onnx/decoder_model_merged.onnx',
];

/** A URL source over an in-memory folder (404 for anything else), read without the browser cache. */
export function memorySource(files: MemoryFolder): ModelSource {
  const fetchImpl: typeof fetch = async (input) => {
    const file = decodeURIComponent(new URL(String(input)).pathname.replace('/memory-hub/', ''));
    const bytes = files[file];
    if (!bytes) return new Response('Entry not found', { status: 404 });
    return new Response(bytes, { headers: { 'content-length': String(bytes.length) } });
  };
  return urlSource('http://localhost/memory-hub/', { cache: null, fetch: fetchImpl });
}
