// A named loader that reads one row of a PostgreSQL table by key (node-postgres), for
// `{ "type": "custom", "name": "postgres", "args": { "table": "products", "key": "p1" } }`.
// What fails for good (no such row, a refused login, a missing table or privilege) fails the warm
// without retry; what may pass (the server away, a dropped connection) is thrown and retried.
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError, escapeIdentifier, type Pool, type PoolClient, type QueryResult } from 'pg';
import type { CustomLoader, LoaderContext } from '../../worker';

/** How one table is read: by its key column, the value being one column or the whole row. */
export interface PostgresTable {
  /** The column the cache key's id is compared with (`WHERE <keyColumn> = $1`). */
  keyColumn: string;
  /**
   * The column stored as the value: `jsonb`/`json` are stored JSON-encoded, `text` as-is.
   * @default the whole row as a JSON object (`to_jsonb(row)`)
   */
  valueColumn?: string;
}

/** Options of `postgresRowLoader`. */
export interface PostgresRowLoaderOptions {
  /** The pool loads borrow a connection from (its `max` bounds this process's connections). */
  pool: Pool;
  /** The tables a config may name in `args.table`, and how each is read; no other table is read. */
  tables: Readonly<Record<string, PostgresTable>>;
}

/** The failure types this loader ends with, beside node-postgres's own errors (retried). */
export const PostgresFailureTypes = {
  /** No row has the key: the warm fails, the stored value stays. */
  rowNotFound: 'RowNotFound',
  /** The database refused for good: login, missing database, table, column or privilege, bad key type. */
  databaseRefused: 'DatabaseRefused',
  /** `args` are wrong: an unknown table, no key. */
  badInput: 'BadInput',
} as const;

/**
 * SQLSTATE classes and codes that will not change on retry: 28 (authorization), 3D000 (no such
 * database), 42 (syntax, undefined table or column, insufficient privilege), 22 (data exception:
 * a key that is not of the column's type). Everything else (08 connection, 53 resources, 57
 * shutdown or statement timeout, 40 serialization) may pass.
 */
function isPermanent(code: string | undefined): boolean {
  return code !== undefined && (/^(28|42|22)/.test(code) || code === '3D000');
}

/**
 * A loader reading one row of one of `tables`: `args.table` names the table, `args.key` the key,
 * else the `{id}` (or `{key}`) placeholder of the pattern being warmed (`product:{id}`).
 */
export function postgresRowLoader(options: PostgresRowLoaderOptions): CustomLoader {
  const queries = new Map<string, string>();
  for (const [table, spec] of Object.entries(options.tables)) {
    const value = spec.valueColumn ? `t.${escapeIdentifier(spec.valueColumn)}` : 'to_jsonb(t)';
    queries.set(
      table,
      `SELECT ${value} AS value FROM ${escapeIdentifier(table)} AS t WHERE t.${escapeIdentifier(spec.keyColumn)} = $1 LIMIT 1`,
    );
  }
  const known = [...queries.keys()].join(', ');
  return async (args, context) => {
    const table = args.table;
    const text = typeof table === 'string' ? queries.get(table) : undefined;
    if (text === undefined || typeof table !== 'string')
      throw ApplicationFailure.nonRetryable(
        `args.table must be one of the tables this worker reads (${known}), got ${JSON.stringify(table) ?? 'nothing'}`,
        PostgresFailureTypes.badInput,
      );
    const key = args.key ?? context.vars.id ?? context.vars.key;
    if (typeof key !== 'string' || key === '')
      throw ApplicationFailure.nonRetryable(
        'args.key must be a non-empty string (or warm through a pattern with an {id} placeholder)',
        PostgresFailureTypes.badInput,
      );
    const result = await query(options.pool, text, [key], context);
    const row = result.rows[0] as { value: unknown } | undefined;
    if (!row)
      throw ApplicationFailure.nonRetryable(
        `no row in ${table} with ${options.tables[table]?.keyColumn} ${JSON.stringify(key)}`,
        PostgresFailureTypes.rowNotFound,
      );
    // A SQL NULL column would store the text "null": refuse it like a missing row.
    if (row.value === null)
      throw ApplicationFailure.nonRetryable(
        `${table} ${JSON.stringify(key)} has no value (NULL)`,
        PostgresFailureTypes.rowNotFound,
      );
    return row.value;
  };
}

/**
 * Runs one query on a pooled connection. When the load is cancelled or times out, the connection
 * is destroyed (node-postgres has no per-query abort), so the load ends at once.
 */
async function query(pool: Pool, text: string, values: unknown[], context: LoaderContext): Promise<QueryResult> {
  const { signal } = context;
  signal.throwIfAborted();
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw classify(err);
  }
  let released = false;
  const release = (destroy?: Error) => {
    if (released) return;
    released = true;
    client.release(destroy);
  };
  const onAbort = () => release(new Error('load aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await client.query(text, values);
  } catch (err) {
    if (signal.aborted) throw new Error(`postgres: query abandoned: ${String(signal.reason)}`);
    // A server error leaves the connection usable; anything else may have broken it.
    if (!(err instanceof DatabaseError)) release(err instanceof Error ? err : new Error(String(err)));
    throw classify(err);
  } finally {
    signal.removeEventListener('abort', onAbort);
    release();
  }
}

/**
 * A permanent database refusal as a non-retryable failure naming its SQLSTATE; anything else as
 * an error (retried) that says it came from postgres.
 */
function classify(err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof DatabaseError && isPermanent(err.code))
    return ApplicationFailure.nonRetryable(
      `postgres: ${err.message} (SQLSTATE ${err.code})`,
      PostgresFailureTypes.databaseRefused,
    );
  return new Error(`postgres: ${postgresErrorMessage(err)}`, { cause: err });
}

/** Whether an error (from a query or a connection) is a refusal that no retry will change. */
export function isPermanentPostgresError(err: unknown): err is DatabaseError {
  return err instanceof DatabaseError && isPermanent(err.code);
}

/**
 * One line for any error node-postgres throws: its message and SQLSTATE, or for a connection that
 * failed on every address (an AggregateError, whose own message is empty) each address's reason.
 */
export function postgresErrorMessage(err: unknown): string {
  if (err instanceof DatabaseError) return `${err.message} (SQLSTATE ${err.code})`;
  // Duck-typed: Node's own errors may come from another realm (a test runner's sandbox).
  const { message, code, errors } = (typeof err === 'object' && err !== null ? err : {}) as {
    message?: unknown;
    code?: unknown;
    errors?: unknown;
  };
  if (message === '' && Array.isArray(errors) && errors.length > 0)
    return [...new Set(errors.map((inner: unknown) => postgresErrorMessage(inner)))].join('; ');
  if (typeof message === 'string' && message !== '') return message;
  if (typeof code === 'string') return code;
  return String(err);
}
