# A clone's URLs rewritten from its source's (OLD_URL) to its own (NEW_URL) with
# `wp search-replace`, once restore.sh has put the source's backup in. It runs in a
# container of its own, after the restore, holding no backup credentials (only the
# store's own database login, which wp-config.php reads anyway), and with plugins and
# themes not loaded: the PHP a clone brings along never runs next to the target's keys.
# Prints its result as one JSON line.
set -eu
umask 077
: "${RESULT:=/dev/termination-log}"
cd "${WP_ROOT:-/var/www/html}"
if ! wp search-replace "$OLD_URL" "$NEW_URL" --all-tables --skip-columns=guid \
  --report-changed-only --skip-plugins --skip-themes; then
  echo "error: rewriting the URLs from $OLD_URL to $NEW_URL failed" >&2
  printf '{"error":"rewriting the URLs from %s to %s failed"}\n' "$OLD_URL" "$NEW_URL" >"$RESULT"
  exit 1
fi
printf '{"rewritten":"%s"}\n' "$NEW_URL" | tee "$RESULT"
