# storectl's restore: a backup of BACKUP_STORE (the store itself, or a clone's source)
# into STORE, all or nothing. Nothing is touched before every check passes: the
# manifest names BACKUP_STORE and a format this script reads; both files match their
# size and SHA-256; the backup's database schema is not newer than the WordPress the
# store runs (WP_CORE: the image's core). Then the dump is imported into a side database (<db>_restore) and checked
# (every table there, the options table with a siteurl), and wp-content is unpacked
# into a side folder on the same volume. Only then are both swapped in: wp-content by
# renames, the tables by one atomic RENAME TABLE (the store's tables go to
# <db>_previous, the side tables take their place). A failure before the swap, or a
# swap that is refused, leaves the store's database and files exactly as they were and
# says so in the result ("unchanged":true). The previous tables and files are removed
# once the swap succeeded. Views are recreated from the backup after the swap; the
# store's stored routines are kept as they are.
# WordPress is stopped by storectl before this runs, and started again only if it
# succeeded or reports that it changed nothing. A clone's URLs are rewritten
# afterwards by another container, which holds no backup credentials.
# Also: STORE, BACKUP_STORE, BACKUP_ID, MYSQL_ROOT_PASSWORD (used for one statement:
# giving the store's user the side databases; see common.sh for the rest).

: "${BACKUP_STORE:=$STORE}"
[ -n "${MYSQL_ROOT_PASSWORD:-}" ] || fail "MYSQL_ROOT_PASSWORD is not set"
unchanged=true
live_db=$WORDPRESS_DB_NAME
side_db=${live_db}_restore
previous_db=${live_db}_previous
# Side folders on the WordPress volume, so that the swap is a rename.
side=$WP_ROOT/.storectl-restore
previous_files=$side/previous-wp-content

# Until the swap, a failure removes what this run made on the side.
before_failing() {
  if [ "$unchanged" = true ]; then
    db -e "DROP DATABASE IF EXISTS \`$side_db\`; DROP DATABASE IF EXISTS \`$previous_db\`" 2>/dev/null || true
    rm -rf "$side" 2>/dev/null || true
  fi
}
trap 'fail "restore of backup $BACKUP_ID interrupted"' INT TERM

rm -rf "$WORK/in"
mkdir -p "$WORK/in"
s3 GET "$(key "$BACKUP_STORE" "$BACKUP_ID" manifest.json)" "$WORK/in/manifest.json"
manifest=$WORK/in/manifest.json
format=$(sed -n 's/.*"format":\([0-9]*\).*/\1/p' "$manifest")
[ "$format" = "$FORMAT" ] || fail "backup $BACKUP_ID has format '${format:-?}', this restore reads format $FORMAT"
owner=$(json_string "$manifest" store)
[ "$owner" = "$BACKUP_STORE" ] || fail "backup $BACKUP_ID is of store '$owner', not '$BACKUP_STORE': refusing to restore it"
prefix=$(json_string "$manifest" prefix)
case $prefix in '' | *[!A-Za-z0-9_]*) fail "backup $BACKUP_ID names no usable table prefix ('$prefix')" ;; esac

backup_schema=$(json_string "$manifest" wordpress_db_version)
version_php=$WP_CORE/wp-includes/version.php
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
dump=$WORK/in/database.sql.gz
s3 GET "$(key "$BACKUP_STORE" "$BACKUP_ID" database.sql.gz)" "$dump"
verify database "$dump"
s3 GET "$(key "$BACKUP_STORE" "$BACKUP_ID" wp-content.tar.gz)" "$WORK/in/wp-content.tar.gz"
verify files "$WORK/in/wp-content.tar.gz"
gzip -t "$dump" 2>/dev/null || fail "backup $BACKUP_ID: the database dump is not valid gzip; nothing was restored"

# The side copies. Leftovers of an earlier run that was cut short are replaced (the
# store's own wp-content is put back first if that run had moved it aside).
if [ ! -d "$WP_ROOT/wp-content" ] && [ -d "$previous_files" ]; then
  mv "$previous_files" "$WP_ROOT/wp-content" || fail "cannot put back $previous_files"
fi
rm -rf "$side" || fail "cannot remove the leftovers in $side"
mkdir -p "$side" || fail "cannot make $side on the WordPress volume"
tar -C "$side" -xzf "$WORK/in/wp-content.tar.gz" 2>"$WORK/in/tar.err" ||
  fail "backup $BACKUP_ID: the wp-content archive cannot be unpacked ($(tail -n 1 "$WORK/in/tar.err")); nothing was restored"
[ -d "$side/wp-content" ] || fail "backup $BACKUP_ID: the archive holds no wp-content; nothing was restored"

account=$(db -N -B -e "SELECT CURRENT_USER()") ||
  fail "cannot connect to the database $live_db at $WORDPRESS_DB_HOST"
grant_to="'${account%@*}'@'${account##*@}'"
printf '[client_admin]\nuser=root\npassword="%s"\n' "$MYSQL_ROOT_PASSWORD" >>"$WORK/client.cnf"
like() { printf '%s' "$1" | sed 's/_/\\_/g'; }
mysql --defaults-extra-file="$WORK/client.cnf" --defaults-group-suffix=_admin -e \
  "GRANT ALL PRIVILEGES ON \`$(like "$side_db")\`.* TO $grant_to; GRANT ALL PRIVILEGES ON \`$(like "$previous_db")\`.* TO $grant_to" ||
  fail "cannot give $account the side databases $side_db and $previous_db (as root)"
