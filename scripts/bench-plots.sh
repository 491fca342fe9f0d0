#!/usr/bin/env bash
# Regenerate the scaling study of BENCHMARKS.md with `writewatch bench`:
# every study runs once, writing its CSV and its Markdown table into $OUT
# (and `writewatch demo -q` its report); the sentences that sum a table up
# are computed from its CSV here, never written by hand; gnuplot
# (Debian/Ubuntu package: gnuplot-nox) then draws docs/bench-*.svg, and
# with --update every block between the BEGIN/END markers of BENCHMARKS.md
# (machine, tables, their summaries, the demo) is replaced by the new one.
#
#   scripts/bench-plots.sh [--quick] [--plots-only] [--update] [--only LIST]
#     --quick       small sizes and few repetitions (a smoke test, not a study)
#     --plots-only  redraw the plots from the CSVs already in $OUT
#     --update      rewrite the tables in BENCHMARKS.md
#     --only LIST   run (and update) only these studies, comma-separated, e.g.
#                   restore-pages,restore-size; the machine line, the demo and
#                   the target table are then left alone
# Environment: BUILD (build dir, default build), OUT (default $BUILD/bench-results),
# DOCS (default docs).  Runs as any user: every method works unprivileged
# (with vm.unprivileged_userfaultfd=0 through user-mode-only userfaultfds);
# as root the runs get nice -20, so other work disturbs them less.  Takes
# about 10 minutes on a quiet 2-core machine.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
out=${OUT:-$build/bench-results}
docs=${DOCS:-$here/docs}
tool=$build/writewatch
quick=0 plots_only=0 update=0 only=""
prev=""
for arg in "$@"; do
	if [ "$prev" = --only ]; then only=",$arg,"; prev=""; continue; fi
	case $arg in
	--only) prev=--only ;;
	--only=*) only=",${arg#--only=}," ;;
	--quick) quick=1 ;;
	--plots-only) plots_only=1 ;;
	--update) update=1 ;;
	-h|--help) sed -n '2,/^set/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-plots.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
	esac
