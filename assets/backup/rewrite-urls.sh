# A clone's URLs rewritten from its source's (OLD_URL) to its own (NEW_URL), once
# restore.sh has put the source's backup in: storectl's search-replace
# (assets/wordpress/storectl-search-replace.php, given as $1) with the store's own PHP,
# what `wp search-replace --all-tables --skip-columns=guid` does. It runs in a container
# of its own, after the restore, holding no backup credentials (only the store's own
# database login, which wp-config.php reads anyway), and loads no WordPress: the PHP a
# clone brings along (plugins, themes, must-use plugins) never runs next to the target's
# keys. Prints its result as one JSON line (and writes it to RESULT).
set -eu
umask 077
: "${RESULT:=/dev/termination-log}"
export RESULT
exec php -r "$1"
