# storectl's per-store access on the zero-set-up target (versitygw with its internal IAM),
# run by a Job in the platform namespace, the only place the target's root key goes: the
# store's account (role user: it sees no bucket but its own), its bucket, owned by it,
# and the store's backups that earlier versions kept in the shared bucket moved into it
# (each copied, then removed, manifests first). Prints {"moved":N}.
# Environment: S3_ENDPOINT, S3_REGION (default us-east-1), AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY (the root key), STORE, STORE_ACCESS_KEY_ID and
# STORE_SECRET_ACCESS_KEY (the store's key), STORE_BUCKET, SHARED_BUCKET, FOLDER (the
# store's <prefix><store>/), WORK; RESULT (default /dev/termination-log).
set -eu
umask 077
: "${S3_REGION:=us-east-1}" "${RESULT:=/dev/termination-log}"

fail() {
  echo "error: $*" >&2
  printf '{"error":"%s"}\n' "$(printf '%s' "$*" | tr -d '"\\\000-\037' | head -c 3000)" >"$RESULT" 2>/dev/null || true
  exit 1
}

for var in S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY STORE STORE_ACCESS_KEY_ID \
  STORE_SECRET_ACCESS_KEY STORE_BUCKET SHARED_BUCKET FOLDER WORK; do
  eval "[ -n \"\${$var:-}\" ]" || fail "$var is not set"
done
mkdir -p "$WORK"
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$WORK/root.cfg"
trap 'rm -f "$WORK/root.cfg" "$WORK/account.xml"' EXIT
endpoint=${S3_ENDPOINT%/}

# call METHOD PATH [CURL ARGS]: the HTTP code; the answer in $WORK/response.
call() {
  method=$1 path=$2
  shift 2
  # A target that takes no connection within 30 s fails the call; the Job's deadline
  # bounds the rest (a copy is one request without a byte sent back until it is done).
  curl -sS --connect-timeout 30 -K "$WORK/root.cfg" --aws-sigv4 "aws:amz:$S3_REGION:s3" -X "$method" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o "$WORK/response" -w '%{http_code}' \
    "$@" "$endpoint$path" || fail "cannot reach the backup target $S3_ENDPOINT"
}
why() { sed -n 's:.*<Code>\(.*\)</Code>.*:\1:p' "$WORK/response" | head -n 1; }
refused() { fail "the backup target refused to $1 for store $STORE (HTTP $2 $(why))"; }

# The account; one made earlier gets this key again. The secret goes in a 0600 file.
printf '<Account><Access>%s</Access><Secret>%s</Secret><Role>user</Role></Account>' \
  "$STORE_ACCESS_KEY_ID" "$STORE_SECRET_ACCESS_KEY" >"$WORK/account.xml"
code=$(call PATCH /create-user --data-binary @"$WORK/account.xml")
if [ "$code" = 409 ]; then
  printf '<Props><Secret>%s</Secret><Role>user</Role></Props>' "$STORE_SECRET_ACCESS_KEY" >"$WORK/account.xml"
  code=$(call PATCH "/update-user?access=$STORE_ACCESS_KEY_ID" --data-binary @"$WORK/account.xml")
fi
case $code in 2??) ;; *) refused "make the account" "$code" ;; esac

# The bucket, the account's alone.
code=$(call PATCH "/$STORE_BUCKET/create" -H "x-vgw-owner: $STORE_ACCESS_KEY_ID")
case $code in 2?? | 409) ;; *) refused "make bucket $STORE_BUCKET" "$code" ;; esac
code=$(call PATCH "/change-bucket-owner?bucket=$STORE_BUCKET&owner=$STORE_ACCESS_KEY_ID")
case $code in 2??) ;; *) refused "give bucket $STORE_BUCKET to its account" "$code" ;; esac

# Backups of earlier versions, in the shared bucket: listed a page at a time, each page
# copied, then removed (a page's manifests first, so a move cut short leaves no backup
# that looks complete without its files).
moved=0
while :; do
  code=$(call GET "/$SHARED_BUCKET?list-type=2&prefix=$(printf '%s' "$FOLDER" | sed 's:/:%2F:g')")
  case $code in
  2??) ;;
  404) break ;;
  *) refused "list $SHARED_BUCKET/$FOLDER" "$code" ;;
  esac
  keys=$(tr '>' '\n' <"$WORK/response" | sed -n 's:^\(.*\)</Key$:\1:p')
  [ -n "$keys" ] || break
  for key in $keys; do
    code=$(call PUT "/$STORE_BUCKET/$key" -H "x-amz-copy-source: /$SHARED_BUCKET/$key")
    case $code in 2??) ;; *) refused "copy $SHARED_BUCKET/$key" "$code" ;; esac
  done
  for key in $(printf '%s\n' "$keys" | grep '/manifest\.json$' || true) $(printf '%s\n' "$keys" | grep -v '/manifest\.json$' || true); do
    code=$(call DELETE "/$SHARED_BUCKET/$key")
    case $code in 2??) ;; *) refused "remove $SHARED_BUCKET/$key" "$code" ;; esac
  done
  moved=$((moved + $(printf '%s\n' "$keys" | grep -c '/manifest\.json$' || true)))
done
printf '{"moved":%s}\n' "$moved" | tee "$RESULT"
