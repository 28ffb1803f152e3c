// The onnxruntime-web backend (issue 8): Hub ONNX layouts, loading, the LanguageModel.
// The exporter (./export/) is a dev tool and is imported from its own path.
export * from './layout';
export * from './loadOnnxFolder';
export * from './session';
export { OrtLanguageModel, loadOrtModel, type OrtModelOptions } from './model';
export { OrtVisionLanguageModel, loadOrtVlm, loadOrtAnyModel } from './vlm';
export * from './idefics3-prompt';
