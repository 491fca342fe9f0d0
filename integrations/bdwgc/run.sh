#!/usr/bin/env bash
# Boehm GC (bdwgc 8.2.2, Debian's source package libgc) on libwritewatch.
#
# Fetches the source with `apt-get source` through a private apt
# configuration (its own sources.list with a deb-src entry, lists and cache
# under $WORK; the system's apt configuration is not touched), applies
# ww-vdb.patch (a WW_VDB virtual-dirty-bit implementation on libwritewatch,
# selected with -DWW_VDB), builds two collectors against $BUILD's static
# library: the patched one and the unpatched one (bdwgc's own MPROTECT_VDB,
# the baseline), then
#   1. runs bdwgc's test suite (make check) with GC_ENABLE_INCREMENTAL=1 once
#      per writewatch backend (WRITEWATCH_BACKEND=...) and once on
#      MPROTECT_VDB;
#   2. runs stress.c (threads mutating linked structures, forced
#      collections, every reachable object checked, pread(2) into the heap)
#      on the same VDBs and without incremental collection;
#   3. times gctest and gcbench.c on each VDB and without incremental mode:
#      total time, collections, average and maximum world-stopped pause
#      (GC_PRINT_STATS), printed as one Markdown table.
#
#   integrations/bdwgc/run.sh [--quick] [--ci] [--no-bench] [--update]
#     --quick     one timing run per cell and a shorter stress (a smoke test)
#     --ci        build, then make check and stress on uffd-async and on
#                 MPROTECT_VDB only; no timings
#     --no-bench  tests only
#     --update    replace the bdwgc block of BENCHMARKS.md (and the sentence
#                 under the bdwgc-summary marker of README.md) with this run's
# Environment: BUILD (writewatch build dir, default build), WORK (default
# $BUILD/bdwgc), JOBS (make -j, default 2), LIBGC_MIRROR (Debian mirror;
# default: the first deb.debian.org-style URI of /etc/apt/sources.list*),
# LIBGC_SUITE (default bookworm), LIBGC_VERSION (default 1:8.2.2-3).
# Exit: 0 everything passed, 1 a failure, 77 skipped (the source cannot be
# fetched here, or a tool is missing), with the reason on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
work=${WORK:-$build/bdwgc}
jobs=${JOBS:-2}
suite=${LIBGC_SUITE:-bookworm}
version=${LIBGC_VERSION:-1:8.2.2-3}
quick=0 ci=0 bench=1 update=0
for arg in "$@"; do
	case $arg in
	--quick) quick=1 ;;
	--ci) ci=1 bench=0 ;;
	--no-bench) bench=0 ;;
	--update) update=1 ;;
	-h|--help) sed -n '2,/^set/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
	esac
done
skip() { echo "SKIP: bdwgc integration: $*" >&2; exit 77; }
die() { echo "run.sh: $*" >&2; exit 1; }
for tool in apt-get dpkg-source patch make cc; do
	command -v $tool >/dev/null || skip "$tool not found (Debian packages: apt, dpkg-dev, patch, make, gcc)"
done
mkdir -p "$work/logs"
logs=$work/logs

