/**
 * pino, with personal codes masked wherever they appear in a log line: a log is read by more
 * people than the store is, so it never carries a whole personas kods.
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

const PERSON_CODE = /\b(\d{6})-?\d{5}\b/g;

/** "161175-19997" → "161175-*****": the birth date stays for debugging, the person does not. */
export function maskPersonCodes(text: string): string {
  return text.replace(PERSON_CODE, '$1-*****');
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonCodes(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: maskPersonCodes(value.message), code: (value as { code?: unknown }).code };
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { svc: 'spolis-hub' },
      formatters: { log: (obj) => maskDeep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskPersonCodes(a) : a)) as Parameters<typeof method>;
          method.apply(this, masked);
        },
      },
    },
    (opts.destination ?? process.stdout) as DestinationStream,
  );
}
