/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the tests/mprotect_*.c programs (on top of tt.h): they look
 * at /proc/self/maps to check the protections the mprotect backend leaves.
 */
#ifndef MPROTECT_TT_H
#define MPROTECT_TT_H

#include <stdbool.h>
#include <stdint.h>
#include "tt.h"

/* These tests concern the mprotect backend only. */
static inline void mt_require_mprotect(void)
{
	if (!tt_backend_is("mprotect"))
		tt_skip("mprotect backend only (WRITEWATCH_BACKEND=%s)", tt_backend());
}

/* Calls fn(lo, hi, perms, arg) for each line of /proc/self/maps. */
static inline void mt_maps_each(void (*fn)(uintptr_t, uintptr_t, const char *, void *), void *arg)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096];

	if (!f)
		tt_fail("/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3)
			fn(lo, hi, perms, arg);
	}
	fclose(f);
}

struct mt_find { uintptr_t addr; char perms[8]; };

static inline void mt_find_cb(uintptr_t lo, uintptr_t hi, const char *perms, void *arg)
{
	struct mt_find *f = arg;

	if (f->addr >= lo && f->addr < hi)
		snprintf(f->perms, sizeof(f->perms), "%.3s", perms);
}

/* "rw-", "r--", "---" ... of the page holding addr ("" if unmapped). */
static inline const char *mt_perms(const void *addr)
{
	static struct mt_find f;

	f.addr = (uintptr_t)addr;
	f.perms[0] = 0;
	mt_maps_each(mt_find_cb, &f);
	return f.perms;
}

#define mt_expect_perms(addr, want, what) do { \
	const char *_p = mt_perms(addr); \
	if (strcmp(_p, (want))) \
		tt_fail("%s: page %p is %s, want %s", (what), (void *)(addr), _p, (want)); \
} while (0)

struct mt_count { uintptr_t a, b; size_t n; };

static inline void mt_count_cb(uintptr_t lo, uintptr_t hi, const char *perms, void *arg)
{
	struct mt_count *c = arg;

	(void)perms;
	if (lo < c->b && hi > c->a)
		c->n++;
}

/* Number of VMAs (lines of /proc/self/maps) overlapping [addr, addr+len). */
static inline size_t mt_vmas(const void *addr, size_t len)
{
	struct mt_count c = { (uintptr_t)addr, (uintptr_t)addr + len, 0 };

	mt_maps_each(mt_count_cb, &c);
	return c.n;
}

/* Page-aligned private anonymous memory with unmapped guard pages either side. */
static inline char *mt_map_isolated(size_t len)
{
	char *p = tt_map(len + 2 * TT_PAGE);

	munmap(p, TT_PAGE);
	munmap(p + TT_PAGE + len, TT_PAGE);
	return p + TT_PAGE;
}

#endif /* MPROTECT_TT_H */