done
command -v gnuplot >/dev/null || { echo "bench-plots.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -x "$tool" ] || { echo "bench-plots.sh: $tool not built (make)" >&2; exit 1; }
mkdir -p "$out" "$docs"
load0=$(cut -d' ' -f1 /proc/loadavg)

# The studies: name, then the exact `writewatch bench` arguments (BENCHMARKS.md shows them).
if [ $quick = 1 ]; then
	studies=(
		"first-write|--measure first-write --quick"
		"size|--measure get-reset --size 64M,256M,1G --pages 256 --populate none --reps 3"
		"fraction|--measure get-reset --size 128M --fraction 0.1%,1%,10% --reps 3"
		"restore-pages|--measure restore --size 64M --pages 1,64,1024 --reps 3"
		"restore-size|--measure restore --size 16M,64M --sparse 4G --pages 64 --reps 3"
		"remote|--measure remote --quick"
	)
else
	studies=(
		"first-write|--measure first-write --rounds 3"
		"first-write-2threads|--measure first-write --threads 2 --rounds 2"
		"size|--measure get-reset --size 64M,256M,1G,4G,16G,256G,16T --pages 1024 --populate none --rounds 1"
		"fraction|--measure get-reset --size 1G --fraction 0.01%,0.1%,1%,10%,50%,100% --rounds 3"
		"restore-pages|--measure restore --size 1G --pages 1,16,64,256,1024,4096,16384,100000 --reps 9"
		"restore-size|--measure restore --size 64M,256M,1G,4G --sparse 256G --pages 64 --reps 9"
		"remote|--measure remote"
	)
fi
# --only: the studies named, and none of the blocks that describe a whole run.
if [ -n "$only" ]; then
	kept=()
	for s in "${studies[@]}"; do
		case $only in *",${s%%|*},"*) kept+=("$s") ;; esac
	done
	[ ${#kept[@]} -gt 0 ] || { echo "bench-plots.sh: --only names no study" >&2; exit 2; }
	studies=("${kept[@]}")
fi

if [ $plots_only = 0 ]; then
	for s in "${studies[@]}"; do
		name=${s%%|*} args=${s#*|}
		echo "== $name: writewatch bench $args" >&2
		# A failed row (e.g. mprotect at the VMA limit) is a result, not an error here.
		# shellcheck disable=SC2086
		"$tool" bench $args --markdown --csv="$out/$name.csv" >"$out/$name.md" || rc=$?
		if [ "${rc:-0}" -gt 1 ]; then
			echo "bench-plots.sh: writewatch bench $args failed (exit $rc)" >&2
			exit 1
		fi
		unset rc
		{ echo '```'; echo "writewatch bench $args --markdown"; echo '```'; echo; cat "$out/$name.md"; } \
			>"$out/$name.block.md"
	done
fi

# The demo's table (BENCHMARKS.md shows one run of it).
if [ $plots_only = 0 ] && [ -z "$only" ]; then
	demo_args=$([ $quick = 1 ] && echo "--quick -q" || echo "-q")
	echo "== demo: writewatch demo $demo_args" >&2
	# shellcheck disable=SC2086
	"$tool" demo $demo_args >"$out/demo.txt" || { echo "bench-plots.sh: writewatch demo failed" >&2; exit 1; }
	{ echo '```'; echo "\$ writewatch demo $demo_args"; cat "$out/demo.txt"; echo '```'; } >"$out/demo.block.md"
fi

methods="raw uffd-async uffd-sync mprotect plain-mprotect old-pagemap"

# Per-method data files: x (column xcol of the CSV), y (column ycol: 10 is the
# median, 17 arm_ms), ok rows only.  The reason field (last, quoted) may hold
# commas: columns 1-19 never do.
split_csv() {      # split_csv study xcol [ycol [suffix]]
	local m
	for m in $methods untracked; do
		awk -F, -v m="$m" -v x="$2" -v y="${3:-10}" \
			'NR > 1 && $2 == m && $19 == "ok" { print $x, $y }' \
			"$out/$1.csv" >"$out/$1${4:-}.$m.dat"
	done
}

# gnuplot xtics for the distinct values of CSV column col: "label" value, ...
xtics() {          # xtics study col scale kind
	awk -F, -v col="$2" 'NR > 1 { print $col }' "$out/$1.csv" | sort -g -u |
		awk -v scale="$3" -v kind="$4" '{
			x = $1 / scale
			if (kind == "size")
				l = $1 >= 1099511627776 ? sprintf("%g TiB", $1 / 1099511627776) : $1 >= 1073741824 ? sprintf("%g GiB", $1 / 1073741824) : sprintf("%g MiB", $1 / 1048576)
			else
				l = sprintf(x >= 1 ? "%.0f%%%%" : "%.1g%%%%", x)   # tic labels are formats to gnuplot
			printf "%s\"%s\" %.10g", n++ ? ", " : "", l, x
		}'
}

plot_lines() {     # plot_lines study title xlabel xscale kind [suffix [ylabel]]
	local study=$1 title=$2 xlabel=$3 xscale=$4 m plots="" i=0 sfx=${6:-}
	local ylabel=${7:-get+reset per call, ms (median, log scale)}
	for m in $methods; do
		i=$((i + 1))
		[ -s "$out/$study$sfx.$m.dat" ] || continue
		plots+="${plots:+, }'$out/$study$sfx.$m.dat' using (\$1/$xscale):2 with linespoints ls $i title '$m'"
	done
	gnuplot <<EOF
set terminal svg size 820,500 dynamic enhanced font 'sans,12' background '#ffffff'
set output '$docs/bench-$study$sfx.svg'
set title "$title"
set xlabel "$xlabel"
set ylabel "$ylabel"
set logscale xy
set xtics ($(xtics "$study" $([ "$5" = size ] && echo 4 || echo 5) "$xscale" "$5"))
set grid
set key outside right
set style line 1 lw 2 pt 7 ps 0.9 lc rgb '#1b9e77'
set style line 2 lw 2 pt 5 ps 0.9 lc rgb '#d95f02'
set style line 3 lw 2 pt 9 ps 0.9 lc rgb '#7570b3'
set style line 4 lw 2 pt 11 ps 0.9 lc rgb '#e7298a'
set style line 5 lw 2 pt 13 ps 0.9 lc rgb '#66a61e'
set style line 6 lw 2 pt 3 ps 0.9 lc rgb '#444444'
plot $plots
EOF
}

# Clustered bars: one group per case, one bar per method (log scale).
plot_first_write() {   # plot_first_write study title
	local study=$1 title=$2 cols="untracked raw uffd-async uffd-sync mprotect plain-mprotect"
	awk -F, -v cols="$cols" '
		NR == 1 { n = split(cols, c, " "); next }
		$19 == "ok" {
			key = $3 " " $5 " " $4
			if (!(key in seen)) { seen[key] = ++nk; keys[nk] = key
				lab[nk] = ($3 == "dense" ? "dense" : sprintf("1 in %d pages", 1 / $5 + 0.5)) }
			v[seen[key], $2] = $10
		}
		END {
			printf "case"; for (i = 1; i <= n; i++) printf "\t%s", c[i]; printf "\n"
			for (k = 1; k <= nk; k++) {
				printf "\"%s\"", lab[k]
				for (i = 1; i <= n; i++) printf "\t%s", ((k, c[i]) in v ? v[k, c[i]] : "NaN")
				printf "\n"
			}
		}' "$out/$study.csv" >"$out/$study.table.dat"
	gnuplot <<EOF
set terminal svg size 820,500 dynamic enhanced font 'sans,12' background '#ffffff'
set output '$docs/bench-$study.svg'
set title "$title"
set ylabel "first write after reset, ns per page (median, log scale)"
set logscale y
set yrange [1:*]
set grid ytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right autotitle columnhead
set datafile missing 'NaN'
plot for [i=2:7] '$out/$study.table.dat' using i:xtic(1)
EOF
}

for study in size fraction; do
	[ -s "$out/$study.csv" ] || continue
	if [ $study = size ]; then
		split_csv size 4
		plot_lines size "Get+reset vs tracked size (fixed number of written pages, untouched memory)" \
			"tracked size (log scale)" 1073741824 size
		split_csv size 4 17 -arm
		plot_lines size "Arming cost vs tracked size (watch / register + write-protect)" \
			"tracked size (log scale)" 1073741824 size -arm "time to arm the range, ms (log scale)"
	else
		split_csv fraction 5
		plot_lines fraction "Get+reset vs written share of the tracked range (random pages)" \
			"written share of the pages (log scale)" 0.01 fraction
	fi
done
[ -s "$out/first-write.csv" ] && plot_first_write first-write "First write after reset, per page"
[ -s "$out/first-write-2threads.csv" ] &&
	plot_first_write first-write-2threads "First write after reset, per page, 2 writer threads"

# Restore studies (CSV of bench --measure restore): per-run time of each method, log-log.
restore_methods="snap-uffd-async snap-uffd-sync snap-mprotect copy memfd-dontneed pagemap-scan fork"
plot_restore() {   # plot_restore study xcol xscale xlabel title
	local m plots="" i=0
	for m in $restore_methods; do
		i=$((i + 1))
		awk -F, -v m="$m" -v x="$2" 'NR > 1 && $4 == m && $5 == "ok" && $2 == 0 { print $x, $6 / 1000 }' \
			"$out/$1.csv" >"$out/$1.$m.dat"
		[ -s "$out/$1.$m.dat" ] || continue
		plots+="${plots:+, }'$out/$1.$m.dat' using (\$1/$3):2 with linespoints ls $i title '$m'"
	done
	gnuplot <<EOF
set terminal svg size 820,500 dynamic enhanced font 'sans,12' background '#ffffff'
set output '$docs/bench-$1.svg'
set title "$5"
set xlabel "$4"
set ylabel "one run: write the pages, put the range back; ms (median, log scale)"
set logscale xy
set grid
set key outside right
set style line 1 lw 2 pt 7 ps 0.9 lc rgb '#1b9e77'
set style line 2 lw 2 pt 5 ps 0.9 lc rgb '#d95f02'
set style line 3 lw 2 pt 9 ps 0.9 lc rgb '#7570b3'
set style line 4 lw 2 pt 11 ps 0.9 lc rgb '#e7298a'
set style line 5 lw 2 pt 13 ps 0.9 lc rgb '#66a61e'
set style line 6 lw 2 pt 3 ps 0.9 lc rgb '#444444'
set style line 7 lw 2 pt 1 ps 0.9 lc rgb '#a6761d'
plot $plots
EOF
}
[ -s "$out/restore-pages.csv" ] &&
	plot_restore restore-pages 3 1 "pages written per run (log scale)" \
		"Restoring a 1 GiB range: time per run against pages written"
[ -s "$out/restore-size.csv" ] &&
	plot_restore restore-size 1 1073741824 "range size, GiB (log scale)" \
		"Restoring 64 written pages: time per run against populated range size"

# The issue target: uffd-async against raw, every case of every study in one table.
target_table() {
	echo "| study | measure | case | raw | uffd-async | ratio | within 5% |"
	echo "|---|---|---|---:|---:|---:|---|"
	for s in "${studies[@]}"; do
		name=${s%%|*}
		# Over untouched memory uffd-async arms populated-only, raw with markers: not the same sequence.
		[ "$name" != size ] || continue
		[ -s "$out/$name.csv" ] || continue
		awk -F, -v study="$name" '
			function hsize(b) { return b >= 1099511627776 ? sprintf("%g TiB", b / 1099511627776) : b >= 1073741824 ? sprintf("%g GiB", b / 1073741824) : sprintf("%g MiB", b / 1048576) }
			function fmt(v, u) { return u == "ms" ? sprintf(v < 1 ? "%.3f ms" : "%.2f ms", v) : sprintf("%.0f ns", v) }
			NR > 1 && $19 == "ok" && ($2 == "raw" || $2 == "uffd-async") {
				key = $1 "," $3 "," $4 "," $6 "," $7
				if (!(key in seen)) { seen[key] = 1; keys[++n] = key
					lab[key] = sprintf("%s, %d pages of %s%s", $3, $6, hsize($4), $7 > 1 ? ", " $7 " threads" : "")
					meas[key] = $1 == "first_write" ? "first write" : "get+reset"; unit[key] = $13 }
				v[key, $2] = $10
			}
			END {
				for (i = 1; i <= n; i++) {
					k = keys[i]
					if (!((k, "raw") in v) || !((k, "uffd-async") in v)) continue
					r = v[k, "uffd-async"] / v[k, "raw"]
					printf "| %s | %s | %s | %s | %s | %.2fx | %s |\n", study, meas[k], lab[k],
						fmt(v[k, "raw"], unit[k]), fmt(v[k, "uffd-async"], unit[k]), r, r <= 1.05 ? "yes" : "**no**"
				}
			}' "$out/$name.csv"
	done
}
# Geometric mean of the ratios per measure: one figure that single noisy rows cannot swing.
target_summary() {
	awk -F'|' '$3 ~ /first write|get\+reset/ {
			m = $3; gsub(/^ +| +$/, "", m); r = $7; gsub(/[ x]/, "", r)
			s[m] += log(r); n[m]++
		}
		END {
			printf "\nGeometric mean of the ratios:"
			for (m in n) printf " %s %.3fx over %d cases;", m, exp(s[m] / n[m]), n[m]
			printf "\n"
		}' "$1"
}
if { [ $plots_only = 0 ] || [ -s "$out/size.csv" ]; } && [ -z "$only" ]; then
	target_table >"$out/target.block.md"
	target_summary "$out/target.block.md" >>"$out/target.block.md"
fi

# ---- the sentences under each table, computed from its CSV ----

# Range of column col (14: vs_raw, 10: median) of method m's ok rows: "1.00-1.01", "n/a".
col_range() {      # col_range study method col [fmt]
	awk -F, -v m="$2" -v c="$3" -v f="${4:-%.2f}" '
		NR > 1 && $2 == m && $19 == "ok" && $c != "" {
			if (!n++ || $c + 0 < lo) lo = $c + 0
			if (n == 1 || $c + 0 > hi) hi = $c + 0
		}
		END {
			if (!n) { printf "n/a"; exit }
			a = sprintf(f, lo); b = sprintf(f, hi)
			printf "%s", a == b ? a : a "-" b
		}' "$out/$1.csv"
}

# Column col of method m's ok row where column xcol (4 size, 5 fraction) is smallest
# (first) or largest (last), to three significant digits.
col_at() {         # col_at study method col xcol first|last
	awk -F, -v m="$2" -v c="$3" -v x="$4" -v w="$5" '
		NR > 1 && $2 == m && $19 == "ok" {
			if (!n++ || $x + 0 < smin) { smin = $x + 0; vmin = $c }
			if (n == 1 || $x + 0 > smax) { smax = $x + 0; vmax = $c }
		}
		END { if (n) printf "%.3g", (w == "first" ? vmin : vmax) }' "$out/$1.csv"
}

# Where method m's median is below raw's, over column xcol ascending:
# below: "from 4 GiB on" (the first x where it is); above: "up to 0.1%" (the last x of
# the leading run where it is).
crossover() {      # crossover study method xcol below|above
	awk -F, -v m="$2" -v x="$3" 'NR > 1 && $19 == "ok" && ($2 == m || $2 == "raw") {
			print $x, ($2 == "raw" ? "raw" : "m"), $10 }' "$out/$1.csv" | sort -g -k1,1 |
	awk -v x="$3" -v dir="$4" '
		function lab(v) {
			if (x == 4) return v >= 1099511627776 ? sprintf("%g TiB", v / 1099511627776) : v >= 1073741824 ? sprintf("%g GiB", v / 1073741824) : sprintf("%g MiB", v / 1048576)
			return sprintf("%.2g%%", v * 100)
		}
		{ if (!($1 in seen)) { seen[$1] = 1; xs[++n] = $1 } v[$1, $2] = $3 + 0 }
		END {
			for (i = 1; i <= n; i++) {
				k = xs[i]
				if (!((k, "m") in v) || !((k, "raw") in v)) continue
				cheaper = v[k, "m"] < v[k, "raw"]
				if (dir == "below" && cheaper) { found = "from " lab(k) " on"; break }
				if (dir == "above" && !cheaper) break
				if (dir == "above") found = "up to " lab(k)
			}
			print found ? found : "nowhere in this range"
		}'
}

