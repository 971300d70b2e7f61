/**
 * Redis connections for the fleet (BullMQ 6 takes a constructed ioredis client in ESM). A bad URL
 * or a Redis that cannot be reached is a UsageError (one line, exit 2); a connection that goes
 * away later gives up after a few seconds of retries and calls `onLost`, never a hang. BullMQ
 * makes connections of its own from ours (QueueEvents reads events on a duplicate, a Worker
 * takes jobs on one): `watchLoss` gives them the same `onLost` (fleet.ts watchBullmq).
 */
import { Redis } from 'ioredis';
import { UsageError } from '../scenarios/index.js';

export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** The URL without its password (for messages). */
  readonly shown: string;
}

/** Parses redis://[user:password@]host[:port][/db] (rediss:// for TLS). */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--redis: '${url}' is not a URL (expected redis://host:port)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UsageError(`--redis: '${url}' is not a redis:// or rediss:// URL`);
  if (u.hostname === '') throw new UsageError(`--redis: '${url}' names no host`);
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--redis: bad port in '${url}'`);
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) throw new UsageError(`--redis: '${url}': the path must be a database number`);
  if (u.search !== '' || u.hash !== '') throw new UsageError(`--redis: '${url}': no query or fragment expected`);
  const shown = `${u.protocol}//${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${port}${path ? `/${path}` : ''}`;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: path === '' ? 0 : Number(path),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    tls: u.protocol === 'rediss:',
    shown,
  };
}

/** Retries before a lost connection is given up (about 3 s in all). */
const RETRIES = 6;

/**
 * A connected client (a UsageError when Redis cannot be reached). `onLost` is called once when the
 * connection is gone for good.
 */
export async function connectRedis(t: RedisTarget, onLost: (why: string) => void): Promise<Redis> {
  let lastError = '';
  const client = new Redis({
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: {} } : {}),
    lazyConnect: true,
    connectTimeout: 3000,
    // BullMQ needs commands to wait for a reconnection rather than fail.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => (times > RETRIES ? null : Math.min(100 * 2 ** times, 1000)),
  });
  const onError = (e: Error) => {
    lastError = errorName(e);
  };
  client.on('error', onError);
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    const why = lastError || (e instanceof Error ? errorName(e) : String(e));
    throw new UsageError(`cannot reach Redis at ${t.shown} (${why})`);
  }
  client.off('error', onError);
  watchLoss(client, onLost);
  return client;
}

/** What an ioredis error is called in a message: its system code (ECONNREFUSED), or its message. */
export function errorName(e: Error): string {
  return (e as NodeJS.ErrnoException).code ?? e.message;
}

/** An ioredis client, or BullMQ's wrapper of one (a Proxy that reads through to it). */
export interface Watchable {
  readonly status: string;
  on(event: string, listener: (e: Error) => void): unknown;
}

const WATCHED = Symbol('kernsim.watchLoss');

/**
 * Calls `onLost` when `client` (connected) has given up reconnecting: ioredis ends it once the
 * retry strategy says no more (connectRedis's, which ioredis's duplicate() copies to BullMQ's
 * connections). An end asked for (a close, or BullMQ resetting a worker's blocking connection) is
 * no loss: ioredis counts the retries since the connection was last ready, and an end before
 * RETRIES of them is a disconnect. Watching a client twice is watching it once.
 */
export function watchLoss(client: Watchable, onLost: (why: string) => void): void {
  // `retryAttempts` is ioredis's own count (private in its types, a plain field at run time; reset
  // when the connection gets ready). Without it (another ioredis), every end is taken for the loss.
  const c = client as Watchable & { [WATCHED]?: true; readonly retryAttempts?: unknown };
  if (c[WATCHED]) return;
  c[WATCHED] = true;
  let lastError = '';
  const gaveUp = () => typeof c.retryAttempts !== 'number' || c.retryAttempts > RETRIES;
  client.on('error', (e: Error) => {
    lastError = errorName(e);
  });
  client.on('end', () => {
    if (gaveUp()) onLost(lastError || 'connection closed');
  });
  // Ended before it was watched.
  if (client.status === 'end' && gaveUp()) onLost(lastError || 'connection closed');
}

/** The queue every kernsim fleet run and worker share. */
export const QUEUE = 'kernsim';
