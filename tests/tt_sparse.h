/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the sparse-range tests (conf_sparse*): a large never-touched
 * mapping, the written pages of a range as page indexes (through
 * ww_get_regions, which needs no array the size of the range), and the
 * page-table memory of the process.
 */
#ifndef TT_SPARSE_H
#define TT_SPARSE_H

#include <stdint.h>
#include <sys/mman.h>

#include "tt.h"
#include "../src/uffd_async_debug.h"

/* len bytes of never-touched private anonymous memory in small pages, or NULL. */
static inline char *tts_map(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Small pages whatever the machine's THP mode (conf_sparse_thp tests THP). */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* The written pages of [base, base+len) as page indexes into idx (ascending); their number. */
static inline size_t tts_written(struct ww_tracker *t, char *base, size_t len, unsigned flags,
				 size_t *idx, size_t max)
{
	struct ww_region regs[64];
	char *at = base, *end = base + len;
	size_t n = 0;

	while (at < end) {
		void *next = NULL;
		ssize_t got = ww_get_regions(t, at, (size_t)(end - at), regs, 64, flags, &next);

		if (got < 0)
			tt_fail("ww_get_regions: %s", strerror((int)-got));
		for (ssize_t i = 0; i < got; i++)
			for (uint64_t a = regs[i].start; a < regs[i].end; a += TT_PAGE) {
				if (n == max)
					tt_fail("more than %zu pages reported", max);
				idx[n++] = (size_t)((char *)(uintptr_t)a - base) / TT_PAGE;
			}
		if ((char *)next <= at && !got)
			tt_fail("ww_get_regions made no progress");
		at = next;
	}
	return n;
}

/* Exactly the ascending page indexes want[0..nwant) must be reported. */
static inline void tts_expect(struct ww_tracker *t, char *base, size_t len, unsigned flags,
			      const size_t *want, size_t nwant, const char *what)
{
	size_t got[1024], n = tts_written(t, base, len, flags, got, 1024);

	for (size_t i = 0; i < n || i < nwant; i++) {
		if (i >= n || i >= nwant || got[i] != want[i])
			tt_fail("%s: reported %zu pages, want %zu; first difference at #%zu: "
				"page %zd, want page %zd", what, n, nwant, i,
				i < n ? (ssize_t)got[i] : -1, i < nwant ? (ssize_t)want[i] : -1);
	}
}

/* VmPTE of this process, in KiB (-1 if unknown). */
static inline long tts_vmpte_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* On uffd-async, a range of private anonymous memory without THP arms populated-only. */
static inline void tts_check_mode(struct ww_tracker *t, void *addr, int want)
{
	int m;

	if (strcmp(ww_backend_name(t), "uffd-async"))
		return;
	m = ww_async_debug_sparse(t, addr);
	tt_check(m == want, "uffd-async arms %p %s, want %s", addr,
		 m == 1 ? "populated-only" : m == 0 ? "with markers" : "(not watched)",
		 want ? "populated-only" : "with markers");
}

#endif /* TT_SPARSE_H */
