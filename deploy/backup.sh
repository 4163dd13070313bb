#!/usr/bin/env bash
# Back up the InquiryHub database: a compressed custom-format pg_dump, named by date and time.
# Usage: deploy/backup.sh DATABASE_URL BACKUP_DIR   (keeps the newest $KEEP dumps, default 30)
set -euo pipefail
url="${1:?DATABASE_URL}"
dir="${2:?BACKUP_DIR}"
keep="${KEEP:-30}"
mkdir -p "$dir"
file="$dir/inquiryhub-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$url"
mv "$file.partial" "$file"
ls -1t "$dir"/inquiryhub-*.dump | tail -n +"$((keep + 1))" | xargs -r rm --
echo "$file"
