// The Llama 3.2 Instruct chat template, rendered by hand (no Jinja): vLLM renders chat requests with
// the model's template (add_generation_prompt=True, add_special_tokens=False because the template emits
// BOS itself). Verified against the Llama-3 BPE: one user message "Hello" with no system message is
// 36 tokens, the date at token index 19 (../shared/research/vllm-llmd-semantics.md §2.3, §6).

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** The template's own fallback when `strftime_now` is undefined. */
export const TEMPLATE_FALLBACK_DATE = '26 Jul 2024';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `strftime("%d %b %Y")` in UTC, what a vLLM container (TZ=UTC) prints into the system block. */
export function templateDate(epochMs: number): string {
  const d = new Date(epochMs);
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${day} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

export const BOS = '<|begin_of_text|>';
export const EOT = '<|eot_id|>';

export function headerFor(role: string): string {
  return `<|start_header_id|>${role}<|end_header_id|>\n\n`;
}

/** The header a message's role gets: the template calls the tool role `ipython`. */
export function messageHeader(role: ChatRole): string {
  return headerFor(role === 'tool' ? 'ipython' : role);
}

/** The system block's text: the knowledge cutoff, the date, then the system message (trimmed). */
export function systemBlock(dateString: string, systemMessage: string): string {
  return `Cutting Knowledge Date: December 2023\nToday Date: ${dateString}\n\n${systemMessage}`;
}

/**
 * The rendered prompt split into segments at special-token boundaries: encoding each segment on its
 * own and concatenating gives the same ids as encoding the whole string (the BPE pre-tokenizer never
 * merges across special tokens), which lets callers cache per-message encodings.
 */
export function renderLlama32Segments(
  messages: readonly ChatMessage[],
  opts: { dateString: string; addGenerationPrompt?: boolean },
): string[] {
  const first = messages[0];
  const systemMessage = first && first.role === 'system' ? first.content.trim() : '';
  const rest = first && first.role === 'system' ? messages.slice(1) : messages;
  const segments = [BOS + headerFor('system'), systemBlock(opts.dateString, systemMessage), EOT];
  for (const m of rest) segments.push(messageHeader(m.role), m.content.trim(), EOT);
  if (opts.addGenerationPrompt !== false) segments.push(headerFor('assistant'));
  return segments.filter((s) => s.length > 0);
}

export function renderLlama32Chat(
  messages: readonly ChatMessage[],
  opts: { dateString: string; addGenerationPrompt?: boolean },
): string {
  return renderLlama32Segments(messages, opts).join('');
}
