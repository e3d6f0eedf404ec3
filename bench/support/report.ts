/**
 * What every benchmark reports besides its own figures: the machine, the date, the code measured
 * and the exact command; and how the figures reach BENCHMARKS.md (one marked section per
 * benchmark/store/variant, replaced on each run so the file always holds the latest figures).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_FILE = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  ramGiB: number;
  os: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readText('/proc/cpuinfo');
  const osRelease = readText('/etc/os-release');
  return {
    cores: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? process.platform,
    node: process.version,
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cores} cores (nproc), ${m.cpuModel}, ${m.ramGiB} GiB RAM, ${m.os}, Node ${m.node}`;
}

/** 1-minute load average now: a busy machine (other people's tests) makes figures lower. */
export function currentLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/** The commit measured, and whether src/ had uncommitted changes (other engineers edit it live). */
export function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** The command line that reproduces this run. */
export function commandLine(): string {
  const script = basename(process.argv[1] ?? 'bench');
  const env = process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL=… ' : '';
  return `${env}npx tsx bench/${script} ${process.argv.slice(2).join(' ')}`.trim();
}

/** The p-th percentile (0–100) of an ascending array, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Replaces the section `<!-- bench:key -->…<!-- /bench:key -->` of BENCHMARKS.md with `body`, or
 * appends it when the file has no such section yet. Text outside the markers (the analysis) stays.
 */
export function writeBenchmarkSection(key: string, body: string): void {
  const begin = `<!-- bench:${key} -->`;
  const end = `<!-- /bench:${key} -->`;
  const section = `${begin}\n${body.trim()}\n${end}`;
  const current = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, 'utf8') : '# Benchmarks\n';
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from)}${section}${current.slice(to + end.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(BENCHMARKS_FILE, next);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
