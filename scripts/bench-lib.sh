# Shared by scripts/bench, scripts/bench-upgrade and scripts/bench-serve (sourced, not
# run): the release build, a local control plane on fd 3 (stopped when fd 3 closes),
# seeding N Ready stores, and the fleet-upgrade and hostile-clients sections of
# docs/performance.md. Expects $repo; sets $storectl, and $work must be set before
# start_cluster.

say() { echo "bench: $*" >&2; }
now_ms() { date +%s%3N; }

build_release() {
  say "building storectl (release) and the control plane tool"
  cargo build --quiet --release -p storectl
  cargo build --quiet -p storectl-devcluster
  target=$(cargo metadata --no-deps --format-version 1 --manifest-path "$repo/Cargo.toml" |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  storectl=$target/release/storectl
}

cluster_pid=""
start_cluster() {
  exec 3> >(exec "$target/debug/storectl-devcluster" up --exit-with-stdin --dir "$work/cluster" \
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

# The template of the bulk seeders: store s0001 made by `storectl create --wait` on the
# running control plane (all controllers on), then its objects as storectl applies them
# (\`storectl render\`), its revision, and with $1 = status what the control plane made
# of it (the statuses of its Deployments, setup Job and claims, its two running pods).
make_template() {
  "$storectl" create s0001 --wait >/dev/null
  sleep 3 # the Deployments' Progressing conditions settle (NewReplicaSetAvailable)
  kubectl get configmaps,deployments,jobs,persistentvolumeclaims,pods -n store-s0001 -o json >"$work/s0001.json"
  "$storectl" render s0001 --show-secrets |
    python3 "$repo/scripts/bench-seed/template.py" "$work/s0001.json" "${1:-}" >"$work/template.json"
}

# POSTs/applies stores s$2..s$3 from the template straight to the API server of
# $KUBECONFIG (scripts/bench-seed, 64 stores at a time); prints "written=N failed=N
# seconds=S".
copy_stores() {
  local server ca="$work/seed-ca.crt"
  server=$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
  kubectl config view --raw --minify -o jsonpath='{.users[0].user.token}' >"$work/seed-token"
  kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$ca"
  [ -s "$ca" ] || cp "$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')" "$ca"
  "$work/bench-seed" -server "$server" -token-file "$work/seed-token" -ca "$ca" \
    -template "$work/template.json" -name s0001 -from "$2" -to "$3" -parallel 64 "${@:4}"
}

waited_ready() { # n, timeout seconds: waits until storectl lists n Ready stores
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(count_ready)" -lt "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { say "stores did not all become Ready"; exit 1; }
    sleep 5
  done
}

# Seeds s0001..sN on the running control plane (all controllers on) the quicker way:
# s0001 by storectl, the rest its copies written by scripts/bench-seed; the controller
# manager and the node simulator then do for each what they do for a store storectl
# made (ReplicaSets, pods, volumes, the setup Job's run). For scripts/bench-upgrade's
# larger fleets.
seed_copies() {
  local n=$1
  say "seeding $n stores: s0001 by storectl, s0002..s$n its copies by scripts/bench-seed"
  build_seeder
  make_template
  local t; t=$(now_ms)
  copy_stores "$n" 2 "$n" >&2
  waited_ready "$n" 3600
  say "$n stores Ready in $(( $(now_ms) - t )) ms"
}

# The control plane of the bulk tier (scripts/bench, N >= $BENCH_BULK_FROM): the
# controllers that would rebuild what scripts/bench-seed writes itself are off
# (deployment, replicaset, job, persistentvolume-binder), the rest run (namespaces,
# service accounts and root CA ConfigMaps, quotas, endpoints, garbage collector, ...);
# the simulated runners renew their report Lease every 300 s, the real runner's
# default when nothing changed (the simulator's 30 s would be 333 writes a second).
BULK_CONTROLLERS="*,-node-ipam-controller,-persistentvolume-attach-detach-controller,-deployment-controller,-replicaset-controller,-job-controller,-persistentvolume-binder-controller"
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

HOSTILE_BEGIN="<!-- hostile clients: written by scripts/bench-serve -->"
HOSTILE_END="<!-- end of hostile clients -->"
# The hostile-clients section of the file $1 (with its markers), if it has one.
hostile_section() {
  [ -f "$1" ] || return 0
  awk -v b="$HOSTILE_BEGIN" -v e="$HOSTILE_END" '$0 == b {on=1} on {print} $0 == e {on=0}' "$1"
}
