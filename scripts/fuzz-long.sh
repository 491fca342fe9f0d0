#!/usr/bin/env bash
# Run the model-based fuzzer (tests/fuzz_model) for a long time, over every
# backend, with a fresh seed each run, and keep the report of every run that
# finds a violation.
#
#   scripts/fuzz-long.sh [--minutes N] [--run-seconds S] [backend ...]
#     --minutes N       total wall time (default 30), shared by the backends
#     --run-seconds S   length of one run, one seed (default 20)
#     backend           uffd-async, uffd-sync, mprotect (default: all three)
# Environment: BUILD (build dir, default build), OUT (where failing runs'
# reports go, default $BUILD/fuzz-long), FUZZ_SKIP_OPS (passed on: leave out
# operations that hit a bug under repair, e.g. FUZZ_SKIP_OPS=munmap,replace).
# A backend this machine lacks is reported once and left out.  Each failing
# run is saved as $OUT/<backend>-<seed>.log; its last line replays it.
# Exit 0 when no run found a violation, 1 otherwise, 2 on bad usage.
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
out=${OUT:-$build/fuzz-long}
bin=$build/tests/fuzz_model
minutes=30 run_s=20
backends=()

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) [ $# -ge 2 ] || usage; minutes=$2; shift 2 ;;
	--run-seconds) [ $# -ge 2 ] || usage; run_s=$2; shift 2 ;;
	uffd-async|uffd-sync|mprotect) backends+=("$1"); shift ;;
	-h|--help) usage ;;
	*) echo "fuzz-long.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
case $minutes$run_s in *[!0-9]*|'') echo "fuzz-long.sh: --minutes and --run-seconds take whole numbers" >&2; exit 2 ;; esac
[ ${#backends[@]} -gt 0 ] || backends=(uffd-async uffd-sync mprotect)
if [ ! -x "$bin" ]; then
	echo "fuzz-long.sh: $bin is not built (run: make BUILD=$build)" >&2
	exit 2
fi
mkdir -p "$out"

# A fresh seed per run, from the kernel's random pool.
new_seed() { od -An -N8 -tu8 /dev/urandom | tr -d ' '; }

end=$(( $(date +%s) + minutes * 60 ))
runs=0 failed=0 usable=()
for b in "${backends[@]}"; do
	log=$(mktemp)
	FUZZ_SECONDS=1 WRITEWATCH_BACKEND=$b "$bin" >"$log" 2>&1
	case $? in
	0) usable+=("$b") ;;
	77) echo "skip $b: $(grep -m1 SKIP "$log" | sed 's/^SKIP: //')" ;;
	*) usable+=("$b") ;;        # a violation already: the runs below find it again
	esac
	rm -f "$log"
done
[ ${#usable[@]} -gt 0 ] || { echo "fuzz-long.sh: no backend usable here" >&2; exit 1; }

while [ "$(date +%s)" -lt "$end" ]; do
	for b in "${usable[@]}"; do
		seed=$(new_seed)
		log=$out/$b-$seed.log
		FUZZ_SEED=$seed FUZZ_SECONDS=$run_s WRITEWATCH_BACKEND=$b \
			timeout -k 5 $((run_s + 120)) "$bin" >"$log" 2>&1
		rc=$?
		runs=$((runs + 1))
		if [ $rc = 0 ]; then
			rm -f "$log"
			continue
		fi
		failed=$((failed + 1))
		[ $rc = 124 ] && echo "timed out after $((run_s + 120)) s" >>"$log"
		echo "FAIL $b seed=$seed (exit $rc): $(grep -m1 VIOLATION "$log" || tail -n 1 "$log")"
		echo "     $log"
		[ "$(date +%s)" -lt "$end" ] || break
	done
done
echo "$runs runs, $failed with a violation${FUZZ_SKIP_OPS:+ (skipped ops: $FUZZ_SKIP_OPS)}"
[ $failed -eq 0 ]
