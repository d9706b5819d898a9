// pino logger on stderr. Secrets never reach a log line: the API key only lives in request headers,
// and these paths are redacted in case a header object is ever logged.
import pino, { type Logger } from 'pino';
import type { Writable } from 'node:stream';

export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'bearerToken',
  '*.bearerToken',
];

export function createLogger(level: string, stream: Writable): Logger {
  return pino({ level, base: undefined, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
}

export type { Logger };
