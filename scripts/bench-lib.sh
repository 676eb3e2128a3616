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
