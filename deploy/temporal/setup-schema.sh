#!/bin/sh
# One-shot, before the Temporal server starts: creates Temporal's two PostgreSQL databases and
# brings their schemas up to the version this admin-tools image ships. Safe to re-run.
set -eu

: "${SQL_HOST:=postgresql}"
: "${SQL_PORT:=5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

tries=0
until nc -z "$SQL_HOST" "$SQL_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "PostgreSQL at $SQL_HOST:$SQL_PORT did not accept connections within 60 s" >&2
    exit 1
  fi
  sleep 1
done

for db in temporal temporal_visibility; do
  # The postgres image already creates a database named after POSTGRES_USER, and a re-run finds
  # both: "already exists" is expected. A real failure surfaces in setup-schema right after.
  temporal-sql-tool --db "$db" create || echo "database $db exists"
done

temporal-sql-tool --db temporal setup-schema -v 0.0
temporal-sql-tool --db temporal update-schema -d "$SCHEMA_ROOT/temporal/versioned"
temporal-sql-tool --db temporal_visibility setup-schema -v 0.0
temporal-sql-tool --db temporal_visibility update-schema -d "$SCHEMA_ROOT/visibility/versioned"
echo "Temporal schemas are up to date"
