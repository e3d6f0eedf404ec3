/**
 * The compiled Payscope server (`node dist/cli/main.js start`) as a child process, so it has its
 * own process and event loop and the load generator in the bench process does not share them.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { envSchema } from '../../src/core/config.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER_ENTRY = 'dist/cli/main.js';

/** Compiles src/ to dist/ with `npm run build`, or fails saying why the server cannot be measured. */
export async function buildServer(): Promise<void> {
  try {
    await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(0, 30).join('\n');
    throw new Error(`npm run build failed, so there is no server to measure:\n${output || e.message}`);
  }
  if (!existsSync(`${REPO_ROOT}/${SERVER_ENTRY}`)) throw new Error(`npm run build succeeded but ${SERVER_ENTRY} is missing`);
}

export function assertBuilt(): void {
  if (!existsSync(`${REPO_ROOT}/${SERVER_ENTRY}`)) {
    throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first (or drop --no-build so the benchmark builds it)`);
  }
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** The last lines the server wrote (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM (graceful: finishes in-flight requests), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
}

/**
 * Starts the server with exactly `env` on top of a copy of this process's environment from which
 * every Payscope variable has been removed (so a DATABASE_URL in the shell cannot leak in), and
 * waits until `/health` answers 200.
 */
export async function startServer(options: {
  env: Record<string, string>;
  port: number;
  nodeArgs?: string[];
  /** Another build's cli/main.js (an A/B of a proposed change); default dist/cli/main.js. */
  entry?: string;
  timeoutMs?: number;
}): Promise<ServerProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in envSchema.shape)));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry ?? SERVER_ENTRY, 'start'], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const output = () => lines.slice(-20).join('\n');
  const url = `http://127.0.0.1:${options.port}`;

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError = 'no answer yet';
  let exitedEarly = false;
  void exited.then(() => {
    exitedEarly = true;
  });
  while (Date.now() < deadline) {
    if (exitedEarly) throw new Error(`the server exited before it was healthy; its output:\n${output()}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { status?: string };
      if (res.status === 200 && body.status === 'healthy') break;
      lastError = `status ${res.status} ${JSON.stringify(body)}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new Error(`the server was not healthy within ${options.timeoutMs ?? 60_000} ms (${lastError}); its output:\n${output()}`);
  }

  return {
    url,
    pid: child.pid as number,
    output,
    async stop(graceMs = 30_000) {
      if (exitedEarly) {
        process.removeListener('exit', killOnExit);
        return { ...(await exited), forced: false };
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      return { ...result, forced: result.signal === 'SIGKILL' };
    },
  };
}
