/** The one list of provider codecs, most specific first; 'unknown' catches the rest that looks like a model call. */
import type { ProviderCodec, RequestInfo } from '../types';
import { anthropicCodec } from './anthropic';
import { geminiCodec } from './gemini';
import { openaiChatCodec } from './openai-chat';
import { openaiResponsesCodec } from './openai-responses';
import { unknownCodec } from './unknown';

export const PROVIDERS: readonly ProviderCodec[] = [anthropicCodec, openaiChatCodec, openaiResponsesCodec, geminiCodec, unknownCodec];

export function findProvider(req: RequestInfo): ProviderCodec | null {
  for (const p of PROVIDERS) if (p.matches(req)) return p;
  return null;
}