notes_first_write() {      # notes_first_write study
	local m
	echo "Per page, the range over the cases above, as a multiple of \`raw\`:"
	echo
	for m in uffd-async uffd-sync mprotect plain-mprotect; do
		echo "- \`$m\`: $(col_range "$1" $m 14)x"
	done
	echo "- \`untracked\` (nothing tracks the page): $(col_range "$1" untracked 10 %.1f) ns per page"
}

# Per-thread cost with two writers against one, per method: "1.00-1.03x".
notes_threads() {
	[ -s "$out/first-write.csv" ] || return 0
	echo "Each thread's cost per page with two writers, as a multiple of the single-writer"
	echo "cost of the same case:"
	echo
	awk -F, 'FNR == 1 { f++; next }
		$19 == "ok" { k = $2 "," $3 "," $4 "," $6; if (f == 1) one[k] = $10; else two[k] = $10; m[$2] = 1 }
		END {
			split("raw uffd-async uffd-sync mprotect plain-mprotect", order, " ")
			for (i = 1; i <= 5; i++) {
				n = 0
				for (k in two) {
					split(k, p, ",")
					if (p[1] != order[i] || !(k in one)) continue
					r = two[k] / one[k]
					if (!n++ || r < lo) lo = r
					if (n == 1 || r > hi) hi = r
				}
				if (n) printf "- `%s`: %.2f-%.2fx\n", order[i], lo, hi
			}
		}' "$out/first-write.csv" "$out/first-write-2threads.csv"
}


