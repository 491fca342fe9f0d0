#!/usr/bin/env bash
# Static checks of the built library, run by `make check` before the suite:
#  - the shared library exports the public API only (ww_* names; no internal ww_k_*)
#  - it carries the soname
#  - every function declared in the public headers has a man page
set -u
build=${1:-build}
lib="$build/libwritewatch.so"
fail=0

exports=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWDBRV]$/ { print $3 }' | sed 's/@.*//' | sort -u)
bad=$(printf '%s\n' "$exports" | grep -v -E '^(ww_|WRITEWATCH_)' | grep -v '^$' || true)
internal=$(printf '%s\n' "$exports" | grep -E '^ww_(k_|.*_ops$|why$|fork_generation$|backend_ops_get$)' || true)
if [ -n "$bad$internal" ]; then
	echo "FAIL exports: unexpected symbols exported:" $bad $internal
	fail=1
else
	echo "PASS exports ($(printf '%s\n' "$exports" | grep -c '^ww_') public symbols)"
fi

# Every public function is in the version script by name (no glob), and
# every name there is defined: a symbol is never exported by accident.
map=src/libwritewatch.map
defined=$(grep -ho '^WW_API [^(]*' src/*.c | grep -o 'ww_[a-zA-Z0-9_]*$' | sort -u)
listed=$(grep -o '^[[:space:]]*ww_[a-zA-Z0-9_]*;' "$map" | tr -d ' \t;' | sort -u)
if grep -q '^[[:space:]]*ww_\*' "$map"; then
	echo "FAIL version script: exports by glob"
	fail=1
elif [ "$defined" != "$listed" ]; then
	echo "FAIL version script and WW_API functions differ:"
	diff <(printf '%s\n' "$defined") <(printf '%s\n' "$listed") | grep '^[<>]'
	fail=1
else
	echo "PASS version script lists the $(printf '%s\n' "$listed" | wc -l) public symbols"
fi

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = "libwritewatch.so.0" ]; then
	echo "PASS soname $soname"
else
	echo "FAIL soname: '$soname'"
	fail=1
fi

missing=""
for f in $(grep -ho '\bww_[a-z0-9_]*(' include/writewatch.h | tr -d '(' | sort -u); do
	[ -e "man/$f.3" ] || missing="$missing $f"
done
if [ -e include/writewatch/win32.h ] && [ ! -e man/writewatch_win32.3 ]; then
	missing="$missing writewatch_win32"
fi
[ -e man/writewatch.1 ] || missing="$missing writewatch(1)"
if [ -n "$missing" ]; then
	echo "FAIL man pages missing:$missing"
	fail=1
else
	echo "PASS man pages cover the public API"
fi
exit $fail
