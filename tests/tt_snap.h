/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the snapshot tests: a reference copy of a range taken beside
 * ww_snapshot_take(), random page operations that record which pages they
 * changed, and a byte-for-byte check after each restore.
 */
#ifndef TT_SNAP_H
#define TT_SNAP_H

#include <fcntl.h>
#include <sys/uio.h>
#include "tt.h"

struct tt_snap {
	struct ww_tracker *t;
	struct ww_snapshot *s;
	char *mem;
	size_t npages;
	size_t gran;                    /* tracking unit */
	char *ref;                      /* content at take */
	unsigned char *hole;            /* 1: page was not resident at take (anon private) */
	unsigned char *touched;         /* pages changed since the last restore */
	unsigned long long seed;
};

static inline size_t tt_snap_len(const struct tt_snap *x)
{
	return x->npages * x->gran;
}

/* Residency of each base page of [p, p+len) (mincore). */
static inline void tt_resident(const char *p, size_t len, unsigned char *vec)
{
	if (mincore((void *)p, len, vec))
		tt_fail("mincore: %s", strerror(errno));
}

/*
 * Reference copy, then the snapshot (writers are quiescent: this thread
 * only).  Copying the range maps the zero page into its holes; with
 * keep_holes, holes are not read (they are zeros) and stay holes at take.
 */
static inline void tt_snap_take_as(struct tt_snap *x, int sparse, int keep_holes)
{
	size_t len = tt_snap_len(x), i;
	unsigned char *vec = malloc(len / TT_PAGE);

	x->ref = calloc(len, 1);
	x->hole = calloc(x->npages, 1);
	x->touched = calloc(x->npages, 1);
	tt_check(x->ref && x->hole && x->touched && vec, "oom");
	tt_resident(x->mem, len, vec);
	for (i = 0; sparse && i < x->npages; i++)
		x->hole[i] = !(vec[i * (x->gran / TT_PAGE)] & 1);
	for (i = 0; i < x->npages; i++)
		if (!keep_holes || !x->hole[i])
			memcpy(x->ref + i * x->gran, x->mem + i * x->gran, x->gran);
	tt_ok(ww_snapshot_take(x->t, x->mem, len, &x->s));
	free(vec);
}

static inline void tt_snap_take(struct tt_snap *x, int sparse)
{
	tt_snap_take_as(x, sparse, 0);
}

static inline void tt_snap_write(struct tt_snap *x, size_t pg)
{
	size_t off = tt_rand(&x->seed) % x->gran;

	x->mem[pg * x->gran + off] = (char)(tt_rand(&x->seed) | 1);
	x->touched[pg] = 1;
}

/* A kernel write: read(2) from a pipe into page pg (prepared first, for mprotect). */
static inline void tt_snap_kwrite(struct tt_snap *x, size_t pg)
{
	char buf[64];
	size_t len = sizeof(buf), off = tt_rand(&x->seed) % (x->gran - len);
	int p[2];

	memset(buf, (int)(tt_rand(&x->seed) | 1), len);
	tt_check(pipe(p) == 0 && write(p[1], buf, len) == (ssize_t)len, "pipe");
	tt_ok(ww_prepare_write(x->t, x->mem + pg * x->gran, x->gran));
	tt_ret(read(p[0], x->mem + pg * x->gran + off, len), len);
	close(p[0]);
	close(p[1]);
	x->touched[pg] = 1;
}

/*
 * MADV_DONTNEED: uffd-async sees the drop (the page reads as written); the
 * other backends do not, and ww_snapshot_restore(3) asks for
 * ww_prepare_write() on the dropped pages there.
 */
static inline void tt_snap_drop(struct tt_snap *x, size_t pg)
{
	char *p = x->mem + pg * x->gran;

	tt_ok(madvise(p, x->gran, MADV_DONTNEED));
	if (strcmp(ww_backend_name(x->t), "uffd-async"))
		tt_ok(ww_prepare_write(x->t, p, x->gran));
	x->touched[pg] = 1;
}

/*
 * Restore; check the count against the pages changed (exact: a page is
 * reported only once written or dropped; at least: THP and the like may
 * report more), that changed holes are holes again, then every byte.
 */
static inline void tt_snap_restore_check(struct tt_snap *x, int exact, const char *what)
{
	size_t len = tt_snap_len(x), want = 0, i;
	unsigned char *vec = malloc(len / TT_PAGE);
	ssize_t n;

	tt_check(vec != NULL, "oom");
	for (i = 0; i < x->npages; i++)
		want += x->touched[i];
	n = ww_snapshot_restore(x->s);
	tt_check(n >= 0, "%s: ww_snapshot_restore: %s", what, strerror((int)-n));
	tt_check(exact ? (size_t)n == want : (size_t)n >= want,
		 "%s: %zd pages restored, %zu changed", what, n, want);
	tt_resident(x->mem, len, vec);
	for (i = 0; i < x->npages; i++)
		tt_check(!x->touched[i] || !x->hole[i] || !(vec[i * (x->gran / TT_PAGE)] & 1),
			 "%s: page %zu was a hole at take, is resident after restore", what, i);
	for (i = 0; i < len; i++)
		if (x->mem[i] != x->ref[i])
			tt_fail("%s: byte %zu (page %zu) is %d, was %d at take", what, i,
				i / x->gran, x->mem[i], x->ref[i]);
	memset(x->touched, 0, x->npages);
	/* Nothing changed since: a second restore has nothing to do. */
	tt_ret(ww_snapshot_restore(x->s), 0);
	free(vec);
}

static inline void tt_snap_done(struct tt_snap *x)
{
	ww_snapshot_free(x->s);
	free(x->ref);
	free(x->hole);
	free(x->touched);
}

/* Fill some pages with random bytes and leave the others untouched. */
static inline void tt_fill_some(char *mem, size_t npages, size_t gran, unsigned long long *seed,
				unsigned every)
{
	for (size_t i = 0; i < npages; i++) {
		if (tt_rand(seed) % every)
			continue;
		for (size_t j = 0; j < gran; j += 8)
			*(unsigned long long *)(mem + i * gran + j) = tt_rand(seed);
	}
}

/*
 * x->mem: npages base pages of private anonymous memory, about one page in
 * every filled with random bytes, the others left holes.  Base pages
 * throughout: a THP would make first touches report 512 pages.
 */
static inline void tt_snap_map_some(struct tt_snap *x, unsigned every)
{
	size_t len = tt_snap_len(x);

	x->mem = tt_map(len);
	tt_ok(madvise(x->mem, len, MADV_NOHUGEPAGE));
	tt_fill_some(x->mem, x->npages, x->gran, &x->seed, every);
}
#endif
