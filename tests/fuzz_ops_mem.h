/* SPDX-License-Identifier: MIT */
/*
 * What the application does to watched memory in tests/fuzz_model.c:
 * stores, kernel writes (read(2) from a pipe), MADV_DONTNEED, its own
 * mprotect, munmap, mmap (new and MAP_FIXED over watched memory), mremap,
 * fork, closing and reopening the tracker, and the writer threads.  Each
 * updates the model as the backend limits in writewatch(3) say.
 */
#ifndef FUZZ_OPS_MEM_H
#define FUZZ_OPS_MEM_H

#include <sys/wait.h>

#include "fuzz_model.h"
#include "fuzz_ops_api.h"
#include "fuzz_writers.h"

static void fz_starve_fault_thread(void);

static bool fz_is_mp(void) { return !strcmp(g.backend, "mprotect"); }
static bool fz_is_sync(void) { return !strcmp(g.backend, "uffd-sync"); }
static bool fz_is_async(void) { return !strcmp(g.backend, "uffd-async"); }

/* A stretch [a, b) of at most maxlen pages where pred holds; half the time inside a range. */
static bool fz_pick_span(bool (*pred)(size_t), size_t maxlen, size_t *a, size_t *b)
{
	for (int tries = 0; tries < 16; tries++) {
		size_t i = fz_rand(g.npages), n = 1 + fz_rand(maxlen), j;

		if (g.nr && fz_rand(2)) {
			const struct fz_range *r = &g.r[fz_rand(g.nr)];

			i = r->a + fz_rand(r->b - r->a);
		}
		if (!pred(i))
			continue;
		for (j = i; j < g.npages && j - i < n && pred(j); j++)
			;
		*a = i;
		*b = j;
		return true;
	}
	return false;
}

static bool fz_movable(size_t i) { return g.pg[i].mapped && !g.pg[i].writer; }
/* A hole nobody watches; a hole inside a watched range is a "hole" too, for remap. */
static bool fz_is_free(size_t i) { return !g.pg[i].mapped && !g.pg[i].watched; }
static bool fz_is_hole(size_t i) { return !g.pg[i].mapped && g.pg[i].watched; }

/* A store by this thread to page i. */
static void fz_store(size_t i)
{
	*(volatile char *)(fz_addr(i) + fz_rand(g.page)) = (char)g.op;
	if (g.pg[i].watched && g.pg[i].st != FZ_UNTRACKED)
		g.pg[i].st = FZ_DIRTY;
}

static void fz_op_write(void)
{
	size_t a, b;
	bool sparse = fz_rand(2);

	if (!fz_pick_span(fz_writable, 32, &a, &b))
		return;
	fz_log(false, "write [%zu,%zu)%s", a, b, sparse ? " sparse" : "");
	for (size_t i = a; i < b; i++)
		if (!sparse || fz_rand(2))
			fz_store(i);
}

/* The kernel can surely store into page i: the backend sees it, or nothing protects it. */
static bool fz_kernel_can(size_t i)
{
	const struct fz_page *p = &g.pg[i];

	return !p->watched || g.sees_kernel || (p->st == FZ_DIRTY && fz_page_live(i));
}

static bool fz_prepare_ok(size_t i) { return g.pg[i].watched && fz_page_live(i); }

/* read(2) from a pipe into [a, b): returns the bytes the kernel stored. */
static size_t fz_kernel_write(size_t a, size_t b, size_t off, size_t len)
{
	static char junk[1 << 16];
	char *dst = fz_addr(a) + off;
	size_t need = len;
	ssize_t r, w = write(g.pipefd[1], junk, len);

	if (w != (ssize_t)len)
		tt_fail("pipe write of %zu bytes: %zd (%s)", len, w, strerror(errno));
	for (size_t i = a; i < b; i++) {
		if (!fz_kernel_can(i)) {
			size_t upto = fz_addr(i) > dst ? (size_t)(fz_addr(i) - dst) : 0;

			need = upto < need ? upto : need;
			break;
		}
	}
	/* A pipe hands over whole buffers: a fault inside one returns none of it. */
	need -= need % g.page;
	r = read(g.pipefd[0], dst, len);
	if (r < 0 && (errno != EFAULT || need))
		fz_fail("read(2) into pages [%zu,%zu): %s; the first %zu bytes were writable",
			a, b, strerror(errno), need);
	if (r >= 0 && ((size_t)r < need || (size_t)r > len))
		fz_fail("read(2) into pages [%zu,%zu) stored %zd of %zu bytes, at least %zu "
			"were writable", a, b, r, len, need);
	if ((r < 0 ? 0 : (size_t)r) < len &&
	    read(g.pipefd[0], junk, len - (r < 0 ? 0 : (size_t)r)) < 0)
		tt_fail("pipe drain: %s", strerror(errno));
	return r < 0 ? 0 : (size_t)r;
}

