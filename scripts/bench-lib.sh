# Shared by scripts/bench, scripts/bench-upgrade and scripts/bench-serve (sourced, not
# run): the release build, a local control plane on fd 3 (stopped when fd 3 closes),
# seeding N Ready stores, and the fleet-upgrade and hostile-clients sections of
# docs/performance.md. Expects $repo; sets $storectl, and $work must be set before
# start_cluster.

say() { echo "bench: $*" >&2; }
now_ms() { date +%s%3N; }

# BENCH_SKIP_BUILD=1 takes the builds already in target/ as they are (a commit alone
# rebuilds storectl: the binary names its commit, and fat LTO takes minutes).
build_release() {
  say "building storectl (release) and the control plane tool"
  if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    cargo build --quiet --release -p storectl
    # The node simulator optimized too: built for debugging, at 10,000 stores it fell
    # behind the seeding's watch events, and its relists of 30,000 pods as JSON outran
    # the API server's 60 s timeout again and again, a core busy through every figure.
    cargo build --quiet --release -p storectl-devcluster
  fi
  target=$(cargo metadata --no-deps --format-version 1 --manifest-path "$repo/Cargo.toml" |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  storectl=$target/release/storectl
}

cluster_pid=""
start_cluster() {
  exec 3> >(exec "$target/release/storectl-devcluster" up --exit-with-stdin --dir "$work/cluster" \
    >"$work/ready" 2>"$work/control-plane.log")
  cluster_pid=$!
  for _ in $(seq 1 180); do
    grep -q '^KUBECONFIG=' "$work/ready" 2>/dev/null && break
    kill -0 "$cluster_pid" 2>/dev/null || { cat "$work/control-plane.log" >&2; exit 1; }
    sleep 0.5
  done
  export KUBECONFIG=$work/cluster/kubeconfig
}
stop_cluster() {
  exec 3>&- || true
  [ -n "$cluster_pid" ] && wait "$cluster_pid" 2>/dev/null || true
  rm -rf "$work/cluster" "$work/ready"
}

count_ready() { "$storectl" list -o json | grep -c '"status": "Ready"' || true; }

# Creates stores s0001..sN, 8 at a time, and waits until all are Ready.
seed() {
  local n=$1
  say "seeding $n stores"
  seq -f "s%04g" 1 "$n" | xargs -P 8 -I{} "$storectl" create {} >/dev/null
  local deadline=$(( $(date +%s) + 1800 ))
  while [ "$(count_ready)" -lt "$n" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { say "stores did not all become Ready"; exit 1; }
    sleep 5
  done
  say "$n stores Ready"
}

# scripts/bench-seed, built with the machine's Go (standard library only).
build_seeder() {
  local go
  go=$(command -v go || echo /usr/local/go/bin/go)
  (cd "$repo/scripts/bench-seed" && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go" build -o "$work/bench-seed" .)
}

ready_within() { # n, timeout seconds: whether storectl lists n Ready stores in time
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(count_ready)" -lt "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 5
  done
}
waited_ready() { # n, timeout seconds: waits until storectl lists n Ready stores
  ready_within "$@" || { say "stores did not all become Ready"; exit 1; }
}

# A controller that sees a copied ReplicaSet (or Deployment) before the pod (or
# ReplicaSet) it owns, each kind coming on its own watch, makes one more, which never
# becomes ready where the copies have no Services: at 10,000 copies 9 stores were caught.
# Each store the copy made ($2 the template's name, $3 the name format) that is not Ready
# loses the pods and ReplicaSets the template does not have (removed at once) and is
# copied again; prints how many stores were mended.
mend_copies() {
  local template=$1 format=$2 keep store number kind object mended=0
  keep=$(jq -r '.[].key | @base64d' "$work/etcd-template.json" |
    sed -n 's#^/registry/\(pods\|replicasets\)/[^/]*/##p')
  for store in $("$storectl" list -o json | jq -r '.[] | select(.status != "Ready") | .name'); do
    for kind in pods replicasets; do
      for object in $(kubectl -n "store-$store" get "$kind" -o name | sed 's#^[^/]*/##'); do
        grep -qx "${object/$store/$template}" <<<"$keep" ||
          kubectl -n "store-$store" delete "$kind" "$object" --grace-period=0 --force >/dev/null 2>&1
      done
    done
    number=$(( 10#${store#s} ))
    "$work/bench-seed" -etcd "$(etcd_url)" -name "$template" -template "$work/etcd-template.json" \
      -format "$format" -from "$number" -to "$number" -parallel 1 >/dev/null
    mended=$(( mended + 1 ))
  done
  echo "$mended"
}

# The etcd of the running control plane (its client URL, from kube-apiserver's flags).
etcd_url() {
  ps -eo args | grep -F -- "--cert-dir=$work/cluster/certs" | grep -o -- '--etcd-servers=[^ ]*' | head -1 | cut -d= -f2
}

# The template of the etcd copies: store $1 made Ready by storectl on a control plane
# of its own (every controller on), read from its etcd (scripts/bench-seed -etcd
# -capture: events and cluster IP objects left out, and the Services with their
# Endpoints unless $2 = services) into $work/etcd-template.json; that control plane
# stopped again.
capture_store() {
  start_cluster
  "$storectl" create "$1" --wait >/dev/null
  sleep 5 # its setup Job's pod finished, the Deployments' conditions settled
  "$work/bench-seed" -etcd "$(etcd_url)" -name "$1" -capture "$work/etcd-template.json" \
    $( [ "${2:-}" = services ] && echo -services) >&2
  stop_cluster
}

# Stores 1..$1 (names of format $3; $2 the template's) copied from the template into the
# running control plane's etcd (scripts/bench-seed -etcd: names and uids substituted);
# prints bench-seed's "written=N failed=0 seconds=S".
copy_store() {
  "$work/bench-seed" -etcd "$(etcd_url)" -name "$2" -template "$work/etcd-template.json" \
    -format "$3" -from 1 -to "$1" -parallel 8
}

# The control plane the copies go to runs only the two controllers that act on a fleet at
# rest (the status-change figure scales a Deployment, and its ReplicaSet follows): the
# others hold an informer of every kind they watch (the garbage collector of every kind,
# the quota controller of pods and claims) and, at 10,000 stores, about 5 GB that the API
# server needs; the volume binder would even mark a copied claim Lost when it sees it
# before its volume. Every copy is bound, scheduled and at rest already.
BULK_CONTROLLERS="deployment-controller,replicaset-controller"

# A fleet that changes (scripts/bench-upgrade's rollouts: new ReplicaSets, pods, database
# upgrade Jobs, endpoints) needs every controller but the volume binder.
UPGRADE_CONTROLLERS="*,-node-ipam-controller,-persistentvolume-attach-detach-controller,-persistentvolume-binder-controller"

# The simulated runners of the bulk tier renew their report Lease every 300 s, the real
# runner's interval when nothing changed (the simulator's 30 s would be 333 writes a
# second at 10,000 stores).
BULK_REPORT_EVERY_SECS=300

UPGRADE_BEGIN="<!-- fleet upgrade: written by scripts/bench-upgrade -->"
UPGRADE_END="<!-- end of fleet upgrade -->"
# The fleet-upgrade section of the file $1 (with its markers), if it has one.
upgrade_section() {
  [ -f "$1" ] || return 0
  awk -v b="$UPGRADE_BEGIN" -v e="$UPGRADE_END" '$0 == b {on=1} on {print} $0 == e {on=0}' "$1"
}

DASHBOARD_BEGIN="<!-- dashboard: measured by tests/dashboard.rs -->"
DASHBOARD_END="<!-- end of dashboard -->"
# The dashboard's section of the file $1 (with its markers), if it has one.
dashboard_section() {
  [ -f "$1" ] || return 0
  awk -v b="$DASHBOARD_BEGIN" -v e="$DASHBOARD_END" '$0 == b {on=1} on {print} $0 == e {on=0}' "$1"
}

HAND_BEGIN="<!-- written by hand: kept as it is by scripts/bench -->"
HAND_END="<!-- end of what is written by hand -->"
# The runs written up by hand in the file $1 (with their markers), if it has them.
hand_section() {
  [ -f "$1" ] || return 0
  awk -v b="$HAND_BEGIN" -v e="$HAND_END" '$0 == b {on=1} on {print} $0 == e {on=0}' "$1"
}

HOSTILE_BEGIN="<!-- hostile clients: written by scripts/bench-serve -->"
HOSTILE_END="<!-- end of hostile clients -->"
# The hostile-clients section of the file $1 (with its markers), if it has one.
hostile_section() {
  [ -f "$1" ] || return 0
  awk -v b="$HOSTILE_BEGIN" -v e="$HOSTILE_END" '$0 == b {on=1} on {print} $0 == e {on=0}' "$1"
}
