/**
 * Where the CPU went during a measurement, read from /proc (Linux): the whole machine, the server
 * process, this (load-generating) process and the PostgreSQL cluster's processes. On a 2-core box
 * the load generator, the server and the database share the same cores, so this split is what
 * tells a saturated machine from a slow server.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Linux reports process times in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  at: number;
  machineBusy: number;
  machineTotal: number;
  processes: Map<string, number>;
}

export interface CpuUsage {
  /** Busy share of all cores, 0–100 %. */
  machinePercent: number;
  /** CPU used by processes outside the watched groups, in % of one core: other people's work. */
  othersPercent: number;
  /** Per watched group: CPU seconds per wall second, in % of one core (200 % = both of 2 cores). */
  groups: Record<string, number>;
}

/** Named groups of process ids to watch; a function so children that come and go are found each time. */
export type ProcessGroups = Record<string, () => number[]>;

export function snapshotCpu(groups: ProcessGroups): CpuSnapshot {
  const fields = (readText('/proc/stat').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const processes = new Map<string, number>();
  for (const [name, pids] of Object.entries(groups)) {
    processes.set(
      name,
      pids().reduce((sum, pid) => sum + processTicks(pid), 0),
    );
  }
  return { at: performance.now(), machineBusy: total - idle, machineTotal: total, processes };
}

export function cpuUsageBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUsage {
  const wallSeconds = (b.at - a.at) / 1000;
  const groups: Record<string, number> = {};
  for (const [name, ticks] of b.processes) {
    groups[name] = Math.round(((ticks - (a.processes.get(name) ?? 0)) / TICKS_PER_SECOND / wallSeconds) * 100);
  }
  const total = b.machineTotal - a.machineTotal;
  const machinePercent = total > 0 ? Math.round(((b.machineBusy - a.machineBusy) / total) * 100) : 0;
  const watched = Object.values(groups).reduce((sum, pct) => sum + pct, 0);
  return { machinePercent, othersPercent: Math.max(0, machinePercent * availableParallelism() - watched), groups };
}

/** Ids of `pid` and all its descendants (the postmaster and its backends, say). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of safeReaddir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = statFields(Number(entry))?.[1];
    if (ppid === undefined) continue;
    const list = children.get(Number(ppid)) ?? [];
    list.push(Number(entry));
    children.set(Number(ppid), list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop() as number;
    out.push(next);
    stack.push(...(children.get(next) ?? []));
  }
  return out;
}

export function describeCpu(usage: CpuUsage): string {
  const groups = Object.entries(usage.groups).map(([name, pct]) => `${name} ${pct} %`);
  return `machine ${usage.machinePercent} % busy; ${groups.join(', ')}, other processes ${usage.othersPercent} % (100 % = one core)`;
}

/** utime + stime of one process, in ticks (children that already exited are not counted). */
function processTicks(pid: number): number {
  const f = statFields(pid);
  // After the command name: state(0) ppid(1) … utime(11) stime(12).
  return f ? Number(f[11]) + Number(f[12]) : 0;
}

/** The fields of /proc/<pid>/stat after "(comm)", which may itself hold spaces. */
function statFields(pid: number): string[] | null {
  const text = readText(`/proc/${pid}/stat`);
  const close = text.lastIndexOf(')');
  return close < 0 ? null : text.slice(close + 2).split(' ');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * Waits until the machine is nearly idle (other people's test runs share these cores), sampling
 * for 2 s at a time, for at most `maxWaitSeconds`. Returns the busy share of the last sample.
 */
export async function waitForQuietMachine(options: {
  maxBusyPercent: number;
  maxWaitSeconds: number;
  log: (line: string) => void;
}): Promise<number> {
  const deadline = Date.now() + options.maxWaitSeconds * 1000;
  for (;;) {
    const a = snapshotCpu({});
    await sleep(2000);
    const busy = cpuUsageBetween(a, snapshotCpu({})).machinePercent;
    if (busy <= options.maxBusyPercent) return busy;
    if (Date.now() >= deadline) {
      options.log(
        `  the machine is still ${busy} % busy with other work after ${options.maxWaitSeconds} s; measuring anyway (figures will be low)`,
      );
      return busy;
    }
    options.log(`  the machine is ${busy} % busy with other work; waiting for it to calm down…`);
    await sleep(8000);
  }
}
