/* SPDX-License-Identifier: MIT */
/*
 * The model behind tests/fuzz_model.c: a window of the address space, the
 * state of each of its pages as the contract (README.md, the man pages) says it
 * must be, the tracker's registry as the model expects it, a trace of the
 * last operations, and the verdict on a violation.
 *
 * A page of the window is mapped or not, of one memory kind, read-only by
 * the application or not, and when watched in one of four states:
 *   CLEAN      must not be reported (unless a writer thread raced, below)
 *   DIRTY      must be reported by the next get over it
 *   MAYBE      may be reported or not; tracking goes on (a reset that failed
 *              half way, an MADV_DONTNEED'd page on uffd-async)
 *   UNTRACKED  may be reported or not, and writes to it may be missed until
 *              the next successful ww_reset (documented backend limits)
 * Writer threads do not change these states: each counts its writes to a
 * page before (started) and after (finished) the store, and the checker
 * reads the counters around each call (see fz_allowed()/fz_must()).
 */
#ifndef FUZZ_MODEL_H
#define FUZZ_MODEL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tt.h"

enum { FZ_CLEAN, FZ_DIRTY, FZ_MAYBE, FZ_UNTRACKED };
enum { FZ_ANON, FZ_THP, FZ_SHARED, FZ_KINDS };

#define FZ_ZONES        16      /* the window: 16 zones of one THP each */
#define FZ_MAX_RANGES   4096
#define FZ_TRACE        32      /* operations kept for the report */
#define FZ_TRACE_LEN    200

struct fz_page {
	unsigned char mapped;
	unsigned char kind;
	unsigned char ro;       /* the application made it read-only */
	unsigned char unsure;   /* its protection is not known: never written */
	unsigned char watched;  /* inside a range of the model's registry */
	unsigned char st;       /* FZ_CLEAN ... FZ_UNTRACKED, when watched */
	unsigned char replaced; /* watched memory unmapped or replaced since the watch */
	unsigned char stale;    /* uffd-sync: may still be registered after a drop */
	unsigned char writer;   /* in the writer threads' set */
	unsigned long f_rs;     /* writer writes finished when the last reset began */
	unsigned long s_re;     /* writer writes started when the last reset ended */
};

struct fz_range {
	size_t a, b;            /* window page indexes [a, b) */
};

enum fz_status { FZ_LIVE, FZ_GONE, FZ_REPLACED };

struct fz {
	struct ww_tracker *t;
	const char *backend;
	bool sees_kernel;       /* kernel writes into watched memory succeed and count */
	bool thp;               /* THP-backed zones can be made */
	unsigned long long seed, rng;
	unsigned long op;
	size_t page, zone_pages, npages;
	char *base;
	struct fz_page *pg;
	_Atomic unsigned long *started, *finished;
	unsigned long *fin0, *sta1;     /* counters around the current call */
	struct fz_range r[FZ_MAX_RANGES];
	size_t nr;
	bool deferred;          /* the next get owes a deferred -EFAULT */
	int pipefd[2];
	char trace[FZ_TRACE][FZ_TRACE_LEN];
	unsigned long ntrace;
	unsigned long count[32];        /* operations run, by kind */
};

static struct fz g;

static size_t fz_rand(size_t n)
{
	return n ? (size_t)(tt_rand(&g.rng) % n) : 0;
}

static char *fz_addr(size_t i)
{
	return g.base + i * g.page;
}

static size_t fz_index(const void *p)
{
	return (size_t)((const char *)p - g.base) / g.page;
}

static const char *fz_st_name(int st)
{
	static const char *const n[] = { "clean", "dirty", "maybe", "untracked" };

	return n[st & 3];
}

/* ---- trace and verdict ---- */

/* Record the current operation (replaces the last line when update). */
static void fz_log(bool update, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fz_log(bool update, const char *fmt, ...)
{
	unsigned long at = update && g.ntrace ? g.ntrace - 1 : g.ntrace++;
	char *line = g.trace[at % FZ_TRACE];
	int n = snprintf(line, FZ_TRACE_LEN, "#%lu ", g.op);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, FZ_TRACE_LEN - n, fmt, ap);
	va_end(ap);
}

