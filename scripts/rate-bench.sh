#!/usr/bin/env bash
# The `writewatch rate` studies of BENCHMARKS.md, run and written by this
# script (never by hand):
#   rate-sampling  the QEMU-style page-sampling estimator (`rate --sample`)
#                  beside writewatch's exact figures on the known schedules
#                  of bench/rate_target (steady, bursty, hot, cold);
#   rate-cost      the slowdown of a write-heavy target (rate_target churn)
#                  tracked at 1, 10 and 100 Hz against its untracked run in
#                  the same invocation, and the controller's CPU.
# With --update both blocks of BENCHMARKS.md are replaced, and
# docs/rate-xz.svg (the README's picture) is redrawn from `xz` compressing
# a file.
#
#   scripts/rate-bench.sh [--update] [--quick]
# Environment: BUILD (default build), OUT (default $BUILD/rate-results), DOCS.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
out=${OUT:-$build/rate-results}
docs=${DOCS:-$here/docs}
tool=$build/writewatch
target=$build/bench/rate_target
update=0 quick=0
for arg in "$@"; do
	case $arg in
	--update) update=1 ;;
	--quick) quick=1 ;;
	-h|--help) sed -n '2,/^set/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "rate-bench.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
	esac
done
[ -x "$tool" ] && [ -x "$target" ] || { echo "rate-bench.sh: build first (make)" >&2; exit 1; }
mkdir -p "$out" "$docs"
secs=5; [ $quick = 1 ] && secs=1

# A field of a JSON line (numbers only): field NAME < line.
field() { sed -n "s/.*\"$1\": \([-0-9.e+]*\).*/\1/p" | head -n 1; }

# ---- sampling estimator against the exact figures ----
sampling() {
	local mode args f
	echo "| target | schedule | exact MiB/s | sampled MiB/s | mean error | worst interval |"
	echo "|---|---|---:|---:|---:|---:|"
	for mode in steady bursty hot cold; do
		case $mode in
		steady) args="--pages 65536 --rate 16384"; what="64 MiB, 16384 new pages/s" ;;
		bursty) args="--pages 65536 --burst 16384"; what="bursts of 64 MiB/4, 1 s apart" ;;
		hot) args="--pages 65536 --hot 2048 --rate 200000 --seconds $secs"
		     what="8 MiB of 256 MiB rewritten" ;;
		cold) args="--pages 262144"; what="one sweep over 1 GiB" ;;
		esac
		f=$out/sampling-$mode.jsonl
		# shellcheck disable=SC2086
		"$tool" rate --json --interval 1000 --sample 512 -- "$target" $mode $args \
			--wait-armed --wait-reset >"$f"
		# Per interval (the whole process, both ways): |sampled - exact| / exact.
		grep '^{"interval"' "$f" | awk -v what="$what" -v mode="$mode" '
			{ p = $0; sub(/.*"pages": /, "", p); sub(/,.*/, "", p)
			  s = $0; sub(/.*"sampled_pages": /, "", s); sub(/,.*/, "", s)
			  t = $0; sub(/.*"seconds": /, "", t); sub(/,.*/, "", t)
			  if (p + 0 == 0) next
			  n++; e += p / t; m += s / t; err = (s - p) / p; if (err < 0) err = -err
			  sum += err; if (err > worst) worst = err }
			END { if (!n) exit
			      printf "| %s | %s | %.1f | %.1f | %.0f%% | %.0f%% |\n", mode, what,
				      e / n * 4096 / 1048576, m / n * 4096 / 1048576, sum / n * 100, worst * 100 }'
	done
}

# ---- cost: churn untracked, then tracked at 1, 10, 100 Hz ----
cost() {
	local base hz f tp cpu
	base=$("$target" churn --pages 16384 --seconds "$secs" | tail -n 1 | field page_writes_per_s)
	echo "| tracking | target page writes/s | slowdown | controller CPU |"
	echo "|---|---:|---:|---:|"
	printf '| untracked | %.3g | 1.00x | - |\n' "$base"
	for hz in 1 10 100; do
		f=$out/cost-$hz.txt
		"$target" churn --pages 16384 --seconds "$secs" --wait-armed --wait-reset >"$f.target" &
		local pid=$!
		/usr/bin/time -f '%U %S %e' -o "$f.time" \
			"$tool" rate "$pid" --interval $((1000 / hz)) --json >"$f" || true
		wait "$pid"
		tp=$(tail -n 1 "$f.target" | field page_writes_per_s)
		cpu=$(awk '{ printf "%.1f", ($1 + $2) / $3 * 100 }' "$f.time")
		awk -v b="$base" -v t="$tp" -v hz="$hz" -v cpu="$cpu" \
			'BEGIN { printf "| %d Hz | %.3g | %.2fx | %s%% of a core |\n", hz, t, b / t, cpu }'
	done
}

load0=$(cut -d' ' -f1 /proc/loadavg)
{
	echo "Measured by \`scripts/rate-bench.sh\` on $(uname -r), $(nproc) cores, load $load0 at the start."
	echo
	sampling
	echo
	echo "Each row: \`writewatch rate --json --interval 1000 --sample 512 -- rate_target MODE ...\`;"
	echo "both figures cover the whole process, interval by interval; the error is"
	echo "|sampled - exact| / exact per interval with writes."
} >"$out/rate-sampling.block.md"
{
	echo "Target: \`rate_target churn --pages 16384 --seconds $secs\` (64 MiB written round and round);"
	echo "tracked: \`writewatch rate PID --interval MS --json\`; CPU of \`writewatch\` by \`/usr/bin/time\`."
	echo
	cost
} >"$out/rate-cost.block.md"
cat "$out/rate-sampling.block.md" "$out/rate-cost.block.md"

if [ $update = 1 ]; then
	head -c $((64 << 20)) /dev/urandom >"$out/xz-input"
	base64 "$out/xz-input" | head -c $((48 << 20)) >>"$out/xz-input"
	"$tool" rate --interval 100 --svg "$docs/rate-xz.svg" -- \
		xz -T1 -6 -c "$out/xz-input" >/dev/null 2>"$out/xz.log" || { cat "$out/xz.log" >&2; exit 1; }
	for name in rate-sampling rate-cost; do
		awk -v name="$name" -v file="$out/$name.block.md" '
			$0 == "<!-- BEGIN " name " -->" { print; while ((getline l < file) > 0) print l; skip = 1; next }
			$0 == "<!-- END " name " -->" { skip = 0 }
			!skip { print }' "$here/BENCHMARKS.md" >"$out/BENCHMARKS.md.new"
		mv "$out/BENCHMARKS.md.new" "$here/BENCHMARKS.md"
	done
fi
