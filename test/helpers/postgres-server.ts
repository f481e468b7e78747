// A real PostgreSQL server for the tests that need one (Debian's `postgresql` package, which
// `npm run bootstrap` installs): a fresh cluster in a temporary folder on a free loopback port,
// password authentication over TCP, removed when stopped. A missing or failing postgres fails the
// test loudly: nothing is skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client, escapeIdentifier, type QueryResult, type QueryResultRow } from 'pg';
import { findFreePort } from '../../scripts/local-stack';

/** Where Debian's packages put each major version's server binaries. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** The superuser, with password authentication. */
  readonly user: string;
  readonly password: string;
  /** The database created for the test. */
  readonly database: string;
  /** node-postgres's (and libpq's) variables for `user` on `database`. */
  env(user?: string, password?: string): Record<string, string>;
  /** Runs one statement as the superuser on `database`. */
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /** A connection of its own as the superuser (for a transaction holding a lock); the caller ends it. */
  connect(): Promise<Client>;
  /** Fast shutdown, then removes the cluster's folder. */
  stop(): Promise<void>;
}

/** The folder holding `initdb` and `postgres`: the newest Debian version's, else the one on PATH. */
export function postgresBinDir(): string {
  const versions = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN_ROOT, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] !== undefined) return join(DEBIAN_ROOT, versions[0], 'bin');
  const onPath = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath.replace(/\/postgres$/, '');
  throw new Error(
    `postgres is missing (no ${DEBIAN_ROOT}/<version>/bin/postgres, none on PATH): run npm run bootstrap, which installs Debian's postgresql`,
  );
}

/**
 * postgres refuses to run as root: as root, the server runs as the package's `postgres` user (else
 * `nobody`), through setpriv so the child is postgres itself and gets the signals.
 */
function asServerUser(): { wrap: (command: string, args: string[]) => [string, string[]]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => [command, args] };
  const user = ['postgres', 'nobody'].find((name) => spawnSync('id', ['-u', name]).status === 0);
  if (!user) throw new Error('running as root and neither a postgres nor a nobody user exists to run postgres as');
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  return {
    wrap: (command, args) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', command, ...args]],
    uid,
    gid,
  };
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a fresh PostgreSQL cluster and creates `database`; resolves once it answers queries. */
export async function startPostgres(options: { database?: string } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const as = asServerUser();
  const dir = mkdtempSync(join(tmpdir(), 'cw-postgres-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const user = 'postgres';
  const database = options.database ?? 'warming';
  writeFileSync(join(dir, 'pwfile'), `${password}\n`);
  if (as.uid !== undefined && as.gid !== undefined) {
    chownSync(dir, as.uid, as.gid);
    chownSync(join(dir, 'pwfile'), as.uid, as.gid);
  }
  chmodSync(dir, 0o700);
  const run = (command: string, args: string[]) => {
    const [file, argv] = as.wrap(join(bin, command), args);
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0)
      throw new Error(
        `${command} failed (${result.error?.message ?? `exit ${result.status}`}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`,
      );
  };
  try {
    // Trust only on the unix socket in our own folder; TCP asks for the password.
    run('initdb', [
      '-D',
      data,
      '-U',
      user,
      `--pwfile=${join(dir, 'pwfile')}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
      '--no-sync',
      '--no-instructions',
    ]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const host = '127.0.0.1';
  const port = await findFreePort();
  const [file, argv] = as.wrap(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    `listen_addresses=${host}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ]);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  let exited: string | undefined;
  const gone = new Promise<void>((resolveGone) =>
    child.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      running.delete(child);
      resolveGone();
    }),
  );
  child.once('error', (err) => (exited = `could not start: ${err.message}`));

  const stop = async () => {
    if (!exited) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGINT'); // fast shutdown: open connections are closed, not waited for
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const clientFor = (db: string) => new Client({ host, port, user, password, database: db });
  const once = async <R extends QueryResultRow>(db: string, text: string, values?: unknown[]) => {
    const client = clientFor(db);
    await client.connect();
    try {
      return await client.query<R>(text, values);
    } finally {
      await client.end();
    }
  };
  try {
    // It listens a little before it serves (57P03 "the database system is starting up").
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`postgres ${exited}: ${output.trim().split('\n').slice(-3).join(' | ')}`);
      try {
        await once('postgres', 'SELECT 1');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`postgres did not answer within 30 s: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await once('postgres', `CREATE DATABASE ${escapeIdentifier(database)}`);
  } catch (err) {
    await stop();
    throw new Error(`postgres from ${bin} (as ${as.uid ?? userInfo().username}) did not start: ${String(err)}`);
  }
  return {
    host,
    port,
    user,
    password,
    database,
    env: (asUser = user, asPassword = password) => ({
      PGHOST: host,
      PGPORT: String(port),
      PGDATABASE: database,
      PGUSER: asUser,
      PGPASSWORD: asPassword,
    }),
    query: (text, values) => once(database, text, values),
    async connect() {
      const client = clientFor(database);
      await client.connect();
      return client;
    },
    stop,
  };
}
