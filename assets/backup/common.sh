# Shared by backup.sh and restore.sh (storectl puts it in front of each): settings from
# the environment, failing with one clear line, and the S3 requests (curl with SigV4; the
# payload's SHA-256 is sent, so the target checks what it stores).
#
# Environment: WORDPRESS_DB_HOST (host[:port]), WORDPRESS_DB_USER, WORDPRESS_DB_PASSWORD,
# WORDPRESS_DB_NAME; WP_ROOT (the folder holding wp-content: the WordPress volume's root
# in the Jobs; default /var/www/html); WP_CORE (WordPress core, whose schema version a
# restore checks: the image's in the Jobs; default WP_ROOT);
# S3_ENDPOINT (http(s)://host[:port]), S3_BUCKET, S3_PREFIX, S3_REGION (default
# us-east-1), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (the store's own key); PRESIGNED
# (optional, see s3); WORK (scratch folder);
# RESULT (where the one-line JSON result goes; default /dev/termination-log).
set -eu
umask 077
FORMAT=1
: "${WP_ROOT:=/var/www/html}" "${S3_REGION:=us-east-1}" "${S3_PREFIX:=}"
: "${WP_CORE:=$WP_ROOT}"
: "${RESULT:=/dev/termination-log}"

# A script's own clean-up before it reports a failure (restore.sh removes its side
# copies); it must not fail.
before_failing() { :; }

fail() {
  echo "error: $*" >&2
  before_failing
  # The result is JSON: quotes, backslashes and control characters (line breaks, escape
  # sequences) in the reason are dropped. "unchanged"
  # (restore.sh sets unchanged=true until it starts replacing anything) tells storectl
  # the store was left exactly as it was.
  printf '{"error":"%s"%s}\n' "$(printf '%s' "$*" | tr -d '"\\\000-\037' | head -c 3000)" \
    "$(if [ "${unchanged:-}" = true ]; then printf ',"unchanged":true'; fi)" >"$RESULT" 2>/dev/null || true
  exit 1
}

: "${BACKUP_ID:=$(date -u +%Y%m%d-%H%M%S)}"
for var in STORE BACKUP_ID WORDPRESS_DB_HOST WORDPRESS_DB_USER WORDPRESS_DB_PASSWORD \
  WORDPRESS_DB_NAME S3_ENDPOINT S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY WORK; do
  eval "[ -n \"\${$var:-}\" ]" || fail "$var is not set"
done
mkdir -p "$WORK"
# Secrets go to 0600 files, never to a command line (ps would show them).
db_host=${WORDPRESS_DB_HOST%%:*}
db_port=${WORDPRESS_DB_HOST#*:}
[ "$db_port" != "$WORDPRESS_DB_HOST" ] || db_port=3306
printf '[client]\nhost=%s\nport=%s\nuser=%s\npassword="%s"\n' \
  "$db_host" "$db_port" "$WORDPRESS_DB_USER" "$WORDPRESS_DB_PASSWORD" >"$WORK/client.cnf"
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$WORK/curl.cfg"
trap 'rm -f "$WORK/client.cnf" "$WORK/curl.cfg" "$WORK/get.cfg"' EXIT

db() { mysql --defaults-extra-file="$WORK/client.cnf" "$@"; }

sha256() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }

# A backup's objects live under <prefix><store>/<id>/.
key() { printf '%s%s/%s/%s' "$S3_PREFIX" "$1" "$2" "$3"; }

# s3 METHOD KEY [FILE]: PUT uploads FILE, GET downloads into FILE, DELETE removes KEY,
# LIST writes the listing of "folders" under the prefix KEY into FILE. A GET of a key
# PRESIGNED names (lines "KEY URL": another store's backup, which this store's key does
# not open) uses that URL instead of the key. Fails with the target's own error code on
# any answer but 2xx.
s3() {
  method=$1 object=$2 file=${3:-$WORK/response}
  url="${S3_ENDPOINT%/}/$S3_BUCKET/$object"
  body=$file
  sign="UNSIGNED-PAYLOAD"
  # A target that stops answering fails the request (no connection within 30 s, or
  # under 1 kB/s for 2 minutes) instead of hanging the Job until its deadline.
  set -- -sS -w '%{http_code}' --connect-timeout 30 --speed-limit 1024 --speed-time 120
  signed=""
  if [ "$method" = GET ]; then signed=$(presigned "$object"); fi
  if [ -n "$signed" ]; then
    # The URL is the credential: it goes to a 0600 file, like the key; a header it
    # does not sign would be refused.
    printf 'url = "%s"\n' "$signed" >"$WORK/get.cfg"
    set -- "$@" -K "$WORK/get.cfg"
    url="" sign=""
  else
    set -- "$@" -K "$WORK/curl.cfg" --aws-sigv4 "aws:amz:$S3_REGION:s3"
  fi
  case $method in
  PUT)
    sign=$(sha256 "$file")
    body=$WORK/response
    set -- "$@" -T "$file"
    ;;
  DELETE) set -- "$@" -X DELETE ;;
  LIST)
    # The query is sent encoded, as SigV4 signs it.
    url="${S3_ENDPOINT%/}/$S3_BUCKET?delimiter=%2F&list-type=2&prefix=$(printf '%s' "$object" | sed 's:/:%2F:g')"
    ;;
  esac
  code=$(curl "$@" -o "$body" ${sign:+-H} ${sign:+"x-amz-content-sha256: $sign"} ${url:+"$url"}) ||
    fail "cannot reach the backup target $S3_ENDPOINT"
  case $code in 2??) return 0 ;; esac
  why=$(sed -n 's:.*<Code>\(.*\)</Code>.*:\1:p' "$body" | head -n 1)
  case $code in
  401 | 403) fail "the backup target refused the credentials for bucket $S3_BUCKET (HTTP $code ${why:-Forbidden})" ;;
  404) fail "not found on the backup target: $S3_BUCKET/$object (${why:-NoSuchKey})" ;;
  *) fail "the backup target answered HTTP $code ${why:-} for $method $S3_BUCKET/$object" ;;
  esac
}

# The presigned URL PRESIGNED holds for key $1, if any.
presigned() { printf '%s\n' "${PRESIGNED:-}" | awk -v key="$1" '$1 == key { print $2; exit }'; }

# The ids of STORE's backups on the target, oldest first (ids sort by time): every
# folder, complete or not.
backup_ids() {
  folder="$S3_PREFIX$STORE/"
  s3 LIST "$folder" "$WORK/list.xml"
  tr '>' '\n' <"$WORK/list.xml" | sed -n "s:^$folder\([^/]*\)/</Prefix\$:\1:p" | sort
}

# The ids of STORE's complete backups (those with a manifest), oldest first.
complete_ids() {
  for id in $(backup_ids); do
    s3 LIST "$(key "$STORE" "$id" manifest.json)" "$WORK/manifest.xml"
    if grep -q "<Key>$(key "$STORE" "$id" manifest.json)</Key>" "$WORK/manifest.xml"; then echo "$id"; fi
  done
}

# Removes backup $1 of STORE: its manifest first, so one cut short is seen as incomplete.
remove_backup() {
  for name in manifest.json database.sql.gz wp-content.tar.gz; do
    s3 DELETE "$(key "$STORE" "$1" "$name")"
  done
}

# The value of a string key in the one-line JSON file $1.
json_string() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1"; }
