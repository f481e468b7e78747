-- The example's table and a least-privilege role for the worker (examples/postgres/README.md).
-- Run it once as the table's owner (`psql -f examples/postgres/schema.sql`), then give the role a
-- password: ALTER ROLE cw_reader PASSWORD '...'. test/integration/postgres-loader.test.ts runs it too.
CREATE TABLE IF NOT EXISTS products (
  id         text PRIMARY KEY,
  data       jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The worker only reads: SELECT on the tables its loader names, nothing else.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cw_reader') THEN
    CREATE ROLE cw_reader LOGIN;
  END IF;
END
$$;
GRANT SELECT ON products TO cw_reader;
