// Loads an Idefics3 / SmolVLM folder of the Hub's ONNX layout (idefics3-layout.ts) from any
// ModelSource: config.json, preprocessor_config.json, processor_config.json (optional), the
// tokenizer files, and the three graphs of the chosen dtype(s) with their external data. Returns
// everything or throws a ModelLoadError that names the file; nothing touches the GPU.
import { parseJsonFile } from '../loading/download';
import { ModelLoadError, listNames } from '../loading/errors';
import type { LoadedFileInfo } from '../loading/loadModelFolder';
import type { ModelSource, OpenOptions, OpenedFile } from '../loading/sources';
import { parseIdefics3Config, type Idefics3Config, type Idefics3Options } from './idefics3-config';
import { IDEFICS3_PARTS, idefics3FileName, type Idefics3Part } from './idefics3-layout';
import { ONNX_DTYPES, baseNameOf, externalDataFiles, type OnnxDtype } from './layout';
import type { LoadOnnxOptions } from './loadOnnxFolder';

export interface Idefics3LoadOptions
  extends Pick<LoadOnnxOptions, 'dtype' | 'onProgress' | 'signal' | 'onWarning'>, Idefics3Options {
  /** A dtype per graph, over `dtype` (transformers.js takes such an object too). */
  partDtypes?: Partial<Record<Idefics3Part, OnnxDtype>>;
}

/** One graph of the folder. */
export interface LoadedGraph {
  file: string;
  dtype: OnnxDtype;
  bytes: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
}

export interface LoadedIdefics3Folder extends Idefics3Config {
  name: string;
  files: LoadedFileInfo[];
  /** The decoder's dtype (the model's `onnxDtype`). */
  dtype: OnnxDtype;
  decoderFile: string;
  decoderBytes: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
  visionEncoder: LoadedGraph;
  embedTokens: LoadedGraph;
  tokenizerJson: unknown;
  tokenizerConfig: unknown | null;
  generationConfig: unknown | null;
  fileHashes: Record<string, string>;
  totalBytes: number;
  warnings: string[];
}

/** The missing-graph message: what an Idefics3 folder holds and what this one holds (when listed). */
function missingGraph(
  source: ModelSource,
  file: string,
  part: Idefics3Part,
  dtype: OnnxDtype,
): ModelLoadError {
  const listed = source.list();
  const expected = IDEFICS3_PARTS.map((p) => idefics3FileName(p, dtype)).join(', ');
  const graphs = listed?.filter((name) => name.startsWith('onnx/') && name.endsWith('.onnx'));
  const otherDtypes = graphs?.filter((name) => baseNameOf(name) === part);
  let found = '';
  if (graphs)
    found = `; its onnx/ folder holds ${graphs.length > 0 ? `[${listNames(graphs, 12)}]` : 'no graphs'}`;
  const advice =
    otherDtypes && otherDtypes.length > 0
      ? `: ${part} comes as ${otherDtypes.join(', ')}, choose that dtype`
      : ': download the whole repository';
  return new ModelLoadError(
    'missing-file',
    `${source.describe()} has no ${file} (dtype ${dtype}): an Idefics3/SmolVLM folder holds ${expected}${found}${advice}`,
    file,
  );
}

export async function loadIdefics3Folder(
  source: ModelSource,
  options: Idefics3LoadOptions = {},
): Promise<LoadedIdefics3Folder> {
  const { signal, onProgress } = options;
  const dtypes = Object.fromEntries(
    IDEFICS3_PARTS.map((part) => [part, options.partDtypes?.[part] ?? options.dtype ?? 'fp32']),
  ) as Record<Idefics3Part, OnnxDtype>;
  for (const [part, dtype] of Object.entries(dtypes)) {
    if (!ONNX_DTYPES.includes(dtype))
      throw new ModelLoadError(
        'input',
        `${part}: dtype "${String(dtype)}" is not one of ${ONNX_DTYPES.join(', ')}`,
      );
  }
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  const opened: OpenedFile[] = [];
  const open = async (file: string, extra: Partial<OpenOptions> = {}): Promise<OpenedFile | null> => {
    const result = await source.open(file, { signal, onProgress, onWarning: warn, ...extra });
    if (result) opened.push(result);
    return result;
  };
  const required = async (file: string, why: string): Promise<OpenedFile> => {
    const result = await open(file, { optional: true });
    if (!result)
      throw new ModelLoadError('missing-file', `${file} is missing from ${source.describe()}: ${why}`, file);
    return result;
  };
  const optionalJson = async (file: string): Promise<unknown> => {
    const found = await open(file, { optional: true });
    return found ? parseJsonFile(found.bytes, file) : null;
  };

  const configJson = parseJsonFile(
    (await required('config.json', 'every model folder has one')).bytes,
    'config.json',
  );
  const preprocessorJson = parseJsonFile(
    (await required('preprocessor_config.json', 'an Idefics3 folder describes its image preprocessing there'))
      .bytes,
    'preprocessor_config.json',
  );
  const processorJson = await optionalJson('processor_config.json');
  const parsed = parseIdefics3Config(configJson, preprocessorJson, processorJson, options);
  const tokenizerJson = parseJsonFile(
    (await required('tokenizer.json', 'LogitLab needs the tokenizer of the Hugging Face tokenizers library'))
      .bytes,
    'tokenizer.json',
  );
  const tokenizerConfig = await optionalJson('tokenizer_config.json');
  const generationConfig = await optionalJson('generation_config.json');

  const graphs = {} as Record<Idefics3Part, LoadedGraph>;
  for (const part of IDEFICS3_PARTS) {
    const dtype = dtypes[part];
    const file = idefics3FileName(part, dtype);
    const graph = await open(file, { optional: true });
    if (!graph) throw missingGraph(source, file, part, dtype);
    const externalData: LoadedGraph['externalData'] = [];
    for (const dataFile of externalDataFiles(configJson, file)) {
      const data = await required(
        dataFile,
        `config.json's transformers.js_config says ${file} keeps its weights there`,
      );
      externalData.push({ path: dataFile.split('/').pop()!, data: data.bytes });
    }
    graphs[part] = { file, dtype, bytes: graph.bytes, externalData };
  }
  const decoder = graphs.decoder_model_merged;
  return {
    ...parsed,
    name: source.describe(),
    files: opened.map(({ file, bytes, sha256, from }) => ({ file, bytes: bytes.length, sha256, from })),
    dtype: decoder.dtype,
    decoderFile: decoder.file,
    decoderBytes: decoder.bytes,
    externalData: decoder.externalData,
    visionEncoder: graphs.vision_encoder,
    embedTokens: graphs.embed_tokens,
    tokenizerJson,
    tokenizerConfig,
    generationConfig,
    fileHashes: Object.fromEntries(opened.map((f) => [f.file, f.sha256])),
    totalBytes: opened.reduce((sum, f) => sum + f.bytes.length, 0),
    warnings,
  };
}