db -e "DROP DATABASE IF EXISTS \`$side_db\`; DROP DATABASE IF EXISTS \`$previous_db\`; CREATE DATABASE \`$side_db\` CHARACTER SET utf8mb4; CREATE DATABASE \`$previous_db\` CHARACTER SET utf8mb4" ||
  fail "cannot make the side databases $side_db and $previous_db"

# The import, into the side database only.
{ gunzip -c "$dump" || touch "$WORK/in/gunzip.failed"; } | db "$side_db" 2>"$WORK/in/import.err" ||
  fail "backup $BACKUP_ID: importing the database dump failed ($(tail -n 1 "$WORK/in/import.err")); nothing was restored"
[ ! -e "$WORK/in/gunzip.failed" ] || fail "backup $BACKUP_ID: the database dump cannot be read; nothing was restored"

# base_tables DB: its tables (not views), one a line.
base_tables() {
  db -N -B -e "SELECT table_name FROM information_schema.tables WHERE table_schema = '$1' AND table_type = 'BASE TABLE'"
}
views() {
  db -N -B -e "SELECT table_name FROM information_schema.tables WHERE table_schema = '$1' AND table_type = 'VIEW'"
}
incoming=$(base_tables "$side_db") || fail "cannot list the imported tables"
expected=$(gunzip -c "$dump" | grep -c '^CREATE TABLE ' || true)
found=$(printf '%s\n' "$incoming" | grep -c . || true)
[ "$found" -gt 0 ] && [ "$found" = "$expected" ] ||
  fail "backup $BACKUP_ID: the import made $found of the dump's $expected tables; nothing was restored"
siteurl=$(db -N -B -e "SELECT option_value FROM \`$side_db\`.\`${prefix}options\` WHERE option_name = 'siteurl'" 2>/dev/null) || true
[ -n "$siteurl" ] || fail "backup $BACKUP_ID: the imported database has no ${prefix}options table with a siteurl; nothing was restored"
current=$(base_tables "$live_db") || fail "cannot list the tables of $live_db"
renames=""
for table in $current; do
  case $table in *[!A-Za-z0-9_-]*) fail "table '$table' of $live_db has a name this restore does not handle; nothing was restored" ;; esac
  renames="$renames, \`$live_db\`.\`$table\` TO \`$previous_db\`.\`$table\`"
done
for table in $incoming; do
  case $table in *[!A-Za-z0-9_-]*) fail "backup $BACKUP_ID: table '$table' has a name this restore does not handle; nothing was restored" ;; esac
  renames="$renames, \`$side_db\`.\`$table\` TO \`$live_db\`.\`$table\`"
done

# The swap: wp-content by two renames, then every table in one atomic RENAME TABLE. If
# that is refused, wp-content is put back and nothing has changed.
unchanged=false
if [ -d "$WP_ROOT/wp-content" ]; then
  mv "$WP_ROOT/wp-content" "$previous_files" || {
    unchanged=true
    fail "cannot move $WP_ROOT/wp-content aside; nothing was restored"
  }
fi
put_back_files() {
  rm -rf "$WP_ROOT/wp-content" && { [ ! -d "$previous_files" ] || mv "$previous_files" "$WP_ROOT/wp-content"; }
}
if ! mv "$side/wp-content" "$WP_ROOT/wp-content"; then
  put_back_files && unchanged=true
  fail "cannot move the restored wp-content into place; nothing was restored"
fi
if ! db -e "RENAME TABLE ${renames#, }" 2>"$WORK/in/rename.err"; then
  put_back_files && unchanged=true
  fail "backup $BACKUP_ID: swapping the tables in was refused ($(tail -n 1 "$WORK/in/rename.err")); nothing was restored"
fi

# Swapped: the backup's data is the store's. Views follow (the store's old ones go, the
# backup's are made again in the store's database, as the store's user).
for view in $(views "$live_db"); do
  db -e "DROP VIEW \`$live_db\`.\`$view\`" || fail "backup $BACKUP_ID restored, but the old view $view cannot be dropped"
done
for view in $(views "$side_db"); do
  # Its definition names the side database; the store's user becomes its definer; the
  # character set it was made with is kept.
  db -N -B -r -e "SHOW CREATE VIEW \`$view\`" "$side_db" >"$WORK/in/view" &&
    definition=$(cut -f 2 "$WORK/in/view" | sed -e 's/ DEFINER=[^ ]* / /' -e "s/\`$side_db\`\.//g") &&
    db -e "SET character_set_client = $(cut -f 3 "$WORK/in/view"); SET collation_connection = $(cut -f 4 "$WORK/in/view"); $definition" "$live_db" ||
    fail "backup $BACKUP_ID restored, but its view $view cannot be made"
done
db -e "DROP DATABASE \`$previous_db\`; DROP DATABASE \`$side_db\`" ||
  echo "warning: the side databases $side_db and $previous_db could not be removed" >&2
rm -rf "$side" || echo "warning: $side could not be removed" >&2

rm -rf "$WORK/in"
printf '{"restored":"%s","into":"%s","wordpress_db_version":"%s"}\n' "$BACKUP_ID" "$STORE" "$backup_schema" | tee "$RESULT"
