/**
 * CPU seconds spent by processes, from /proc (Linux): user + system time of every thread of a
 * process, so the hub's prep threads count with it. CPU time, unlike wall time, does not depend on
 * how many cores the machine has or how busy it is, which makes it the figure to compare across
 * machines (issue 16). Server processes (PostgreSQL, Redis) are found by name; anything else on the
 * machine that uses them at the same time is counted too, so run the bench on a quiet machine.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticks: number | undefined;
/** Clock ticks per second of /proc's times (getconf CLK_TCK; 100 on Linux). */
function clockTicks(): number {
  if (ticks === undefined) {
    try { ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { ticks = 100; }
  }
  return ticks;
}

/** utime + stime of one process, seconds; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields count from after its closing one.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / clockTicks();
  } catch {
    return 0;
  }
}

/** Pids of the running processes whose name (comm) is one of `names`. */
export function pidsNamed(...names: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${d}/comm`, 'utf8').trim())) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

/**
 * A CPU meter over a group of processes: PostgreSQL and Redis servers by name, found at start and
 * again at the end (a backend that starts during the run counts from zero; one that ends during the
 * run loses what it spent since the start, so keep connections open until `stop`), plus given pids.
 */
export class CpuMeter {
  private readonly before = new Map<number, number>();
  private constructor(private readonly names: string[], private readonly pids: () => number[]) {}

  static start(names: string[], pids: () => number[] = () => []): CpuMeter {
    const m = new CpuMeter(names, pids);
    for (const p of [...pidsNamed(...names), ...pids()]) m.before.set(p, cpuSeconds(p));
    return m;
  }

  /** CPU seconds since start, by group: each server name, and `processes` for the given pids. */
  stop(): Record<string, number> {
    const out: Record<string, number> = {};
    const named = new Map<number, string>();
    for (const n of this.names) for (const p of pidsNamed(n)) named.set(p, n);
    for (const [p, n] of named) out[n] = (out[n] ?? 0) + cpuSeconds(p) - (this.before.get(p) ?? 0);
    let own = 0;
    for (const p of this.pids()) own += cpuSeconds(p) - (this.before.get(p) ?? 0);
    out.processes = own;
    for (const k of Object.keys(out)) out[k] = Math.round(out[k] * 1000) / 1000;
    return out;
  }
}
