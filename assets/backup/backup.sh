# storectl's backup of one store: MySQL dumped with --single-transaction (a consistent
# snapshot while WordPress keeps running) and wp-content archived, each with its size and
# SHA-256, under a manifest naming the store, the backup format and the database schema
# versions; uploaded to <prefix><store>/<id>/ on the S3-compatible target, the manifest
# last (a backup without a manifest is incomplete). Then only the newest KEEP complete
# backups of the store stay (0: all). Prints its result as one JSON line.
# Also: STORE, BACKUP_ID (a scheduled run makes one from the time), KEEP,
# JOB_DEADLINE_SECONDS (how long a backup Job may run; see common.sh for the rest). The
# bucket exists: storectl makes it.

rm -rf "$WORK/out"
mkdir -p "$WORK/out"
# The tenant names its tables and writes its options: what goes into the manifest and
# the result is only what a table prefix (as WordPress allows it) and a version are made
# of, so a quote in them cannot add a key to the JSON.
prefix=$(db -N -B -e "SELECT SUBSTRING(table_name, 1, LENGTH(table_name) - 7) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name REGEXP '^[A-Za-z0-9_]+_options\$' LIMIT 1" "$WORDPRESS_DB_NAME") ||
  fail "cannot connect to the database $WORDPRESS_DB_NAME at $WORDPRESS_DB_HOST"
[ -n "$prefix" ] || fail "database $WORDPRESS_DB_NAME has no WordPress options table: nothing to back up"
case $prefix in *[!A-Za-z0-9_]*) fail "database $WORDPRESS_DB_NAME: no usable table prefix" ;; esac
option() { db -N -B -e "SELECT option_value FROM ${prefix}options WHERE option_name = '$1'" "$WORDPRESS_DB_NAME"; }
version_text() { printf '%s' "$1" | LC_ALL=C tr -cd 'A-Za-z0-9.+_-' | head -c 40; }
wp_db_version=$(option db_version)
wc_db_version=$(option woocommerce_db_version)
wp_db_version=$(printf '%s' "$wp_db_version" | tr -cd '0-9' | head -c 20)
wc_db_version=$(version_text "$wc_db_version")

mysqldump --defaults-extra-file="$WORK/client.cnf" --single-transaction --quick \
  --routines --triggers --no-tablespaces --default-character-set=utf8mb4 \
  "$WORDPRESS_DB_NAME" >"$WORK/out/database.sql" || fail "mysqldump of $WORDPRESS_DB_NAME failed"
gzip -9 "$WORK/out/database.sql"
[ -d "$WP_ROOT/wp-content" ] || fail "$WP_ROOT/wp-content does not exist"
tar -C "$WP_ROOT" -czf "$WORK/out/wp-content.tar.gz" wp-content || fail "archiving wp-content failed"

db_file=$WORK/out/database.sql.gz
files_file=$WORK/out/wp-content.tar.gz
printf '{"format":%s,"store":"%s","id":"%s","created":"%s","prefix":"%s","wordpress_db_version":"%s","woocommerce_db_version":"%s","database":{"file":"database.sql.gz","size":%s,"sha256":"%s"},"files":{"file":"wp-content.tar.gz","size":%s,"sha256":"%s"}}\n' \
  "$FORMAT" "$STORE" "$BACKUP_ID" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prefix" "$wp_db_version" "$wc_db_version" \
  "$(size "$db_file")" "$(sha256 "$db_file")" "$(size "$files_file")" "$(sha256 "$files_file")" >"$WORK/out/manifest.json"

s3 PUT "$(key "$STORE" "$BACKUP_ID" database.sql.gz)" "$db_file"
s3 PUT "$(key "$STORE" "$BACKUP_ID" wp-content.tar.gz)" "$files_file"
s3 PUT "$(key "$STORE" "$BACKUP_ID" manifest.json)" "$WORK/out/manifest.json"

# Retention: the oldest complete backups beyond KEEP go. Only complete backups (with a
# manifest) count, so failed runs never push a good backup out. An incomplete one older
# than a Job may run (JOB_DEADLINE_SECONDS) can no longer be finished by anyone: it goes
# too (never one that a run still in progress may be writing).
pruned=""
if [ "${KEEP:-0}" -gt 0 ]; then
  ids=$(complete_ids)
  count=$(printf '%s\n' "$ids" | grep -c . || true)
  for old in $(printf '%s\n' "$ids" | head -n $((count > KEEP ? count - KEEP : 0))); do
    remove_backup "$old"
    pruned="$pruned${pruned:+,}\"$old\""
  done
  if [ -n "${JOB_DEADLINE_SECONDS:-}" ]; then
    cutoff=$(date -u -d "@$(($(date +%s) - JOB_DEADLINE_SECONDS))" +%Y%m%d-%H%M%S)
    for partial in $(backup_ids); do
      case " $(printf '%s ' $ids) " in *" $partial "*) continue ;; esac
      older=$(printf '%s\n%s\n' "$partial" "$cutoff" | sort | head -n 1)
      if [ "$older" = "$partial" ] && [ "$partial" != "$cutoff" ]; then remove_backup "$partial"; fi
    done
  fi
fi

total=$(($(size "$db_file") + $(size "$files_file") + $(size "$WORK/out/manifest.json")))
printf '{"id":"%s","size":%s,"sha256":"%s","wordpress_db_version":"%s","location":"%s/%s","pruned":[%s]}\n' \
  "$BACKUP_ID" "$total" "$(sha256 "$WORK/out/manifest.json")" "$wp_db_version" "$S3_BUCKET" "$(key "$STORE" "$BACKUP_ID" '')" "$pruned" | tee "$RESULT"
rm -rf "$WORK/out"