# Column col of method m's ok row at size bytes (CSV column 4), to three significant digits.
col_size() {       # col_size study method col bytes
	awk -F, -v m="$2" -v c="$3" -v b="$4" 'NR > 1 && $2 == m && $19 == "ok" && $4 == b { printf "%.3g", $c; exit }' \
		"$out/$1.csv"
}

# KiB as "12 KiB", "3.4 MiB", "1.2 GiB".
kib() { awk -v k="${1:-0}" 'BEGIN { if (k < 1024) printf "%d KiB", k; else if (k < 1048576) printf "%.1f MiB", k / 1024; else printf "%.1f GiB", k / 1048576 }'; }

# uffd-async's populated-only get+reset as a walk: t = a * (upper-level entries walked)
# + b * (populated 2 MiB blocks).  With k random pages, a page table of the level
# above covers one PUD span (1 GiB on x86-64): the walk reads all its entries where
# one of the k pages lies.  Expected counts of those spans and of the blocks, from
# the 256 GiB and 16 TiB rows (the same k and about the same blocks, ~4x the entries
# walked), give a and b.
scan_model() {
	awk -F, -v pg="$(getconf PAGESIZE)" '
		function cover(n, k) { return n * (1 - exp(k * log(1 - 1 / n))) }
		NR > 1 && $2 == "uffd-async" && $19 == "ok" { t[$4] = $10; k = $6 }
		END {
			ent = pg / 8; pmd = pg * ent; pud = pmd * ent
			big = "274877906944"; huge = "17592186044416"; g = "1073741824"
			if (!(big in t) || !(huge in t) || !k) exit
			# every in-range entry of the level above that too (sz / pud of them)
			for (s in t) {
				sz = s + 0; up = sz > pud ? sz / pud : 1
				walk[s] = ent * cover(up, k) + up
				blk[s] = cover(sz / pmd, k)
			}
			a = (t[huge] - t[big]) / (walk[huge] - walk[big]); b = (t[big] - a * walk[big]) / blk[big]
			printf "- `uffd-async`'"'"'s scan as a walk (from the 256 GiB and 16 TiB rows): %.0f ns per\n", a * 1e6
			printf "  entry of the upper-level page tables (%d entries a table, the lowest level'"'"'s one\n", ent
			printf "  per 2 MiB; about %.0f walked at 256 GiB, %.0f at 16 TiB), and %.2f µs per\n", walk[big], walk[huge], b * 1e3
			printf "  populated 2 MiB block (its page table walked, its written page re-armed; about\n"
			printf "  %.0f blocks at 256 GiB, %.0f at 1 GiB).\n", blk[big], blk[g]
		}' "$out/size.csv"
}

