/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the tests/win32_*.c programs (on top of tt.h).  The
 * tests use the Windows names, as Windows code would; the backend under
 * test is the one WRITEWATCH_BACKEND names (the Win32 layer opens its
 * tracker with WW_BACKEND_AUTO).
 */
#ifndef WIN32_TT_H
#define WIN32_TT_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "tt.h"
#include "writewatch/win32.h"

/* The page size, from the system, never assumed. */
#define WPG TT_PAGE

/* VirtualAlloc that must succeed; a write-watch allocation skips when the backend is missing. */
static inline char *wt_alloc(void *addr, SIZE_T size, DWORD type, DWORD prot)
{
	char *p = VirtualAlloc(addr, size, type, prot);

	if (!p && (type & MEM_WRITE_WATCH) && GetLastError() == ERROR_NOT_SUPPORTED)
		tt_skip("backend %s not available here", tt_backend());
	if (!p)
		tt_fail("VirtualAlloc(%p, %zu, %#x, %#x): error %u", addr, (size_t)size,
			(unsigned)type, (unsigned)prot, (unsigned)GetLastError());
	return p;
}

/* A call that must fail: expr returns bad, GetLastError() is err. */
#define wt_fails(expr, bad, err) do { \
	SetLastError(0xdeadbeef); \
	long long _v = (long long)(uintptr_t)(expr); \
	DWORD _e = GetLastError(); \
	if (_v != (long long)(uintptr_t)(bad)) \
		tt_fail("%s = %lld, want failure %lld", #expr, _v, (long long)(uintptr_t)(bad)); \
	if (_e != (DWORD)(err)) \
		tt_fail("%s: error %u, want %u (%s)", #expr, (unsigned)_e, (unsigned)(err), #err); \
} while (0)

/* A GetWriteWatch / ResetWriteWatch that must succeed. */
#define wt_ok(expr) do { \
	UINT _r = (expr); \
	if (_r != 0) \
		tt_fail("%s = %u, error %u", #expr, (unsigned)_r, (unsigned)GetLastError()); \
} while (0)

/*
 * GetWriteWatch(flags, base, size) with capacity cap must return exactly
 * the nwant pages in want[] (ascending), with granularity WPG.
 */
static inline void wt_expect(DWORD flags, void *base, SIZE_T size, ULONG_PTR cap,
			     void *const *want, size_t nwant, const char *what)
{
	void **got = calloc(cap + 1, sizeof(void *));
	ULONG_PTR count = cap;
	ULONG gran = 0;
	size_t i;

	if (!got)
		tt_fail("out of memory");
	if (GetWriteWatch(flags, base, size, got, &count, &gran))
		tt_fail("%s: GetWriteWatch failed, error %u", what, (unsigned)GetLastError());
	if (gran != WPG)
		tt_fail("%s: granularity %u", what, (unsigned)gran);
	if (count != nwant) {
		fprintf(stderr, "%s: got", what);
		for (i = 0; i < count && i < 16; i++)
			fprintf(stderr, " +%#lx", (unsigned long)((char *)got[i] - (char *)base));
		fprintf(stderr, "\n");
		tt_fail("%s: %zu pages reported, want %zu", what, (size_t)count, nwant);
	}
	for (i = 0; i < nwant; i++)
		if (got[i] != want[i])
			tt_fail("%s: result %zu is %p (+%#lx), want %p", what, i, got[i],
				(unsigned long)((char *)got[i] - (char *)base), want[i]);
	free(got);
}

/* Pages of base given by index, for wt_expect: P(base, 1, 4) etc. */
#define WT_PAGES(base, ...) ({ \
	static const size_t _idx[] = { __VA_ARGS__ }; \
	static void *_p[sizeof(_idx) / sizeof(_idx[0])]; \
	for (size_t _k = 0; _k < sizeof(_idx) / sizeof(_idx[0]); _k++) \
		_p[_k] = (char *)(base) + _idx[_k] * WPG; \
	_p; })
#define WT_N(...) (sizeof((size_t[]){ __VA_ARGS__ }) / sizeof(size_t))

/*
 * GetWriteWatch(flags, start, size) with capacity 64 must report exactly
 * pages idx... counted from base (the allocation).
 */
#define wt_expect_sub(flags, base, start, size, what, ...) \
	wt_expect(flags, start, size, 64, WT_PAGES(base, __VA_ARGS__), WT_N(__VA_ARGS__), what)
/* The same over a range starting at base. */
#define wt_expect_pages(flags, base, size, what, ...) \
	wt_expect_sub(flags, base, base, size, what, __VA_ARGS__)
/* Expect no page written. */
#define wt_expect_none(flags, base, size, what) \
	wt_expect(flags, base, size, 64, NULL, 0, what)

/*
 * Compare GetWriteWatch (no reset) over npages pages with truth[] (nonzero:
 * written), using a result array that is not in watched memory.
 */
static inline void wt_expect_truth(char *base, size_t npages, const unsigned char *truth,
				   const char *what)
{
	void **want = calloc(npages + 1, sizeof(void *));
	size_t n = 0, i;

	if (!want)
		tt_fail("out of memory");
	for (i = 0; i < npages; i++)
		if (truth[i])
			want[n++] = base + i * WPG;
	wt_expect(0, base, npages * WPG, npages, want, n, what);
	free(want);
}

/* 1 if a child process touching p (write or read) dies of SIGSEGV, else 0. */
static inline int wt_access_faults(volatile char *p, int write)
{
	pid_t pid = fork();
	int st;

	tt_check(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		/* No handler (a backend's, a sanitizer's) may stand between us and the fault. */
		signal(SIGSEGV, SIG_DFL);
		if (write)
			*p = 1;
		else
			(void)*p;
		_exit(0);
	}
	tt_check(waitpid(pid, &st, 0) == pid, "waitpid");
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
}

#endif /* WIN32_TT_H */
