// The tokenizer package's public surface (engine code: no React, no store; Worker, page and Node).
export { TextTokenizer, type ChatTemplateOptions, type DecodeOptions, type EncodeOptions } from './tokenizer';
export { StreamingDecoder, type StreamingDecoderOptions } from './streamingDecoder';
export {
  applyChatTemplate,
  NO_CHAT_TEMPLATE_MESSAGE,
  resolveChatTemplate,
  type ApplyChatTemplateOptions,
  type ChatMessage,
} from './chatTemplate';
export { eosTokenIdsFromGenerationConfig, SUPPORTED_MODEL_TYPES, type ModelType } from './files';