notes_size() {
	local g=1073741824 big=274877906944 huge=17592186044416 a1 a256
	a1=$(col_size size uffd-async 10 $g) a256=$(col_size size uffd-async 10 $big)
	echo "- \`uffd-async\` (populated-only): get+reset ${a1:-?} ms at 1 GiB, ${a256:-?} ms at 256 GiB"
	echo "  ($(awk -v a="${a1:-0}" -v b="${a256:-0}" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else printf "?" }') the 1 GiB figure),"
	echo "  $(col_size size uffd-async 10 $huge) ms at 16 TiB; arming took $(col_size size uffd-async 17 $big) ms at"
	echo "  256 GiB and $(col_size size uffd-async 17 $huge) ms at 16 TiB, adding $(kib "$(col_size size uffd-async 18 $big)")"
	echo "  and $(kib "$(col_size size uffd-async 18 $huge)") of page tables."
	scan_model
	echo "- \`raw\` (a marker in every entry): get+reset $(col_at size raw 10 4 first) ms at the smallest size,"
	echo "  $(col_size size raw 10 $g) ms at 1 GiB and $(col_size size raw 10 $big) ms at 256 GiB; arming 256 GiB took"
	echo "  $(col_size size raw 17 $big) ms and added $(kib "$(col_size size raw 18 $big)") of page tables; 16 TiB is refused."
	echo "- \`uffd-async\` against \`raw\`: $(col_range size uffd-async 14)x over the sizes both ran."
	echo "- \`uffd-sync\`: $(col_range size uffd-sync 10 %.2f) ms over the whole range (markers too: 16 TiB refused)."
	echo "- \`mprotect\`: $(col_range size mprotect 10 %.2f) ms, up to 16 TiB."
	echo "- \`old-pagemap\`: $(col_range size old-pagemap 14)x \`raw\`."
}

