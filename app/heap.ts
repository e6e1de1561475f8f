/**
 * The V8 heap of a long-running hub process: a young generation that stays big.
 *
 * V8 starts the young generation (where a request's short-lived objects live) at 1 MB a semi-space
 * and shrinks it back whenever the process goes quiet. A process that then meets a burst of
 * requests scavenges many times a second until it has grown again, on both cores of a small
 * machine (the scavenger is parallel), and every request waits. Measured on this 2-core VM with a
 * bare node HTTP server doing ~1.5 ms of allocating work per request at 200/s, 3 s bursts after
 * 12 s idle, six bursts each: worst latency in a burst's first 300 ms 26–67 ms and p99 16–50 ms
 * with V8's default; 6–29 ms and 4–20 ms with a 16 MB minimum, set either on the command line or
 * here (the same figures). The cost is memory: up to 48 MB more per process than when idle.
 *
 * `--min-semi-space-size` is not allowed in NODE_OPTIONS, and the hub is started in several ways
 * (npm start through tsx, bin/spolis-hub.js, node dist/app/cli.js under systemd), so the start
 * command sets it itself, unless the node command line already chose a size.
 */
import { setFlagsFromString } from 'node:v8';

export const MIN_SEMI_SPACE_MB = 16;

/** Keeps the young generation at least MIN_SEMI_SPACE_MB a semi-space; false when node's own flags decide. */
export function keepYoungGenerationLarge(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => /^--(min|max)[-_]semi[-_]space[-_]size/.test(a))) return false;
  setFlagsFromString(`--min-semi-space-size=${MIN_SEMI_SPACE_MB}`);
  return true;
}
