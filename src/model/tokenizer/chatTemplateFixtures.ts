// Chat templates in the styles real instruct models ship, written from knowledge of the formats
// (the Hub is unreachable here, so these are not byte-for-byte the upstream strings). Each keeps
// the feature that makes its family differ: ChatML with a default system message that is used
// only when the conversation has none (SmolLM2-Instruct and Qwen2.5-Instruct), and Llama 2's
// [INST] format with `bos_token` per user turn and `raise_exception` for role order.
// String.raw keeps "\n" inside Jinja string literals as Jinja escapes, as in tokenizer_config.json.

/** SmolLM2-Instruct style: a one-line template, default system prompt added on the first message. */
export const SMOLLM2_CHAT_TEMPLATE = String.raw`{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`;

/** Qwen2.5-Instruct style (without the tool-calling branch): whitespace-controlled blocks. */
export const QWEN25_CHAT_TEMPLATE = String.raw`{%- if messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
{%- else %}
    {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if not (message.role == 'system' and loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
`;

/** Llama 2 chat style: <<SYS>> folded into the first user turn, bos_token before every [INST]. */
export const LLAMA2_CHAT_TEMPLATE = String.raw`{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}`;