notes_fraction() {
	echo "- \`raw\`: get+reset $(col_at fraction raw 10 5 first) ms over the least-written case and"
	echo "  $(col_at fraction raw 10 5 last) ms over the most-written one."
	echo "- \`uffd-async\`: $(col_range fraction uffd-async 14)x \`raw\` throughout."
	echo "- Cheaper than \`raw\`, by the share of pages written: \`uffd-sync\`"
	echo "  $(crossover fraction uffd-sync 5 above), \`mprotect\` $(crossover fraction mprotect 5 above)."
	echo "- \`old-pagemap\`: $(col_range fraction old-pagemap 14)x \`raw\`."
}

# Restore: per case, the snapshot (uffd-async) against each other method, per run.
notes_restore() {  # notes_restore study
	awk -F, 'NR > 1 && $5 == "ok" {
			k = $1 "," $2 "," $3; if (!(k in seen)) { seen[k] = 1; keys[++n] = k }
			v[k, $4] = $6; if ($4 == "snap-uffd-async") { r[k] = $10; mm[k] = $11 }
		}
		function hs(b) { return b >= 1073741824 ? sprintf("%g GiB", b / 1073741824) : sprintf("%g MiB", b / 1048576) }
		function t(us) { return us >= 1000 ? sprintf("%.3g ms", us / 1000) : sprintf("%.3g µs", us) }
		END {
			for (i = 1; i <= n; i++) {
				k = keys[i]; split(k, p, ",")
				if (!((k, "snap-uffd-async") in v)) continue
				s = v[k, "snap-uffd-async"]
				line = sprintf("- %d pages of %s%s: snapshot (uffd-async) %s a run, %d pages restored a run, %d mismatches", \
					p[3], hs(p[1]), p[2] == 1 ? " sparse" : "", t(s), r[k], mm[k])
				split("copy fork memfd-dontneed pagemap-scan", o, " ")
				for (j = 1; j <= 4; j++)
					if ((k, o[j]) in v)
						line = line sprintf("; %s %.3gx", o[j], v[k, o[j]] / s)
				print line "."
			}
		}' "$out/$1.csv"
	echo
	echo "(A ratio is the other method's time per run over the snapshot's: above 1, the snapshot is faster.)"
}

