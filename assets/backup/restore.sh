# storectl's restore: a backup of BACKUP_STORE (the store itself, or a clone's source)
# into STORE. Nothing is overwritten before every check passes: the manifest names
# BACKUP_STORE and a format this script reads; both files match their size and SHA-256;
# the backup's database schema is not newer than the WordPress on the volume. Then
# every table is dropped and the dump imported, wp-content replaced, and for a clone
# (OLD_URL and NEW_URL set) WordPress's URLs rewritten with `wp search-replace`.
# WordPress itself is stopped by storectl before this runs and started after.
# Also: STORE, BACKUP_STORE, BACKUP_ID (see common.sh for the rest).

: "${BACKUP_STORE:=$STORE}"
rm -rf "$WORK/in"
mkdir -p "$WORK/in"
s3 GET "$(key "$BACKUP_STORE" "$BACKUP_ID" manifest.json)" "$WORK/in/manifest.json"
manifest=$WORK/in/manifest.json
format=$(sed -n 's/.*"format":\([0-9]*\).*/\1/p' "$manifest")
[ "$format" = "$FORMAT" ] || fail "backup $BACKUP_ID has format '${format:-?}', this restore reads format $FORMAT"
owner=$(json_string "$manifest" store)
[ "$owner" = "$BACKUP_STORE" ] || fail "backup $BACKUP_ID is of store '$owner', not '$BACKUP_STORE': refusing to restore it"

backup_schema=$(json_string "$manifest" wordpress_db_version)
version_php=$WP_ROOT/wp-includes/version.php
if [ -f "$version_php" ]; then
  running_schema=$(sed -n 's/^\$wp_db_version = \([0-9]*\);.*/\1/p' "$version_php")
  if [ -n "$backup_schema" ] && [ -n "$running_schema" ] && [ "$backup_schema" -gt "$running_schema" ]; then
    fail "backup $BACKUP_ID comes from a newer WordPress (database schema $backup_schema) than store $STORE runs ($running_schema): upgrade the store first"
  fi
fi

# verify NAME FILE: size and SHA-256 as the manifest records them.
verify() {
  entry=$(sed -n "s/.*\"$1\":{\([^}]*\)}.*/\1/p" "$manifest")
  want_size=$(printf '%s' "$entry" | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
  want_sha=$(printf '%s' "$entry" | sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p')
  [ "$(size "$2")" = "$want_size" ] && [ "$(sha256 "$2")" = "$want_sha" ] ||
    fail "backup $BACKUP_ID: $(basename "$2") does not match its checksum: the backup is damaged; nothing was restored"
}
s3 GET "$(key "$BACKUP_STORE" "$BACKUP_ID" database.sql.gz)" "$WORK/in/database.sql.gz"
verify database "$WORK/in/database.sql.gz"
s3 GET "$(key "$BACKUP_STORE" "$BACKUP_ID" wp-content.tar.gz)" "$WORK/in/wp-content.tar.gz"
verify files "$WORK/in/wp-content.tar.gz"
gzip -t "$WORK/in/database.sql.gz" || fail "backup $BACKUP_ID: the database dump is not valid gzip"
mkdir -p "$WORK/in/files"
tar -C "$WORK/in/files" -xzf "$WORK/in/wp-content.tar.gz" || fail "backup $BACKUP_ID: the wp-content archive cannot be read"
[ -d "$WORK/in/files/wp-content" ] || fail "backup $BACKUP_ID: the archive holds no wp-content"

# Every check passed: from here on the store is overwritten.
tables=$(db -N -B -e "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()" "$WORDPRESS_DB_NAME") ||
  fail "cannot connect to the database $WORDPRESS_DB_NAME at $WORDPRESS_DB_HOST"
for table in $tables; do
  db -e "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE \`$table\`" "$WORDPRESS_DB_NAME"
done
gunzip -c "$WORK/in/database.sql.gz" | db "$WORDPRESS_DB_NAME" || fail "importing the database dump failed"
rm -rf "$WP_ROOT/wp-content.before-restore"
if [ -d "$WP_ROOT/wp-content" ]; then mv "$WP_ROOT/wp-content" "$WP_ROOT/wp-content.before-restore"; fi
mv "$WORK/in/files/wp-content" "$WP_ROOT/wp-content"
rm -rf "$WP_ROOT/wp-content.before-restore"

if [ -n "${OLD_URL:-}" ] && [ -n "${NEW_URL:-}" ] && [ "$OLD_URL" != "$NEW_URL" ]; then
  (cd "$WP_ROOT" && wp search-replace "$OLD_URL" "$NEW_URL" --all-tables --skip-columns=guid --report-changed-only) ||
    fail "rewriting the URLs from $OLD_URL to $NEW_URL failed"
fi
rm -rf "$WORK/in"
printf '{"restored":"%s","into":"%s","wordpress_db_version":"%s"}\n' "$BACKUP_ID" "$STORE" "$backup_schema" | tee "$RESULT"
