/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the standalone test programs.  Each test is one
 * program: exit 0 pass, 1 fail, 77 skip (with the reason on stderr).
 * The runner sets WRITEWATCH_BACKEND, so tt_open() tracks with the backend
 * under test; a backend this machine lacks makes the test skip.
 */
#ifndef TT_H
#define TT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"

/* The base page size, from the system (never assume 4 KiB). */
#define TT_PAGE ((size_t)sysconf(_SC_PAGESIZE))
#define TT_SKIP_CODE 77

#define tt_fail(...) do { \
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#define tt_check(cond, ...) do { if (!(cond)) tt_fail(__VA_ARGS__); } while (0)
/* An int/ssize_t call result must equal want. */
#define tt_ret(expr, want) do { long long _r = (long long)(expr), _w = (long long)(want); \
	if (_r != _w) tt_fail("%s = %lld (%s), want %lld", #expr, _r, \
		_r < 0 ? strerror((int)-_r) : "ok", _w); } while (0)
#define tt_ok(expr) tt_ret(expr, 0)

static inline void tt_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "SKIP: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(TT_SKIP_CODE);
}

/* Backend under test, from WRITEWATCH_BACKEND ("auto" when unset). */
static inline const char *tt_backend(void)
{
	const char *b = getenv("WRITEWATCH_BACKEND");

	return b && *b ? b : "auto";
}

static inline int tt_backend_is(const char *name)
{
	return !strcmp(tt_backend(), name);
}

/* Open a tracker on the backend under test; skip if this machine lacks it. */
static inline struct ww_tracker *tt_open(void)
{
	struct ww_tracker *t = NULL;
	int ret = ww_open(&t, WW_BACKEND_AUTO, 0);

	if (ret == -EOPNOTSUPP || ret == -ENOSYS)
		tt_skip("backend %s not available here: %s", tt_backend(), strerror(-ret));
	if (ret < 0)
		tt_fail("ww_open(%s): %s", tt_backend(), strerror(-ret));
	return t;
}

/* Anonymous private read-write memory, failing the test if mmap fails. */
static inline char *tt_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		tt_fail("mmap(%zu): %s", len, strerror(errno));
	return p;
}

static inline double tt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* xorshift64*: deterministic pseudo-random numbers for reproducible tests. */
static inline unsigned long long tt_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * Check that ww_get over [base, base+npages) with no reset reports exactly the
 * pages whose truth[] entry is set.
 */
static inline void tt_expect_written(struct ww_tracker *t, char *base, size_t npages,
				     const unsigned char *truth, const char *what)
{
	void **pages = calloc(npages ? npages : 1, sizeof(void *));
	size_t want = 0, i;
	ssize_t n;

	if (!pages)
		tt_fail("out of memory");
	for (i = 0; i < npages; i++)
		want += truth[i] != 0;
	n = ww_get(t, base, npages * TT_PAGE, pages, npages, 0);
	if (n < 0)
		tt_fail("%s: ww_get: %s", what, strerror((int)-n));
	if ((size_t)n != want)
		tt_fail("%s: %zd pages reported, %zu written", what, n, want);
	for (i = 0; i < (size_t)n; i++) {
		size_t idx = ((char *)pages[i] - base) / TT_PAGE;

		if (idx >= npages || !truth[idx] || (i && pages[i] <= pages[i - 1]))
			tt_fail("%s: page %zu reported but not written (or out of order)", what, idx);
	}
	free(pages);
}

/* The whole of a file the test expects to exist, NUL-terminated (free it). */
static inline char *tt_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	tt_check(f, "%s not written: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	tt_check(buf && fread(buf, 1, (size_t)n, f) == (size_t)n, "reading %s", path);
	fclose(f);
	return buf;
}

/* Skip unless transparent huge pages can back anonymous memory here. */
static inline void tt_thp_or_skip(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		tt_skip("no /sys/kernel/mm/transparent_hugepage (kernel without THP)");
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (strstr(buf, "[never]"))
		tt_skip("transparent huge pages are disabled (enabled = never)");
}

/* AnonHugePages of the mapping holding addr, in kB (0 if none). */
static inline long tt_anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in = false;
	long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return in ? kb : 0;
}

#endif /* TT_H */
