#!/usr/bin/env bash
# Restore a dump made by backup.sh into an EMPTY database (create it first with createdb).
# Usage: deploy/restore.sh DUMP_FILE TARGET_DATABASE_URL
set -euo pipefail
dump="${1:?DUMP_FILE}"
url="${2:?TARGET_DATABASE_URL}"
pg_restore --exit-on-error --no-owner --no-privileges --single-transaction --dbname="$url" "$dump"
echo "restored $dump"