static void fz_op_kwrite(void)
{
	size_t a, b, off, len, got;
	bool prep;

	if (!fz_pick_span(fz_writable, 8, &a, &b))
		return;
	prep = fz_all(a, b, fz_prepare_ok) && (g.sees_kernel ? !fz_rand(4) : fz_rand(4));
	off = fz_rand(g.page);
	len = (b - a) * g.page - off;
	len -= fz_rand(len < g.page ? len : g.page);
	fz_log(false, "kernel write [%zu,%zu) +%zu len %zu%s", a, b, off, len,
	       prep ? " after prepare_write" : "");
	if (prep) {
		fz_want(ww_prepare_write(g.t, fz_addr(a), (b - a) * g.page), 0,
			"ww_prepare_write(kernel write buffer)");
		for (size_t i = a; i < b; i++)
			g.pg[i].st = FZ_DIRTY;
	}
	got = fz_kernel_write(a, b, off, len);
	fz_log(true, "kernel write [%zu,%zu) +%zu len %zu%s -> %zu", a, b, off, len,
	       prep ? " after prepare_write" : "", got);
	/* What the kernel stored is a write: seen, or it could not have stored it. */
	for (size_t i = a; got && i < b && fz_addr(i) < fz_addr(a) + off + got; i++)
		if (g.pg[i].watched && g.pg[i].st != FZ_UNTRACKED)
			g.pg[i].st = FZ_DIRTY;
}

static bool fz_is_watched_private(size_t i) { return fz_is_private(i) && g.pg[i].watched; }

static void fz_op_dontneed(void)
{
	size_t a, b;

	if (g.thp && !fz_rand(3)) {    /* a whole THP, watched if one is */
		if (!fz_pick_zone(fz_is_watched_private, &a) && !fz_pick_zone(fz_is_private, &a))
			return;
		b = a + g.zone_pages;
	} else if (!fz_pick_span(fz_is_private, 64, &a, &b)) {
		return;
	}
	fz_log(false, "madvise DONTNEED [%zu,%zu)", a, b);
	if (madvise(fz_addr(a), (b - a) * g.page, MADV_DONTNEED))
		tt_fail("madvise: %s", strerror(errno));
	for (size_t i = a; i < b; i++) {
		struct fz_page *p = &g.pg[i];

		if (!p->watched || p->st == FZ_UNTRACKED)
			continue;
		/*
		 * Dropped pages read as written if they held memory when last
		 * armed; one that did not (populated-only mode), written and
		 * dropped since, holds zeroes again and reads as untouched.
		 * That takes a writer thread's writes with it too: only
		 * those that start after the drop must be reported.
		 */
		if (fz_is_async()) {
			p->st = FZ_MAYBE;
			p->s_re = atomic_load(&g.started[i]);
		} else if (fz_is_sync()) {
			p->st = FZ_UNTRACKED;   /* protection dropped until ww_reset */
		}
	}
}

static void fz_op_protect(void)
{
	bool ro = fz_rand(2);
	size_t a, b;

	if (!fz_pick_span(ro ? fz_movable : fz_is_mapped, 32, &a, &b))
		return;
	fz_log(false, "mprotect [%zu,%zu) %s", a, b, ro ? "PROT_READ" : "PROT_READ|PROT_WRITE");
	if (mprotect(fz_addr(a), (b - a) * g.page, ro ? PROT_READ : PROT_READ | PROT_WRITE))
		tt_fail("mprotect: %s", strerror(errno));
	for (size_t i = a; i < b; i++) {
		struct fz_page *p = &g.pg[i];

		p->ro = ro;
		p->unsure = 0;
		/* mprotect backend: a page the application makes writable is not seen. */
		if (!ro && fz_is_mp() && p->watched && p->st != FZ_DIRTY)
			p->st = FZ_UNTRACKED;
	}
}

