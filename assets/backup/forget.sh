# storectl's removal of every backup of STORE from the target (`storectl delete
# --delete-backups`), each backup's manifest first. Also: STORE (see common.sh for the
# rest).

removed=""
for id in $(backup_ids); do
  remove_backup "$id"
  removed="$removed${removed:+,}\"$id\""
done
printf '{"removed":[%s]}\n' "$removed" | tee "$RESULT"
