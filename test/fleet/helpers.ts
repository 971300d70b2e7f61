/**
 * Helpers for the fleet tests. A redis-server: started on 127.0.0.1 on a free port (no persistence,
 * `maxmemory-policy noeviction` as BullMQ requires), stopped by pid afterwards. When Debian's
 * redis-server is not installed (scripts/ensure-redis.sh installs it), `skip` says why.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { BIN, ROOT } from '../cli/helpers.js';

export const REDIS_SERVER = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();

/** Why the fleet tests cannot run here (undefined: they can). */
export const skip: string | undefined = REDIS_SERVER
  ? undefined
  : 'redis-server is not installed (scripts/ensure-redis.sh installs Debian’s)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('error', () => resolve(false));
    c.once('data', (d) => {
      c.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    c.write('PING\r\n');
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const proc = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(p),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100 && !(await ping(p)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await ping(p))) {
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${p}`);
  }
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}

/** The JSON with its elapsed times zeroed (the only field that differs between machines). */
export function sameJson(v: unknown): string {
  return JSON.stringify(v, (k, x) => (k === 'elapsed_ms' ? 0 : x), 2);
}

export interface Done {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `kernsim ARGS` (bin/kernsim.js) in the checkout; `done` resolves when it has exited. */
export function startKernsim(
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Done>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** A connection through the proxy: what the client sent on it (its first 64 KiB), and a way to cut it. */
export interface ProxiedConnection {
  readonly sent: () => string;
  cut(): void;
}

export interface RedisProxy {
  readonly url: string;
  readonly connections: readonly ProxiedConnection[];
  /** Stops taking connections: from now on a client's reconnection is refused (as by a Redis gone). */
  refuse(): void;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a Redis on `port`, so a test can make Redis go away for one
 * connection at a time (a real Redis that dies drops them all at once, and only the timing of the
 * machine decides where each client's reconnection attempts are then).
 */
export async function startProxy(port: number): Promise<RedisProxy> {
  const connections: ProxiedConnection[] = [];
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    let sent = '';
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      if (sent.length < 65_536) sent += d.toString('latin1');
    });
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
    client.pipe(upstream);
    upstream.pipe(client);
    connections.push({ sent: () => sent, cut });
  });
  const at = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
  return {
    url: `redis://127.0.0.1:${at}`,
    connections,
    refuse: () => void server.close(),
  };
}