/* Watched pages [a, b) stop being the watched mapping. */
static void fz_replaced(size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		if (g.pg[i].watched) {
			g.pg[i].replaced = 1;
			g.pg[i].st = FZ_UNTRACKED;
		}
	}
}

static void fz_op_munmap(void)
{
	size_t a, b;

	if (!fz_pick_span(fz_movable, 24, &a, &b))
		return;
	fz_log(false, "munmap [%zu,%zu)", a, b);
	if (munmap(fz_addr(a), (b - a) * g.page))
		tt_fail("munmap: %s", strerror(errno));
	fz_replaced(a, b);
	for (size_t i = a; i < b; i++)
		g.pg[i].mapped = g.pg[i].ro = g.pg[i].unsure = g.pg[i].stale = 0;
}

/* Map [a, b) as kind; fixed: over whatever is there (MAP_FIXED), else only into a hole. */
static bool fz_map(size_t a, size_t b, int kind, bool fixed)
{
	int fl = (kind == FZ_SHARED ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
		 (fixed ? MAP_FIXED : MAP_FIXED_NOREPLACE);
	void *p = mmap(fz_addr(a), (b - a) * g.page, PROT_READ | PROT_WRITE, fl, -1, 0);

	if (p == MAP_FAILED && errno == EEXIST)
		return false;   /* someone else's mapping took the hole: leave it */
	if (p != fz_addr(a))
		tt_fail("mmap(%p): %s", (void *)fz_addr(a), strerror(errno));
	fz_replaced(a, b);
	for (size_t i = a; i < b; i++) {
		struct fz_page *p2 = &g.pg[i];

		p2->mapped = 1;
		p2->kind = (unsigned char)kind;
		p2->ro = p2->unsure = p2->stale = 0;
	}
	if (kind == FZ_THP) {
		madvise(fz_addr(a), (b - a) * g.page, MADV_HUGEPAGE);
		memset(fz_addr(a), 1, (b - a) * g.page);        /* fault the huge pages in */
	}
	return true;
}

static void fz_op_map(void)
{
	int kind = (int)fz_rand(FZ_KINDS);
	size_t a, b;

	if (kind == FZ_THP && !g.thp)
		kind = FZ_ANON;
	if (kind == FZ_THP) {
		a = fz_rand(FZ_ZONES) * g.zone_pages;
		b = a + g.zone_pages * (1 + fz_rand(2));
		if (b > g.npages || !fz_all(a, b, fz_is_free))
			return;
	} else if (!fz_pick_span(fz_is_free, 1 + fz_rand(128), &a, &b)) {
		return;
	}
	fz_log(false, "mmap [%zu,%zu) %s", a, b,
	       kind == FZ_THP ? "THP" : kind == FZ_SHARED ? "shared" : "anon");
	if (!fz_map(a, b, kind, false))
		fz_log(true, "mmap [%zu,%zu): address taken by another mapping, skipped", a, b);
}

/* Map again into a hole of a watched range before any call noticed the hole. */
static void fz_op_remap(void)
{
	size_t a, b;

	if (!fz_pick_span(fz_is_hole, 64, &a, &b))
		return;
	fz_log(false, "mmap [%zu,%zu) into the hole of a watched range", a, b);
	fz_map(a, b, FZ_ANON, false);
}

static void fz_op_replace(void)
{
	int kind = fz_rand(2) ? FZ_ANON : FZ_SHARED;
	size_t a, b;

	if (g.nr && fz_rand(2)) {       /* a whole watched range, or its tail */
		const struct fz_range *r = &g.r[fz_rand(g.nr)];

		a = fz_rand(2) ? r->a : r->a + fz_rand(r->b - r->a);
		b = r->b;
		if (!fz_all(a, b, fz_movable))
			return;
	} else if (!fz_pick_span(fz_movable, 16, &a, &b)) {
		return;
	}
	fz_log(false, "mmap MAP_FIXED over [%zu,%zu) %s", a, b, kind ? "shared" : "anon");
	fz_map(a, b, kind, true);
}

/*
 * The protection moved pages keep (mprotect: not written since the reset:
 * read-only).  live: the source's range was the original mapping before the
 * move; if not, the library's resets still protected its pages although the
 * model stopped following them, so their protection is unknown.
 */
static void fz_moved_prot(struct fz_page *dst, const struct fz_page *src, bool live)
{
	dst->ro = src->ro;
	dst->unsure = src->unsure;
	if (!fz_is_mp() || !src->watched)
		return;
	if (!live || src->replaced || (src->st != FZ_CLEAN && src->st != FZ_DIRTY))
		dst->unsure = 1;
	else if (src->st == FZ_CLEAN)
		dst->ro = 1;
}

/* Page a moved to d (its model goes along; a watched source is gone from its range). */
static void fz_move_page(size_t a, size_t d, bool live)
{
	struct fz_page *dst = &g.pg[d], *src = &g.pg[a];

	dst->mapped = 1;
	dst->kind = src->kind;
	fz_moved_prot(dst, src, live);
	fz_replaced(a, a + 1);
	src->mapped = src->ro = src->unsure = src->stale = 0;
}

static bool fz_page_mapped_now(size_t i)
{
	return msync(fz_addr(i), g.page, MS_ASYNC) == 0;
}

static void fz_op_mremap(void)
{
	size_t a, b, d = 0, n;
	bool live[16];
	void *p;
	int tries;

	if (!fz_pick_span(fz_movable, 16, &a, &b))
		return;
	n = b - a;
	for (size_t j = 0; j < n; j++)  /* before any page moves: moving one replaces its range */
		live[j] = fz_page_live(a + j);
	for (tries = 0; tries < 16; tries++) {
		d = fz_rand(g.npages - n + 1);
		if (fz_all(d, d + n, fz_is_free))
			break;
	}
	if (tries == 16)
		return;
	fz_log(false, "mremap [%zu,%zu) to %zu", a, b, d);
	p = mremap(fz_addr(a), n * g.page, n * g.page, MREMAP_MAYMOVE | MREMAP_FIXED, fz_addr(d));
	if (p != MAP_FAILED) {
		for (size_t j = 0; j < n; j++)
			fz_move_page(a + j, d + j, live[j]);
		return;
	}
	/* A move over several VMAs may stop part way (Linux 6.17+): see what moved. */
	fz_log(true, "mremap [%zu,%zu) to %zu: %s", a, b, d, strerror(errno));
	for (size_t j = 0; j < n; j++) {
		bool at_src = fz_page_mapped_now(a + j), at_dst = fz_page_mapped_now(d + j);

		if (at_dst && !at_src)
			fz_move_page(a + j, d + j, live[j]);
		else if (at_dst || !at_src)
			tt_fail("mremap failed and left page %zu mapped %d, %zu mapped %d",
				a + j, at_src, d + j, at_dst);
	}
}

/* In the child: the tracker is the parent's, the memory is the child's to use. */
static void fz_child(void)
{
	void *pages[1];
	char *a = g.base;

	fz_log(false, "in the fork child");
	fz_want(ww_get(g.t, a, g.page, pages, 1, 0), -ECHILD, "child: ww_get");
	fz_want(ww_reset(g.t, a, g.page), -ECHILD, "child: ww_reset");
	fz_want(ww_watch(g.t, a, g.page), -ECHILD, "child: ww_watch");
	fz_want(ww_unwatch(g.t, a, g.page), -ECHILD, "child: ww_unwatch");
	fz_want(ww_prepare_write(g.t, a, g.page), -ECHILD, "child: ww_prepare_write");
	fz_want(ww_granularity(g.t, a), -ECHILD, "child: ww_granularity");
	for (size_t i = 0; i < g.npages; i++) {
		if (!fz_writable(i) || g.pg[i].kind == FZ_SHARED)
			continue;
		fz_log(false, "child writes page %zu (watched %d)", i, g.pg[i].watched);
		*(volatile char *)fz_addr(i) = 2;
		g.pg[i].watched = 0;    /* the child's memory: its kernel writes must work */
	}
	for (size_t i = 0; i < g.npages; i++) {
		if (fz_writable(i) && g.pg[i].kind != FZ_SHARED) {
			fz_log(false, "child kernel write into page %zu", i);
			fz_kernel_write(i, i + 1, 0, g.page);
			break;
		}
	}
	ww_close(g.t);
	_exit(0);
}

static void fz_op_fork(void)
{
	int status;
	pid_t pid;

	fz_log(false, "fork");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		tt_fail("fork: %s", strerror(errno));
	if (!pid)
		fz_child();
	if (waitpid(pid, &status, 0) != pid)
		tt_fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fz_fail("the fork child could not use its memory or tracker (status %#x)", status);
}

static void fz_op_reopen(void)
{
	fz_log(false, "ww_close and ww_open");
	ww_close(g.t);
	for (size_t k = g.nr; k-- > 0;)
		fz_forget(k, g.r[k].a, g.r[k].b);
	for (size_t i = 0; i < g.npages; i++)
		g.pg[i].stale = 0;      /* closing the userfaultfd ends every registration */
	g.deferred = false;
	g.t = tt_open();
	fz_starve_fault_thread();
}

/* A watched page that is write-protected now: its next store faults. */
static bool fz_is_armed(size_t i)
{
	return fz_writable(i) && g.pg[i].watched && g.pg[i].st == FZ_CLEAN && fz_page_live(i);
}

/*
 * A burst: every writer stores to one or two pages at once (several faults on
 * one protected page), then they stop, and a reset and a get follow at once:
 * a fault handled late must not undo the reset.
 */
static void fz_op_burst(void)
{
	size_t set[2], a, b, n;
	unsigned long want = 0;
	struct fz_call c;

	if (fz_writers_active() || !fz_pick_span(fz_is_armed, 1 + fz_rand(2), &a, &b))
		return;
	n = b - a;
	for (size_t j = 0; j < n; j++) {
		set[j] = a + j;
		want += atomic_load(&g.finished[a + j]);
	}
	want += FZ_WRITERS;
	fz_log(false, "writers burst on [%zu,%zu)", a, b);
	fz_writers_start(set, n);
	for (;;) {      /* until each writer could have stored once; a hang is the watchdog's */
		unsigned long done = 0;

		for (size_t j = 0; j < n; j++)
			done += atomic_load(&g.finished[a + j]);
		if (done >= want)
			break;
		sched_yield();
	}
	fz_writers_stop();
	c = (struct fz_call){ a, b, fz_addr(a), n * g.page };
	if (!fz_all(a, b, fz_page_live))
		return;
	fz_reset_at(&c, false);
	fz_get_at(&c);
}

/*
 * mprotect: once a writer's page is in a range that is gone or replaced, any
 * call that drops the range (get, reset, unwatch, close) may leave the page
 * read-only (a replacement is not ours to restore): stop the writers first.
 */
static void fz_writers_guard(void)
{
	if (!fz_is_mp() || !fz_writers_active())
		return;
	for (size_t j = 0; j < fw.nset; j++) {
		long k = fz_range_of(fw.set[j]);

		if (k >= 0 && fz_status((size_t)k) != FZ_LIVE) {
			fz_log(false, "writers stop (page %zu is in a range that is not the watched "
			       "mapping any more)", fw.set[j]);
			fz_writers_stop();
			return;
		}
	}
}

static void fz_op_writers(void)
{
	size_t set[FZ_WSET], a, b, n = 0;

	if (fz_writers_active()) {
		fz_log(false, "writers stop");
		fz_writers_stop();
		return;
	}
	if (!fz_pick_span(fz_writable, 64, &a, &b))
		return;
	n = fz_rand(3) ? 1 + fz_rand(FZ_WSET) : 1;     /* often all on one page */
	for (size_t j = 0; j < n; j++)
		set[j] = a + fz_rand(b - a);
	fz_log(false, "writers start on %zu page(s) of [%zu,%zu), first %zu", n, a, b, set[0]);
	fz_writers_start(set, n);
}

#endif /* FUZZ_OPS_MEM_H */
