/* SPDX-License-Identifier: MIT */
/*
 * A known page layout for the page-map tests (core_pagemap, cli_pages): an
 * anonymous area with written, read-only (zero page), untouched and guard
 * pages, a shared memfd with some pages written, and a 1 TiB sparse
 * reservation with three pages written far apart.  Every count the tests
 * expect follows from the layout, in base pages.
 */
#ifndef PAGEMAP_LAYOUT_H
#define PAGEMAP_LAYOUT_H

#include <sys/mman.h>

#include "tt.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define PL_ANON_PAGES   64
#define PL_WRITTEN      10      /* pages [0, 10) written */
#define PL_READ         7       /* pages [10, 17) only read: the zero page */
#define PL_GUARD_AT     60      /* pages [60, 62) guards, where the kernel has them */
#define PL_GUARDS       2
#define PL_FILE_PAGES   8
#define PL_FILE_WRITTEN 3       /* memfd pages [0, 3) written */
#define PL_SPARSE_LEN   (1ULL << 40)
#define PL_SPARSE_WRITTEN 3

/*
 * Private anonymous read-write memory between two PROT_NONE pages, so that
 * the kernel cannot merge it with a neighbour: it is one mapping of its own.
 */
static inline char *pl_map_alone(size_t len, int extra)
{
	size_t pg = TT_PAGE;
	char *p = mmap(NULL, len + 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mmap(p + pg, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | extra,
		 -1, 0) == MAP_FAILED)
		return NULL;
	return p + pg;
}

struct pl_layout {
	char *anon, *file, *sparse;
	int guards;             /* PL_GUARDS, or 0 when MADV_GUARD_INSTALL is refused */
};

static inline void pl_build(struct pl_layout *l)
{
	size_t pg = TT_PAGE, i;
	volatile char sink = 0;
	int fd;

	l->anon = pl_map_alone(PL_ANON_PAGES * pg, 0);
	tt_check(l->anon, "mmap: %s", strerror(errno));
	/* Small pages whatever the THP mode: the counts are per base page. */
	madvise(l->anon, PL_ANON_PAGES * pg, MADV_NOHUGEPAGE);
	for (i = 0; i < PL_WRITTEN; i++)
		l->anon[i * pg] = 1;
	for (i = PL_WRITTEN; i < PL_WRITTEN + PL_READ; i++)
		sink += l->anon[i * pg];
	(void)sink;
	l->guards = madvise(l->anon + PL_GUARD_AT * pg, PL_GUARDS * pg, MADV_GUARD_INSTALL) ?
		    0 : PL_GUARDS;

	fd = memfd_create("pl-file", MFD_CLOEXEC);
	tt_check(fd >= 0 && !ftruncate(fd, PL_FILE_PAGES * pg), "memfd: %s", strerror(errno));
	l->file = mmap(NULL, PL_FILE_PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	tt_check(l->file != MAP_FAILED, "mmap memfd: %s", strerror(errno));
	close(fd);
	for (i = 0; i < PL_FILE_WRITTEN; i++)
		l->file[i * pg] = 1;

	l->sparse = pl_map_alone(PL_SPARSE_LEN, MAP_NORESERVE);
	if (!l->sparse)
		tt_skip("a 1 TiB MAP_NORESERVE reservation is refused here: %s", strerror(errno));
	madvise(l->sparse, PL_SPARSE_LEN, MADV_NOHUGEPAGE);
	l->sparse[0] = 1;
	l->sparse[PL_SPARSE_LEN / 2] = 1;
	l->sparse[PL_SPARSE_LEN - pg] = 1;
}

#endif /* PAGEMAP_LAYOUT_H */
