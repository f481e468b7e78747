// A cache-warming worker whose named loader `postgres` reads rows of a PostgreSQL database: the
// entry point a team builds (examples/postgres/README.md). It reads every variable `npm run worker`
// reads (runWorkerFromEnvironment) and node-postgres's own PGHOST, PGPORT, PGDATABASE, PGUSER,
// PGPASSWORD, PGSSLMODE and PGAPPNAME. Run it with `npm run build && node dist/examples/postgres/main.js`.
import { Pool } from 'pg';
import { redact } from '../../core/redact';
import { runWorkerFromEnvironment, workerOptionsFromEnvironment } from '../../worker';
import {
  isPermanentPostgresError,
  postgresErrorMessage,
  postgresRowLoader,
  type PostgresTable,
} from './postgres-row-loader';

/** The tables configs may name in `args.table`: add yours here. */
const TABLES: Record<string, PostgresTable> = {
  products: { keyColumn: 'id', valueColumn: 'data' },
};

async function run(): Promise<void> {
  // Every load of this database is one origin, `custom:postgres`: WARMING_ORIGIN_CONCURRENCY and
  // WARMING_ORIGIN_RATE_PER_SECOND bound it for the whole deployment. A process never has more
  // loads in flight than that, so its pool needs no more connections; a statement stops when
  // its load would have timed out anyway.
  const { limits } = workerOptionsFromEnvironment();
  const pool = new Pool({
    max: limits.originConcurrency,
    statement_timeout: limits.loaderTimeoutMs,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 60_000,
  });
  // An idle connection dropped by the server must not crash the worker; the next load reconnects.
  pool.on('error', (err) => console.warn(`postgres: idle connection closed: ${redact(postgresErrorMessage(err))}`));
  try {
    await checkDatabase(pool);
    await runWorkerFromEnvironment({ loaders: { postgres: postgresRowLoader({ pool, tables: TABLES }) } });
  } finally {
    await pool.end();
  }
}

/**
 * A login the database refuses (wrong password, no such database or role) stops the worker at
 * start with one line; a database that is only away for now is said once and loads retry.
 */
async function checkDatabase(pool: Pool): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    if (isPermanentPostgresError(err)) throw new Error(`postgres: ${postgresErrorMessage(err)}`);
    console.warn(`postgres: not reachable at start, loads will retry: ${redact(postgresErrorMessage(err))}`);
  }
}

run().catch((err: unknown) => {
  console.error(`postgres worker: ${redact(err instanceof Error ? err.message : String(err))}`);
  process.exit(1);
});