notes_machine() {
	local thp
	thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
	printf 'Machine: %s CPUs, Linux %s, %s GiB RAM, THP `%s`, `vm.max_map_count` %s,\n' \
		"$(nproc)" "$(uname -r)" "$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" \
		"${thp:-unknown}" "$(cat /proc/sys/vm/max_map_count)"
	printf 'load average %s when the studies started; run as %s (%s).\n' "$load0" \
		"$([ "$(id -u)" = 0 ] && echo root || echo "uid $(id -u)")" \
		"$([ "$(id -u)" = 0 ] && echo "nice -20" || echo "no nice -20")"
}

if [ $plots_only = 0 ]; then
	notes_machine >"$out/machine.block.md"
	[ -s "$out/first-write.csv" ] && notes_first_write first-write >"$out/first-write-notes.block.md"
	[ -s "$out/first-write-2threads.csv" ] && notes_threads >"$out/threads-notes.block.md"
	[ -s "$out/size.csv" ] && notes_size >"$out/size-notes.block.md"
	[ -s "$out/fraction.csv" ] && notes_fraction >"$out/fraction-notes.block.md"
	for st in restore-pages restore-size; do
		[ -s "$out/$st.csv" ] || continue
		{ notes_machine; echo; notes_restore "$st"; } >"$out/$st-notes.block.md"
	done
fi

if [ $update = 1 ]; then
	whole="machine target demo first-write-notes threads-notes size-notes fraction-notes"
	[ -z "$only" ] || whole=""
	for name in $whole \
		$(for s in "${studies[@]}"; do echo "${s%%|*}"; case ${s%%|*} in restore-*|size) echo "${s%%|*}-notes" ;; esac; done); do
		[ -s "$out/$name.block.md" ] || continue
		# Replace what lies between <!-- BEGIN name --> and <!-- END name -->.
		awk -v name="$name" -v file="$out/$name.block.md" '
			$0 == "<!-- BEGIN " name " -->" { print; while ((getline l < file) > 0) print l; skip = 1; next }
			$0 == "<!-- END " name " -->" { skip = 0 }
			!skip { print }' "$here/BENCHMARKS.md" >"$out/BENCHMARKS.md.new"
		mv "$out/BENCHMARKS.md.new" "$here/BENCHMARKS.md"
	done
fi
echo "results in $out; plots in $docs/bench-*.svg" >&2
