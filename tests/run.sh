#!/usr/bin/env bash
# Run every test program once per backend, each under a timeout.
#   tests/run.sh [backend ...]     (default: uffd-async uffd-sync mprotect)
# Environment: BUILD (build dir, default build), TEST_TIMEOUT (seconds, 180),
# TESTS (space-separated test names to run instead of all).
# Prints one line per run and ends with "N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-build}
timeout_s=${TEST_TIMEOUT:-180}
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(uffd-async uffd-sync mprotect)

if [ -n "${TESTS:-}" ]; then
	read -r -a names <<<"$TESTS"
else
	names=()
	for src in "$here"/*.c; do names+=("$(basename "$src" .c)"); done
fi

pass=0 fail=0 skip=0
failed=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for b in "${backends[@]}"; do
	for name in "${names[@]}"; do
		bin="$build/tests/$name"
		if [ ! -x "$bin" ]; then
			echo "FAIL $b/$name (not built)"
			fail=$((fail + 1)); failed+=("$b/$name"); continue
		fi
		start=$(date +%s.%N)
		WRITEWATCH_BACKEND=$b timeout -k 5 "$timeout_s" "$bin" >"$log" 2>&1
		rc=$?
		secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
		case $rc in
		0)  echo "PASS $b/$name (${secs}s)"; pass=$((pass + 1)) ;;
		77) echo "SKIP $b/$name: $(grep -m1 'SKIP' "$log" | sed 's/^SKIP: //')"
		    skip=$((skip + 1)) ;;
		*)  [ $rc = 124 ] && echo "  (timed out after ${timeout_s}s)"
		    echo "FAIL $b/$name (exit $rc, ${secs}s)"; sed 's/^/    /' "$log" | tail -n 20
		    fail=$((fail + 1)); failed+=("$b/$name") ;;
		esac
	done
done
[ $fail -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