/* Print the trace (oldest first) and the replay line: also used from signal handlers. */
static void fz_dump(const char *why)
{
	char buf[FZ_TRACE_LEN + 160];
	unsigned long i = g.ntrace > FZ_TRACE ? g.ntrace - FZ_TRACE : 0;
	int n;

	for (; i < g.ntrace; i++) {
		n = snprintf(buf, sizeof(buf), "  %s\n", g.trace[i % FZ_TRACE]);
		(void)!write(2, buf, n);
	}
	n = snprintf(buf, sizeof(buf), "VIOLATION at op %lu: %s\n", g.op, why);
	(void)!write(2, buf, n);
	n = snprintf(buf, sizeof(buf),
		     "seed=%llu op=%lu backend=%s; replay: FUZZ_SEED=%llu FUZZ_OPS=%lu "
		     "WRITEWATCH_BACKEND=%s\n", g.seed, g.op, g.backend, g.seed, g.op + 1,
		     g.backend);
	(void)!write(2, buf, n);
}

static void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fz_fail(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fz_dump(why);
	_exit(1);
}

static void fz_want(long long got, long long want, const char *what)
{
	if (got != want)
		fz_fail("%s returned %lld (%s), the contract says %lld", what, got,
			got < 0 ? strerror((int)-got) : "ok", want);
}

/* ---- pages and ranges ---- */

static bool fz_writable(size_t i)
{
	return g.pg[i].mapped && !g.pg[i].ro && !g.pg[i].unsure;
}

/* Every page of [a, b) satisfies pred. */
static bool fz_all(size_t a, size_t b, bool (*pred)(size_t))
{
	for (size_t i = a; i < b; i++)
		if (!pred(i))
			return false;
	return true;
}

static bool fz_any(size_t a, size_t b, bool (*pred)(size_t))
{
	for (size_t i = a; i < b; i++)
		if (pred(i))
			return true;
	return false;
}

static bool fz_is_watched(size_t i) { return g.pg[i].watched; }
static bool fz_is_unwatched(size_t i) { return !g.pg[i].watched; }
static bool fz_is_mapped(size_t i) { return g.pg[i].mapped; }
static bool fz_is_unmapped(size_t i) { return !g.pg[i].mapped; }
static bool fz_is_private(size_t i) { return g.pg[i].mapped && g.pg[i].kind != FZ_SHARED; }

/* The registry range holding page i, or -1. */
static long fz_range_of(size_t i)
{
	for (size_t k = 0; k < g.nr; k++)
		if (g.r[k].a <= i && i < g.r[k].b)
			return (long)k;
	return -1;
}

/* What the library will find over range k: holes (msync fails), a replacement, or ours. */
static enum fz_status fz_status(size_t k)
{
	enum fz_status s = FZ_LIVE;

	for (size_t i = g.r[k].a; i < g.r[k].b; i++) {
		if (!g.pg[i].mapped)
			return FZ_GONE;
		if (g.pg[i].replaced)
			s = FZ_REPLACED;
	}
	return s;
}

static bool fz_page_live(size_t i)
{
	long k = fz_range_of(i);

	return k >= 0 && fz_status((size_t)k) == FZ_LIVE;
}

/* Reset stamps of page i: the call began with fin0[i] and ended with sta1[i]. */
static void fz_stamp_reset(size_t i)
{
	g.pg[i].st = FZ_CLEAN;
	g.pg[i].f_rs = g.fin0[i];
	g.pg[i].s_re = g.sta1[i];
}

static void fz_snap_before(size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		g.fin0[i] = atomic_load(&g.finished[i]);
}

static void fz_snap_after(size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		g.sta1[i] = atomic_load(&g.started[i]);
}

/*
 * Page i may be reported by a get that ended with sta1[i]: the model says so,
 * or some writer write had not finished when its last reset began.
 */
static bool fz_allowed(size_t i)
{
	return g.pg[i].st != FZ_CLEAN || g.sta1[i] > g.pg[i].f_rs;
}

/*
 * Page i must be reported by a get that began with fin0[i]: the model says
 * so, or a writer write started after the last reset ended and finished
 * before this get began.
 */
static bool fz_must(size_t i)
{
	if (g.pg[i].st == FZ_DIRTY)
		return true;
	return g.pg[i].st != FZ_UNTRACKED && g.fin0[i] > g.pg[i].s_re;
}

/* A new range [a, b) of clean pages (the watch call was stamped by fin0/sta1). */
static void fz_range_add(size_t a, size_t b)
{
	size_t k = 0;

	if (g.nr == FZ_MAX_RANGES)
		fz_fail("model: more than %d ranges", FZ_MAX_RANGES);
	while (k < g.nr && g.r[k].a < a)
		k++;
	memmove(&g.r[k + 1], &g.r[k], (g.nr - k) * sizeof(g.r[0]));
	g.r[k] = (struct fz_range){ a, b };
	g.nr++;
	for (size_t i = a; i < b; i++) {
		g.pg[i].watched = 1;
		g.pg[i].replaced = 0;
		g.pg[i].stale = 0;
		fz_stamp_reset(i);
	}
}

