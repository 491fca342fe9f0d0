/* SPDX-License-Identifier: MIT */
/*
 * The tracking session behind `writewatch track` and `rate` (the tool's own
 * tools/track_session.c, compiled in) keeps the pages it collected when the
 * target exits in the middle of a collection.
 *
 * A collection is one get+reset per watched mapping, ascending.  Once a
 * get+reset has taken a mapping's pages they are reset: no later get can
 * report them.  So when the target is gone by the next mapping's get
 * (-ESRCH), the pages already taken must still be in the interval the
 * session hands over; dropping them lost every write of a target that
 * exits as soon as its writes are collected (cli_rate_exact saw it about
 * once in 35 runs, by chance).  Here the exit is put exactly there: every
 * get of the session goes through a wrapper, which kills and reaps the
 * target right after the get+reset that took the pages of the target's
 * mapping A (the next watched mapping, B, lies above it).  The last
 * interval must hold exactly A's written pages (pages of the target's
 * mappings below A, its heap for one, may be there too; none of B).
 */
#include "remote_tt.h"
#include "writewatch.h"

static ssize_t get_then_kill(struct ww_tracker *t, void *addr, size_t len,
			     struct ww_region *regions, size_t max, unsigned flags, void **next);

#define ww_get_regions get_then_kill
#include "../tools/track_session.c"
#include "../tools/track_sorted.c"
#undef ww_get_regions

#define HALF 64                 /* pages of A and of B (a PROT_NONE page between) */
#define WRITTEN_A 5
#define WRITTEN_B 3

static struct {
	struct rt_child c;
	bool armed;             /* the target has written: kill it after A's get */
	bool killed;
	unsigned intervals;
	ssize_t in_a, in_b;     /* pages of the last interval in A and in B, -1 until it came */
} g = { .in_a = -1, .in_b = -1 };

static ssize_t get_then_kill(struct ww_tracker *t, void *addr, size_t len,
			     struct ww_region *regions, size_t max, unsigned flags, void **next)
{
	ssize_t n = ww_get_regions(t, addr, len, regions, max, flags, next);
	char *a = g.c.base;
	int st;

	if (!g.armed || g.killed || (char *)addr > a || (char *)addr + len <= a)
		return n;
	tt_check(n > 0, "the get+reset over the target's first mapping answered %zd", n);
	/* Gone before the collection reaches B: SIGKILL, then reaped (no zombie). */
	kill(g.c.pid, SIGKILL);
	while (waitpid(g.c.pid, &st, 0) < 0)
		tt_check(errno == EINTR, "waitpid: %s", strerror(errno));
	g.killed = true;
	return n;
}

static size_t count_in(const struct track_interval *iv, const char *lo, const char *hi)
{
	size_t n = 0;

	for (size_t i = 0; i < iv->npages; i++)
		n += iv->pages[i] >= (uint64_t)(uintptr_t)lo && iv->pages[i] < (uint64_t)(uintptr_t)hi;
	return n;
}

static int on_interval(const struct track_interval *iv, void *arg)
{
	g.intervals++;
	if (!g.armed) {
		/* Written after the first collection, all before the next. */
		for (long i = 0; i < WRITTEN_A; i++)
			rt_cmd(&g.c, RT_WRITE, i * 3);
		for (long i = 0; i < WRITTEN_B; i++)
			rt_cmd(&g.c, RT_WRITE, HALF + 1 + i);
		g.armed = true;
		return 0;
	}
	tt_check(iv->last, "interval %u after the target's death is not the last", iv->index);
	g.in_a = (ssize_t)count_in(iv, g.c.base, g.c.base + HALF * TT_PAGE);
	g.in_b = (ssize_t)count_in(iv, g.c.base + (HALF + 1) * TT_PAGE,
				   g.c.base + (2 * HALF + 1) * TT_PAGE);
	return 0;
}

/* In the target: split its region into A and B with a PROT_NONE page. */
static int split_region(char *mem, size_t npages)
{
	return mprotect(mem + HALF * TT_PAGE, TT_PAGE, PROT_NONE) ? 6 : 0;
}

int main(void)
{
	struct track_opts o = { .interval_ms = 50 };
	struct track_session *s;
	char why[256] = "";
	int ret;

	rt_spawn_setup(&g.c, 2 * HALF + 1, split_region);
	ww_close(rt_open(g.c.pid));     /* skips where another process cannot be tracked */
	o.pid = g.c.pid;
	ret = track_open(&s, &o, why, sizeof(why));
	tt_check(!ret, "track_open: %s (%s)", strerror(-ret), why);
	ret = track_run(s, on_interval, NULL, why, sizeof(why));
	tt_check(!ret, "track_run: %s (%s)", strerror(-ret), why);
	tt_check(g.killed, "the target was never killed after its first mapping's get+reset");
	tt_check(g.in_a == WRITTEN_A && g.in_b == 0,
		 "the last interval holds %zd pages of A and %zd of B: the %d written in A were "
		 "taken before the target died, B's after", g.in_a, g.in_b, WRITTEN_A);
	track_close(s);
	close(g.c.to);
	close(g.c.from);
	return 0;
}
