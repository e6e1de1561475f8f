/**
 * The `spolis-hub load push|status` commands: arguments, signals and exit codes around client/push.ts
 * (0 the load is done, 1 it failed or the push could not finish, 2 a usage error).
 */
import { parseArgs } from 'node:util';
import type { Registry } from '../engine/components/registry.ts';
import { existsSync } from 'node:fs';
import { HubApiError } from './hub-client.ts';
import { createProgress } from './push-progress.ts';
import { formatPushReport, loadStatus, pushLoad, PushInterrupted, PUSH_MAX_BYTES } from './push.ts';

export const LOAD_USAGE = `  load push --source S --municipality M --period P [--url URL] [--key KEY] [--state FILE] [--max-bytes N] FILE…
                                                         split, send, commit and wait for a load; run again to resume
  load status ID [--url URL] [--key KEY]                 print a load's status (JSON)`;

const DEFAULT_URL = 'http://127.0.0.1:8080';

class UsageError extends Error {}

function common(values: { url?: string; key?: string }): { url: string; key: string } {
  const key = values.key ?? process.env.SPOLIS_KEY;
  if (!key) throw new UsageError('the partner key is required: --key KEY or the environment variable SPOLIS_KEY');
  return { url: values.url ?? DEFAULT_URL, key };
}

async function push(args: string[], registry: Registry): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, options: {
      source: { type: 'string' }, municipality: { type: 'string' }, period: { type: 'string' }, url: { type: 'string' },
      key: { type: 'string' }, state: { type: 'string' }, 'max-bytes': { type: 'string' },
    },
  });
  for (const k of ['source', 'municipality', 'period'] as const) if (!values[k]) throw new UsageError(`--${k} is required`);
  if (!positionals.length) throw new UsageError('name at least one FILE to push');
  for (const f of positionals) if (!existsSync(f)) throw new UsageError(`no such file: ${f}`);
  const maxBytes = values['max-bytes'] === undefined ? PUSH_MAX_BYTES : Number(values['max-bytes']);
  if (!Number.isInteger(maxBytes) || maxBytes < 1024 || maxBytes > 4 * 1024 * 1024) throw new UsageError('--max-bytes must be a whole number from 1024 to 4194304');

  // Ctrl-C (or kill) stops sending; what the hub acknowledged stays in the state file. A second one exits at once.
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(1);
    process.stderr.write('\nstopping; what the hub has acknowledged stays in the state file (Ctrl-C again to quit at once)\n');
    stop.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = createProgress(process.stderr);
  try {
    const result = await pushLoad({
      ...common(values), source: values.source!, municipality: values.municipality!, period: values.period!,
      files: positionals, maxBytes, statePath: values.state, signal: stop.signal, progress, registry,
    });
    process.stdout.write(formatPushReport(result));
    return result.exitCode;
  } catch (e) {
    progress.stop();
    if (e instanceof PushInterrupted) { process.stderr.write(`spolis-hub load push: ${e.message}\n`); return 1; }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { url: { type: 'string' }, key: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('name one load ID');
  const { url, key } = common(values);
  process.stdout.write(JSON.stringify(await loadStatus(url, key, positionals[0]), null, 2) + '\n');
  return 0;
}

/** `registry`: the hub's formats, which split and check the files as the hub will read them. */
export async function loadCommand(sub: string | undefined, args: string[], registry: () => Registry): Promise<number> {
  try {
    if (sub === 'push') return await push(args, registry());
    if (sub === 'status') return await status(args);
    throw new UsageError(`unknown load command "${sub ?? ''}"`);
  } catch (e) {
    // parseArgs says ERR_PARSE_ARGS_* for an unknown or malformed option: a usage error too.
    const usage = e instanceof UsageError || String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`spolis-hub load ${sub ?? ''}: ${(e as Error).message}\n${usage ? `usage:\n${LOAD_USAGE}\n` : ''}`);
    if (usage) return 2;
    if (e instanceof HubApiError && e.status === 401) process.stderr.write('(check the key: --key or SPOLIS_KEY)\n');
    return 1;
  }
}