# ---- fetch: apt-get source through a private configuration ----
mirror() {
	local m
	[ -n "${LIBGC_MIRROR:-}" ] && { echo "$LIBGC_MIRROR"; return; }
	# deb822 "URIs:" lines, then one-line "deb URI suite" entries; not -security.
	m=$({ sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
	      sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; } |
		tr ' ' '\n' | grep '/debian/\{0,1\}$' | grep -v security | sed -n 1p) || true
	echo "${m:-http://deb.debian.org/debian}"
}
fetch() {
	src=$work/src/gc
	[ -f "$src/os_dep.c" ] && return 0
	local apt=$work/apt m
	m=$(mirror)
	rm -rf "$apt" "$work/src"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/sources.parts" \
		 "$apt/etc/preferences.parts" "$work/src"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $suite main" \
		>"$apt/etc/sources.list"
	cat >"$apt/apt.conf" <<-EOF
	Dir::Etc::sourcelist "$apt/etc/sources.list";
	Dir::Etc::sourceparts "$apt/etc/sources.parts";
	Dir::Etc::preferencesparts "$apt/etc/preferences.parts";
	Dir::State::Lists "$apt/lists";
	Dir::Cache "$apt/cache";
	Debug::NoLocking "true";
	APT::Sandbox::User "$(id -un)";
	EOF
	echo "== fetch libgc=$version from $m ($suite, deb-src, private apt config $apt)" >&2
	APT_CONFIG=$apt/apt.conf apt-get update -qq >"$logs/apt-update.log" 2>&1 ||
		skip "apt-get update of $m $suite (deb-src) failed: $(tail -n1 "$logs/apt-update.log")"
	(cd "$work/src" && APT_CONFIG=$apt/apt.conf apt-get source -qq --download-only "libgc=$version") \
		>"$logs/apt-source.log" 2>&1 ||
		skip "apt-get source libgc=$version failed: $(grep -m1 '^E:' "$logs/apt-source.log" || tail -n1 "$logs/apt-source.log")"
	# apt checked the files against the signed Release; the .dsc's own
	# OpenPGP signature needs debian-keyring, hence --no-check.
	(cd "$work/src" && dpkg-source --no-check -x ./*.dsc gc) >"$logs/dpkg-source.log" 2>&1 ||
		die "dpkg-source -x failed (see $logs/dpkg-source.log)"
}

# ---- build: the writewatch library, the patched and the stock collector ----
cxx_opt=--disable-cplusplus
command -v c++ >/dev/null && [ $ci = 0 ] && cxx_opt=--enable-cplusplus
configure_tree() {      # name srcdir cppflags libs
	local dir=$work/build-$1 stamp="$cxx_opt|$3|$4"
	# Built already, with these options, after the patch and the library?
	if [ -f "$dir/.built" ] && [ "$(cat "$dir/.built")" = "$stamp" ] &&
	   [ "$dir/.built" -nt "$here/ww-vdb.patch" ] && [ "$dir/.built" -nt "$build/libwritewatch.a" ]; then
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "== build bdwgc ($1)" >&2
	(cd "$dir" && "$2/configure" --disable-shared --enable-static --with-libatomic-ops=none \
		$cxx_opt --disable-dependency-tracking CPPFLAGS="$3" LIBS="$4" &&
	 make -j"$jobs") >"$logs/build-$1.log" 2>&1 || die "bdwgc build ($1) failed (see $logs/build-$1.log)"
	# bdwgc's tests, built now so that the timed runs below only run them.
	(cd "$dir" && make -j"$jobs" check TESTS=) >>"$logs/build-$1.log" 2>&1 ||
		die "bdwgc test build ($1) failed (see $logs/build-$1.log)"
	echo "$stamp" >"$dir/.built"
}
programs() {            # name include-dir extra-libs...
	local dir=$work/build-$1 inc=$2 p
	shift 2
	for p in stress gcbench; do
		cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -I"$inc" -o "$dir/ww-$p" "$here/$p.c" \
			"$dir/.libs/libgc.a" "$@" -pthread || die "building $p against bdwgc ($(basename "$dir")) failed"
	done
}

fetch
if [ ! -d "$work/src/gc-ww" ] || [ "$here/ww-vdb.patch" -nt "$work/src/gc-ww" ]; then
	rm -rf "$work/src/gc-ww"
	cp -a "$work/src/gc" "$work/src/gc-ww"
	patch -d "$work/src/gc-ww" -p1 --quiet <"$here/ww-vdb.patch" || die "ww-vdb.patch does not apply"
fi
echo "== build libwritewatch ($build)" >&2
make -C "$root" -s BUILD="$build" WERROR="${WERROR:-}" lib >&2
configure_tree ww "$work/src/gc-ww" "-DWW_VDB -I$root/include" "$build/libwritewatch.a -pthread"
configure_tree base "$work/src/gc" "" ""
programs ww "$work/src/gc-ww/include" "$build/libwritewatch.a"
programs base "$work/src/gc/include"

# The VDBs: name|build|environment.  "none" is non-incremental collection.
vdbs=("uffd-async|ww|GC_ENABLE_INCREMENTAL=1 WRITEWATCH_BACKEND=uffd-async"
      "uffd-sync|ww|GC_ENABLE_INCREMENTAL=1 WRITEWATCH_BACKEND=uffd-sync"
      "mprotect|ww|GC_ENABLE_INCREMENTAL=1 WRITEWATCH_BACKEND=mprotect"
      "MPROTECT_VDB|base|GC_ENABLE_INCREMENTAL=1"
      "none|base|")
[ $ci = 1 ] && vdbs=("${vdbs[0]}" "${vdbs[3]}")

# Is the VDB really the one named?  (A backend that cannot open leaves bdwgc
# non-incremental with a warning, which would pass every test unnoticed.)
usable=()
for v in "${vdbs[@]}"; do
	IFS='|' read -r name tree envs <<<"$v"
	if [ "$tree" = ww ]; then
		out=$(env $envs GC_PRINT_STATS=1 "$work/build-ww/ww-gcbench" -d 4 -l 4 -s 4 2>&1) || true
		if ! grep -q "Initializing WW_VDB (.*backend $name)" <<<"$out"; then
			echo "SKIP: $name: writewatch cannot open this backend here: $(grep -m1 'WW_VDB' <<<"$out" || echo "no WW_VDB line")" >&2
			continue
		fi
	fi
	usable+=("$v")
done
[ ${#usable[@]} -gt 0 ] || die "no VDB is usable"

failed=0
summary=()

# ---- 1. bdwgc's own test suite, incremental ----
for v in "${usable[@]}"; do
	IFS='|' read -r name tree envs <<<"$v"
	[ "$name" = none ] && continue
	echo "== make check: bdwgc on $name ($envs)" >&2
	rc=0
	(cd "$work/build-$tree" && env $envs make -j"$jobs" check) >"$logs/check-$name.log" 2>&1 || rc=$?
	res=$(sed -n 's/^# \(TOTAL\|PASS\|FAIL\|ERROR\): *\([0-9]*\)/\1 \2/p' "$logs/check-$name.log" | tr '\n' ' ')
	if [ $rc != 0 ]; then
		failed=1
		summary+=("make check on $name: FAIL ($res; see $logs/check-$name.log and $work/build-$tree/*.log)")
	else
		summary+=("make check on $name: ok ($res)")
	fi
done

# ---- 2. the heap-checking stress ----
if [ $quick = 1 ] || [ $ci = 1 ]; then stress_args="-t 4 -n 8000"; else stress_args="-t 4 -n 20000"; fi
for v in "${usable[@]}"; do
	IFS='|' read -r name tree envs <<<"$v"
	echo "== stress $stress_args on $name" >&2
	rc=0
	out=$(env $envs "$work/build-$tree/ww-stress" $stress_args 2>&1) || rc=$?
	echo "$out" >"$logs/stress-$name.log"
	[ $rc = 0 ] || failed=1
	summary+=("stress on $name: $(tail -n1 <<<"$out")")
done

printf '%s\n' "${summary[@]}"
[ $bench = 1 ] || exit $failed
[ $failed = 0 ] || die "tests failed; no timings"

# ---- 3. timings ----
reps=3
[ $quick = 1 ] && reps=1
load0=$(cut -d' ' -f1 /proc/loadavg)
now_ns() { date +%s%N; }
# One timed run: prints "seconds collections avg_ms max_ms" from GC_PRINT_STATS.
timed() {               # log "environment" program args...
	local log=$1 envs=$2 t0 t1
	shift 2
	t0=$(now_ns)
	env $envs GC_PRINT_STATS=1 "$@" >"$log" 2>&1 || { echo "FAIL"; return 0; }
	t1=$(now_ns)
	awk -v ns=$((t1 - t0)) '
		/World-stopped marking took/ { n++; ms = $4 + $6 / 1e6; s += ms; if (ms > m) m = ms }
		END { printf "%.2f %d %.2f %.2f\n", ns / 1e9, n, n ? s / n : 0, m }' "$log"
}
table=$work/bdwgc.md
csv=$work/bdwgc.csv
echo "program,vdb,seconds,collections,avg_pause_ms,max_pause_ms" >"$csv"
for prog in gctest gcbench; do
	for v in "${usable[@]}"; do
		IFS='|' read -r name tree envs <<<"$v"
		dir=$work/build-$tree
		if [ $prog = gctest ]; then cmd=("$dir/gctest"); else cmd=("$dir/ww-gcbench"); fi
		echo "== time $prog on $name ($reps runs)" >&2
		rows=()
		for ((r = 0; r < reps; r++)); do
			rows+=("$(timed "$logs/time-$prog-$name-$r.log" "$envs" "${cmd[@]}")")
		done
		# The median run by total time.
		row=$(printf '%s\n' "${rows[@]}" | grep -v FAIL | sort -n | sed -n "$(( (reps + 1) / 2 ))p")
		[ -n "$row" ] || die "$prog failed on $name (see $logs/time-$prog-$name-*.log)"
		echo "$prog,$name,${row// /,}" >>"$csv"
	done
done

# The table, and the sentence that sums it up, both from the CSV.
{
	echo "| program | VDB | total (s) | vs MPROTECT_VDB | collections | avg pause (ms) | max pause (ms) |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	awk -F, 'NR > 1 { k[NR] = $0; if ($2 == "MPROTECT_VDB") base[$1] = $3 }
		END { for (i = 2; i <= NR; i++) { split(k[i], f, ",")
			r = base[f[1]] > 0 ? sprintf("%.2fx", f[3] / base[f[1]]) : "-"
			printf "| %s | %s | %.2f | %s | %d | %.2f | %.2f |\n", f[1], f[2], f[3], r, f[4], f[5], f[6] } }' "$csv"
	echo
	# One sentence per program, every figure from the CSV.
	awk -F, 'NR > 1 { t[$1, $2] = $3; mx[$1, $2] = $6; if (!($1 in seen)) { seen[$1] = 1; progs[++np] = $1 } }
		END {
			for (i = 1; i <= np; i++) {
				p = progs[i]; b = t[p, "MPROTECT_VDB"]
				if (!(b > 0) || !((p, "uffd-async") in t)) continue
				printf "%s: incremental collection on uffd-async takes %.2fx the time of MPROTECT_VDB, with a maximum pause of %.1f ms against %.1f ms", p, t[p, "uffd-async"] / b, mx[p, "uffd-async"], mx[p, "MPROTECT_VDB"]
				if ((p, "uffd-sync") in t) printf "; uffd-sync %.2fx", t[p, "uffd-sync"] / b
				if ((p, "mprotect") in t) printf "; writewatch'\''s mprotect backend %.2fx", t[p, "mprotect"] / b
				if ((p, "none") in t) printf "; non-incremental collection %.2fx, with a maximum pause of %.1f ms", t[p, "none"] / b, mx[p, "none"]
				printf ".%s", i < np ? " " : "\n"
			}
		}' "$csv"
} >"$table"
tail -n1 "$table" >"$work/bdwgc-summary.block.md"
{
	echo '```'
	echo "integrations/bdwgc/run.sh$([ $quick = 1 ] && echo ' --quick')   # bdwgc $version; median of $reps run(s) per cell"
	echo '```'
	echo
	echo "Linux $(uname -r), $(nproc) CPUs; load average $load0 at the start of the timings, $(cut -d' ' -f1 /proc/loadavg) at the end."
	echo
	cat "$table"
} >"$work/bdwgc.block.md"
cat "$table"
if [ $update = 1 ]; then
	awk -v file="$work/bdwgc.block.md" '
		$0 == "<!-- BEGIN bdwgc -->" { print; while ((getline l < file) > 0) print l; skip = 1; next }
		$0 == "<!-- END bdwgc -->" { skip = 0 }
		!skip { print }' "$root/BENCHMARKS.md" >"$work/BENCHMARKS.md.new"
	mv "$work/BENCHMARKS.md.new" "$root/BENCHMARKS.md"
	awk -v file="$work/bdwgc-summary.block.md" '
		$0 == "<!-- BEGIN bdwgc-summary -->" { print; while ((getline l < file) > 0) print l; skip = 1; next }
		$0 == "<!-- END bdwgc-summary -->" { skip = 0 }
		!skip { print }' "$root/README.md" >"$work/README.md.new"
	mv "$work/README.md.new" "$root/README.md"
	echo "BENCHMARKS.md and README.md updated" >&2
fi
exit $failed
