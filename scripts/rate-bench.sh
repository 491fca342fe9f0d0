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
#   scripts/rate-bench.sh [--update] [--quick] [--blocks-only] [--picture-only]
#     --blocks-only   no new measurement: --update from the blocks already in $OUT
#     --picture-only  redraw docs/rate-xz.svg only (no study, BENCHMARKS.md untouched)
# Environment: BUILD (default build), OUT (default $BUILD/rate-results), DOCS.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
out=${OUT:-$build/rate-results}
docs=${DOCS:-$here/docs}
tool=$build/writewatch
target=$build/bench/rate_target
update=0 quick=0 blocks_only=0 picture_only=0
for arg in "$@"; do
	case $arg in
	--update) update=1 ;;
	--quick) quick=1 ;;
	--blocks-only) blocks_only=1 ;;
	--picture-only) picture_only=1 ;;
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
	echo "| target | schedule | exact MiB/s | sampled MiB/s | run error | median interval error | worst interval |"
	echo "|---|---|---:|---:|---:|---:|---:|"
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
		grep '^{"t":' "$f" | awk -v what="$what" -v mode="$mode" '
			# The first of each (the mappings repeat "written_pages").
			function num(key,   i) { i = index($0, "\"" key "\":"); return substr($0, i + length(key) + 3) + 0 }
			{ p = num("written_pages"); s = num("sampled_pages"); t = num("dt")
			  if (p + 0 == 0) next
			  n++; e += p; m += s; secs += t; err[n] = (s > p ? s - p : p - s) / p }
			END { if (!n) exit
			      # The median interval error (insertion sort: a few dozen intervals).
			      for (i = 2; i <= n; i++) for (j = i; j > 1 && err[j - 1] > err[j]; j--) {
				      x = err[j]; err[j] = err[j - 1]; err[j - 1] = x }
			      med = n % 2 ? err[(n + 1) / 2] : (err[n / 2] + err[n / 2 + 1]) / 2
			      printf "| %s | %s | %.1f | %.1f | %+.0f%% | %.0f%% | %.0f%% |\n", mode, what,
				      e / secs * 4096 / 1048576, m / secs * 4096 / 1048576,
				      (m - e) / e * 100, med * 100, err[n] * 100 }'
	done
}

# ---- cost: churn untracked, then tracked at 1, 10, 100 Hz, in interleaved rounds ----
churn() { "$target" churn --pages 16384 --seconds "$secs" "$@" | tail -n 1 | field page_writes_per_s; }

tracked() {     # hz round: the target's page writes/s; the controller's CPU into $out
	local f=$out/cost-$1-$2
	"$target" churn --pages 16384 --seconds "$secs" --wait-armed --wait-reset >"$f.target" &
	local pid=$!
	/usr/bin/time -f '%U %S %e' -o "$f.time" \
		"$tool" rate "$pid" --interval $((1000 / $1)) --json >"$f.json" || true
	wait "$pid"
	tail -n 1 "$f.target" | field page_writes_per_s
}

median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cost() {
	local r hz rounds=3 base tp cpu
	[ $quick = 1 ] && rounds=1
	for r in $(seq 1 $rounds); do
		churn >>"$out/cost-base"
		for hz in 1 10 100; do tracked $hz "$r" >>"$out/cost-$hz"; done
	done
	base=$(median <"$out/cost-base")
	echo "| tracking | target page writes/s | slowdown | controller CPU |"
	echo "|---|---:|---:|---:|"
	printf '| untracked | %.3g | 1.00x | - |\n' "$base"
	for hz in 1 10 100; do
		tp=$(median <"$out/cost-$hz")
		cpu=$(cat "$out"/cost-$hz-*.time | awk '{ printf "%.1f\n", ($1 + $2) / $3 * 100 }' | median)
		awk -v b="$base" -v t="$tp" -v hz="$hz" -v cpu="$cpu" \
			'BEGIN { printf "| %d Hz | %.3g | %.2fx%s | %s%% of a core |\n", hz, t, b / t,
				 b / t < 1 ? " (faster: noise)" : "", cpu }'
	done
	# The spread of the untracked runs says how much of a ratio is the machine.
	sort -g "$out/cost-base" | awk 'NR == 1 { lo = $1 } { hi = $1 }
		END { printf "\nUntracked runs ranged %.3g to %.3g page writes/s (%.0f%% apart): ratios closer to 1 than that are noise.\n",
		      lo, hi, (hi - lo) / lo * 100 }'
}

# The README's picture: xz compressing 8 MiB of random bytes and 8 MiB of base64 text.
picture() {
	head -c $((8 << 20)) /dev/urandom >"$out/xz-input"
	head -c $((6 << 20)) "$out/xz-input" | base64 -w 0 >>"$out/xz-input"
	# Tried up to three times: attaching right after the exec can meet the
	# loader changing the mappings (ENOMEM from watching one that went away).
	for try in 1 2 3; do
		"$tool" rate --interval 100 --link-mbps 1000 --svg "$docs/rate-xz.svg" -- \
			xz -T1 -3 -c "$out/xz-input" >/dev/null 2>"$out/xz.log" && break
		cat "$out/xz.log" >&2
		[ "$try" = 3 ] && exit 1
	done
}

if [ $picture_only = 1 ]; then
	picture
	exit 0
fi

if [ $blocks_only = 0 ]; then
	rm -f "$out"/cost-*
	load0=$(cut -d' ' -f1 /proc/loadavg)
	{
		echo "Measured by \`scripts/rate-bench.sh\` on $(uname -r), $(nproc) cores, load $load0 at the start."
		echo
		sampling
		echo
		echo "Each row: \`writewatch rate --json --interval 1000 --sample 512 -- rate_target MODE ...\`;"
		echo "both figures cover the whole process, interval by interval (intervals with writes)."
		echo "Run error: (sampled - exact) / exact over the whole run; interval errors:"
		echo "|sampled - exact| / exact of each interval, the median and the worst."
	} >"$out/rate-sampling.block.md"
	{
		echo "Target: \`rate_target churn --pages 16384 --seconds $secs\` (64 MiB written round and round);"
		echo "tracked: \`writewatch rate PID --interval MS --json\`; CPU of \`writewatch\` by \`/usr/bin/time\`."
		echo "Medians of $([ $quick = 1 ] && echo 1 || echo 3) interleaved rounds (untracked, 1, 10, 100 Hz in each)."
		echo
		cost
	} >"$out/rate-cost.block.md"
	cat "$out/rate-sampling.block.md" "$out/rate-cost.block.md"
fi
if [ $update = 1 ]; then
	picture
	for name in rate-sampling rate-cost; do
		awk -v name="$name" -v file="$out/$name.block.md" '
			$0 == "<!-- BEGIN " name " -->" { print; while ((getline l < file) > 0) print l; skip = 1; next }
			$0 == "<!-- END " name " -->" { skip = 0 }
			!skip { print }' "$here/BENCHMARKS.md" >"$out/BENCHMARKS.md.new"
		mv "$out/BENCHMARKS.md.new" "$here/BENCHMARKS.md"
	done
fi
