#!/usr/bin/env bash
# Run every test program, each under a timeout.
#   tests/run.sh [backend ...]     (default: uffd-async uffd-sync mprotect)
# A test runs once per backend given, except:
#   async_*     only on uffd-async      sync_*      only on uffd-sync
#   mprotect_*  only on mprotect        probe_*     once, WRITEWATCH_BACKEND unset
#   remote_*    once, WRITEWATCH_BACKEND unset (another process is tracked by
#               uffd-async only)
#   fuzz_*      on every backend, a short run with a fixed seed: FUZZ_SEED (default
#               20261203) and FUZZ_SECONDS (default 4) change it; a long run with
#               fresh seeds is scripts/fuzz-long.sh
# (each of those tests the behaviour of one backend, or of the choice itself).
# Environment: BUILD (build dir, default build), TEST_TIMEOUT (seconds, 180),
# TESTS (space-separated test names to run instead of all).
# Prints one line per run and ends with "N passed, N failed, N skipped".
# New BUG/WARNING/Oops lines in the kernel log during the run fail it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-build}
timeout_s=${TEST_TIMEOUT:-180}
backends=()
for a in "$@"; do
	case $a in
	uffd-async|uffd-sync|mprotect) backends+=("$a") ;;
	*) echo "run.sh: unknown backend '$a' (uffd-async, uffd-sync or mprotect)" >&2; exit 2 ;;
	esac
done
[ ${#backends[@]} -gt 0 ] || backends=(uffd-async uffd-sync mprotect)

if [ -n "${TESTS:-}" ]; then
	read -r -a names <<<"$TESTS"
else
	names=()
	for src in "$here"/*.c; do names+=("$(basename "$src" .c)"); done
fi

# Which backend a test belongs to ("" for every backend, "once" for one run).
owner() {
	case $1 in
	async_*) echo uffd-async ;;
	sync_*) echo uffd-sync ;;
	mprotect_*) echo mprotect ;;
	probe_*|remote_*) echo once ;;
	*) echo "" ;;
	esac
}

# The kernel log, when this user may read it (dmesg_restrict hides it otherwise).
klog_lines() { dmesg 2>/dev/null | wc -l; }
klog_ok=0
if dmesg >/dev/null 2>&1; then klog_ok=1; klog_start=$(klog_lines); fi

# The fuzzer in the suite: short, and the same operations every run (its first line names the seed).
export FUZZ_SEED=${FUZZ_SEED:-20261203} FUZZ_SECONDS=${FUZZ_SECONDS:-4}

pass=0 fail=0 skip=0
failed=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {   # label backend-env binary
	local label=$1 benv=$2 bin=$3 start rc secs
	start=$(date +%s.%N)
	if [ -n "$benv" ]; then
		WRITEWATCH_BACKEND=$benv timeout -k 5 "$timeout_s" "$bin" >"$log" 2>&1
	else
		env -u WRITEWATCH_BACKEND timeout -k 5 "$timeout_s" "$bin" >"$log" 2>&1
	fi
	rc=$?
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
	case $rc in
	0)  echo "PASS $label (${secs}s)"; pass=$((pass + 1)) ;;
	77) echo "SKIP $label: $(grep -m1 'SKIP' "$log" | sed 's/^SKIP: //')"
	    skip=$((skip + 1)) ;;
	*)  [ $rc = 124 ] && echo "  (timed out after ${timeout_s}s)"
	    echo "FAIL $label (exit $rc, ${secs}s)"; sed 's/^/    /' "$log" | tail -n 20
	    fail=$((fail + 1)); failed+=("$label") ;;
	esac
}

for name in "${names[@]}"; do
	bin="$build/tests/$name"
	if [ ! -x "$bin" ]; then
		echo "FAIL $name (not built)"
		fail=$((fail + 1)); failed+=("$name"); continue
	fi
	own=$(owner "$name")
	if [ "$own" = once ]; then
		run_one "$name" "" "$bin"
		continue
	fi
	for b in "${backends[@]}"; do
		[ -z "$own" ] || [ "$own" = "$b" ] || continue
		run_one "$b/$name" "$b" "$bin"
	done
done

if [ $klog_ok = 1 ]; then
	new=$(dmesg 2>/dev/null | tail -n +"$((klog_start + 1))" |
	      grep -E 'BUG:|WARNING:|Oops|general protection fault|Call Trace' || true)
	if [ -n "$new" ]; then
		echo "FAIL kernel log: new warnings during the run:"
		printf '%s\n' "$new" | head -n 20 | sed 's/^/    /'
		fail=$((fail + 1)); failed+=("kernel-log")
	fi
else
	echo "note: the kernel log is not readable by this user; it was not checked"
fi
[ $fail -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
