#!/usr/bin/env bash
# Regression gate for CI (issue 8). See results/README.md, "Regression gates".
#
#   results/ci/gate.sh check     run the baseline's short suite now and gate it
#                                against results/baseline/baseline.json,
#                                normalised to the Raw TCP suite of each run
#   results/ci/gate.sh selftest  prove the gate works on this machine: two
#                                unchanged runs must pass, a run with a planted
#                                server slowdown must fail (exit 1)
#   results/ci/gate.sh refresh   write a new results/baseline/baseline.json
#
# Settings (environment): COUNT (runs per benchmark), TIME (-t), WARM (-w),
# MAX_REGRESSION (compare --max-regression), OUT (directory for the JSON and
# the comparison tables), BENCH (a built sockety-bench; default: build one),
# COMMIT (refresh: the commit to record when not run inside a git checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
if [ -z "${BENCH:-}" ]; then
  BENCH="$OUT/sockety-bench"
  go build -o "$BENCH" ./cmd/sockety-bench
fi

# The short suite: request/response benchmarks of Sockety and of the
# reference suite "Raw TCP (limit)", one client worker with 50 operations
# in flight on one connection (steadier on 2 cores than the defaults).
SUITE=(-f "raw tcp regular" -f "raw tcp short" -f "sockety regular" -f "sockety short" -e tls
       -c 1 -cc 50 -cn 1)
REFERENCE="Raw TCP"

run() { # run NAME [extra flags...]: one result file, tables in NAME.txt
  local name=$1; shift
  echo "-- sockety-bench ${SUITE[*]} -t $TIME -w $WARM --count $COUNT $* --json $OUT/$name.json"
  "$BENCH" "${SUITE[@]}" -t "$TIME" -w "$WARM" --count "$COUNT" --no-color "$@" \
    --json "$OUT/$name.json" >"$OUT/$name.txt" 2>"$OUT/$name.log"
}

gate() { # gate OLD NEW TABLE: prints the comparison, returns compare's exit status
  local status=0
  "$BENCH" compare --normalize "$REFERENCE" --max-regression "$MAX_REGRESSION" "$1" "$2" | tee "$3" || status=${PIPESTATUS[0]}
  return "$status"
}

case "$mode" in
check)
  COUNT=${COUNT:-6} TIME=${TIME:-500ms} WARM=${WARM:-200ms}
  MAX_REGRESSION=${MAX_REGRESSION:-"qps=25%,p50=40%,p99=100%"}
  run now
  status=0
  gate results/baseline/baseline.json "$OUT/now.json" "$OUT/compare.txt" || status=$?
  "$BENCH" compare --format markdown --normalize "$REFERENCE" --max-regression "$MAX_REGRESSION" \
    results/baseline/baseline.json "$OUT/now.json" >"$OUT/compare.md" || true
  echo "gate: exit $status (0 no regression, 1 regression, 2 inconclusive); files in $OUT"
  exit "$status"
  ;;
selftest)
  # Short form: small -t and --count. Generous thresholds, because the
  # planted slowdown is huge (every Sockety server message waits DELAY) while
  # unchanged runs on a busy 2-core CI machine still wobble.
  COUNT=${COUNT:-5} TIME=${TIME:-300ms} WARM=${WARM:-100ms} DELAY=${DELAY:-2ms}
  MAX_REGRESSION=${MAX_REGRESSION:-"qps=50%,p50=100%,p99=300%"}
  run unchanged-a
  run unchanged-b
  run planted --test-server-delay "$DELAY" --test-server-delay-suite Sockety
  fail=0
  echo "== unchanged vs unchanged: must not be flagged (exit 0)"
  status=0; gate "$OUT/unchanged-a.json" "$OUT/unchanged-b.json" "$OUT/unchanged.txt" || status=$?
  if [ "$status" -ne 0 ]; then echo "SELFTEST FAILED: unchanged runs gave exit $status"; fail=1; fi
  echo "== unchanged vs planted slowdown ($DELAY per Sockety server message): must be flagged (exit 1)"
  status=0; gate "$OUT/unchanged-a.json" "$OUT/planted.json" "$OUT/planted.txt" || status=$?
  if [ "$status" -ne 1 ]; then echo "SELFTEST FAILED: planted slowdown gave exit $status, want 1"; fail=1; fi
  if ! grep -q "^  Sockety / Regular response  *qps .*REGRESSION" "$OUT/planted.txt"; then
    echo "SELFTEST FAILED: Sockety Regular response QPS not flagged"; fail=1
  fi
  if grep -q "REGRESSION" "$OUT/unchanged.txt"; then echo "SELFTEST FAILED: a regression in unchanged runs"; fail=1; fi
  [ "$fail" -eq 0 ] && echo "gate selftest: OK (unchanged passes, planted slowdown fails)"
  exit "$fail"
  ;;
refresh)
  COUNT=${COUNT:-6} TIME=${TIME:-500ms} WARM=${WARM:-200ms}
  run baseline
  mkdir -p results/baseline
  cp "$OUT/baseline.json" results/baseline/baseline.json
  cp "$OUT/baseline.txt" results/baseline/baseline.txt
  {
    echo "Command (results/ci/gate.sh refresh):"
    echo "  sockety-bench ${SUITE[*]} -t $TIME -w $WARM --count $COUNT --json results/baseline/baseline.json"
    echo "Taken $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
    echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg); commit ${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
  } >results/baseline/ENVIRONMENT.txt
  cat results/baseline/ENVIRONMENT.txt
  ;;
*)
  echo "usage: results/ci/gate.sh check|selftest|refresh" >&2
  exit 2
  ;;
esac