/*
 * The library forgets [a, b), a part of range k, after checking whether its
 * memory is gone (holes).  What is left of the memory afterwards follows the
 * contract: mprotect gives still-ours pages their watch-time protection
 * (read-write: the fuzzer only watches writable pages there) and leaves a
 * replacement alone; uffd-sync may leave the kernel registration of the
 * still-mapped rest of a gone range until close.
 */
static void fz_forget(size_t k, size_t a, size_t b)
{
	bool gone = fz_any(a, b, fz_is_unmapped);
	bool mp = !strcmp(g.backend, "mprotect");

	for (size_t i = a; i < b; i++) {
		struct fz_page *p = &g.pg[i];

		if (p->mapped && mp) {
			if (!gone || !p->replaced)
				p->ro = p->unsure = 0;
			else
				p->unsure = 1;
		}
		if (p->mapped && gone && !p->replaced && !strcmp(g.backend, "uffd-sync"))
			p->stale = 1;
		p->watched = p->replaced = 0;
	}
	if (a > g.r[k].a && b < g.r[k].b)
		fz_fail("model: fz_forget of the middle of a range");   /* callers split first */
	if (a > g.r[k].a) {
		g.r[k].b = a;
	} else if (b < g.r[k].b) {
		g.r[k].a = b;
	} else {
		memmove(&g.r[k], &g.r[k + 1], (g.nr - k - 1) * sizeof(g.r[0]));
		g.nr--;
	}
}

/* Unwatch [a, b) in the model, splitting ranges the way ww_unwatch() does. */
static void fz_model_unwatch(size_t a, size_t b)
{
	for (size_t k = g.nr; k-- > 0;) {
		size_t ra = g.r[k].a, rb = g.r[k].b;
		size_t ca = a > ra ? a : ra, cb = b < rb ? b : rb;

		if (ca >= cb)
			continue;
		if (ca > ra && cb < rb) {
			/* Split first: [ra, ca) [ca, cb) [cb, rb). */
			g.r[k].b = ca;
			memmove(&g.r[k + 3], &g.r[k + 1], (g.nr - k - 1) * sizeof(g.r[0]));
			g.r[k + 1] = (struct fz_range){ ca, cb };
			g.r[k + 2] = (struct fz_range){ cb, rb };
			g.nr += 2;
			fz_forget(k + 1, ca, cb);
			continue;
		}
		fz_forget(k, ca, cb);
	}
}

/*
 * Learn, through ww_granularity() (which never touches memory), which of
 * the ranges over [a, b) that are not ours any more the library dropped.
 * Returns the number dropped; *gone_kept counts GONE ones still registered.
 */
static int fz_resolve(size_t a, size_t b, int *gone_kept)
{
	int dropped = 0;

	*gone_kept = 0;
	for (size_t k = g.nr; k-- > 0;) {
		enum fz_status s;
		ssize_t gr;

		if (g.r[k].b <= a || g.r[k].a >= b)
			continue;
		s = fz_status(k);
		if (s == FZ_LIVE)
			continue;
		gr = ww_granularity(g.t, fz_addr(g.r[k].a));
		if (gr == (ssize_t)g.page) {
			*gone_kept += s == FZ_GONE;
			continue;
		}
		if (gr != -ENOENT)
			fz_fail("ww_granularity(%p) = %zd", (void *)fz_addr(g.r[k].a), gr);
		fz_forget(k, g.r[k].a, g.r[k].b);
		dropped++;
	}
	return dropped;
}

/* The library's registry agrees with the model: every range, and some other pages. */
static void fz_check_registry(bool full)
{
	for (size_t k = 0; k < g.nr; k++) {
		fz_want(ww_granularity(g.t, fz_addr(g.r[k].a)), (long long)g.page,
			"ww_granularity(first page of a watched range)");
		fz_want(ww_granularity(g.t, fz_addr(g.r[k].b) - 1), (long long)g.page,
			"ww_granularity(last byte of a watched range)");
	}
	for (size_t n = 0; n < (full ? g.npages : 8); n++) {
		size_t i = full ? n : fz_rand(g.npages);

		if (!g.pg[i].watched)
			fz_want(ww_granularity(g.t, fz_addr(i) + fz_rand(g.page)), -ENOENT,
				"ww_granularity(unwatched page)");
		else if (full)
			fz_want(ww_granularity(g.t, fz_addr(i)), (long long)g.page,
				"ww_granularity(watched page)");
	}
}

#endif /* FUZZ_MODEL_H */
