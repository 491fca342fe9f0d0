/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: writes racing with GetWriteWatch(WRITE_WATCH_FLAG_RESET) are
 * never lost.  Writer threads store increasing values into random pages
 * (each writer owns one 8-byte slot of every page) while the main thread
 * snapshots every page, calls GetWriteWatch with reset (sometimes with a
 * small capacity), and snapshots again.
 *
 * A page whose value changed since a snapshot taken after its last reset,
 * and that a call did not report (so did not reset), owes a report: some
 * later call must return it.  Every PHASE rounds the writers park (each
 * finishes its store, fault handling included) and one call settles every
 * debt; a page still owed then is a lost write.
 *
 * On uffd-async the kernel records a write before the store completes, so a
 * change visible before a call must be reported by that very call (below the
 * last page a capped call returned), and a change seen during a call by the
 * next one.  The backends that record writes in a fault handler (mprotect,
 * uffd-sync) let another thread's store land on a page the handler has made
 * writable but not yet recorded; that write is reported by a later call,
 * not necessarily the next one, so for them only the settlements count.
 *
 * Nothing here depends on the scheduler: a round starts only once the
 * writers have made progress since the last one, and the test goes on until
 * it has seen MIN_CHANGES writes between calls and MIN_RACES writes during
 * calls (or MAX_SECONDS have passed: then it skips, the machine gave the
 * writers too little CPU to race).  Only a lost write fails it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "win32_tt.h"

#define NP 256
#define WRITERS 2
#define ROUNDS 400      /* at least, and until MIN_CHANGES and MIN_RACES were seen */
#define MIN_CHANGES 2000
#define MIN_RACES 200
#define MAX_SECONDS 60.0
#define STORES_PER_ROUND 8      /* writer progress a round waits for */
#define PHASE 2         /* rounds between settlements: few, so a later write seldom hides a loss */

static char *base;
static atomic_int stop, park, parked;
static atomic_ulong stores;     /* completed stores, all writers */

static uint64_t slot_load(size_t page, int w)
{
	return __atomic_load_n((uint64_t *)(base + page * WPG) + w, __ATOMIC_RELAXED);
}

static void *writer(void *arg)
{
	int w = (int)(uintptr_t)arg;
	unsigned long long rng = 12345 + w;
	uint64_t v = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		size_t p = tt_rand(&rng) % NP;
		int spin;

		if (atomic_load(&park)) {
			/* Between two stores: the last one is complete, fault path included. */
			atomic_fetch_add(&parked, 1);
			while (atomic_load(&park) && !atomic_load(&stop))
				sched_yield();
			atomic_fetch_sub(&parked, 1);
			continue;
		}

		__atomic_store_n((uint64_t *)(base + p * WPG) + w, ++v, __ATOMIC_RELAXED);
		atomic_fetch_add_explicit(&stores, 1, memory_order_relaxed);
		for (spin = 0; spin < 200; spin++)
			__asm__ volatile("" ::: "memory");
	}
	return NULL;
}

static void snapshot(uint64_t (*s)[WRITERS])
{
	size_t p;
	int w;

	for (p = 0; p < NP; p++)
		for (w = 0; w < WRITERS; w++)
			s[p][w] = slot_load(p, w);
}

static int differs(const uint64_t *a, const uint64_t *b)
{
	return memcmp(a, b, WRITERS * sizeof(uint64_t)) != 0;
}

/* GetWriteWatch with reset and capacity cap; marks reported[] and returns the count. */
static size_t get_reset(void **res, ULONG_PTR cap, unsigned char *reported)
{
	ULONG_PTR count = cap, i;
	ULONG gran;

	wt_ok(GetWriteWatch(WRITE_WATCH_FLAG_RESET, base, NP * WPG, res, &count, &gran));
	memset(reported, 0, NP);
	for (i = 0; i < count; i++) {
		tt_check(!i || res[i] > res[i - 1], "results not ascending");
		reported[((char *)res[i] - base) / WPG] = 1;
	}
	return count;
}

/*
 * Writers parked: every write so far is complete.  One full call must report
 * every page still owed (and any change since ref).  Returns debts settled.
 */
static size_t settle(uint64_t (*ref)[WRITERS], unsigned char *owed, const char *when)
{
	static uint64_t now[NP][WRITERS];
	static unsigned char reported[NP];
	static void *res[NP];
	size_t p, settled = 0;

	snapshot(now);
	get_reset(res, NP, reported);
	for (p = 0; p < NP; p++) {
		if (differs(now[p], ref[p]))
			owed[p] = 1;
		if (owed[p] && !reported[p])
			tt_fail("%s: page %zu was written and never reported: write lost", when, p);
		settled += owed[p];
		owed[p] = 0;
	}
	snapshot(ref);
	return settled;
}

/* Wait until the writers have stored a few more values (or the deadline passed). */
static void wait_progress(double deadline)
{
	unsigned long want = atomic_load(&stores) + STORES_PER_ROUND;

	while (atomic_load(&stores) < want && tt_now() < deadline)
		sched_yield();
}

/* Park the writers: every store made so far is complete, fault path included. */
static void park_writers(void)
{
	atomic_store(&park, 1);
	while (atomic_load(&parked) < WRITERS)
		sched_yield();
}

struct race {
	uint64_t ref[NP][WRITERS];      /* values after the last call */
	unsigned char owed[NP];         /* written, not reported since */
	unsigned char owed_now[NP];     /* written during the last call, not reported */
	int strict;
	size_t changes, races, settled;
	unsigned long long rng;
};

/* One get-and-reset between two snapshots, and what it must have reported. */
static void round_once(struct race *st, size_t r)
{
	static uint64_t before[NP][WRITERS], after[NP][WRITERS];
	static unsigned char reported[NP];
	static void *res[NP];
	ULONG_PTR cap = r % 3 ? NP : 1 + tt_rand(&st->rng) % 16;
	size_t count, limit, p;

	snapshot(before);
	count = get_reset(res, cap, reported);
	snapshot(after);
	/* A full answer covers every page; a capped one the pages below its last. */
	limit = count < cap ? NP : (size_t)((char *)res[count - 1] - base) / WPG;
	for (p = 0; p < NP; p++) {
		int changed = differs(before[p], st->ref[p]);

		st->changes += changed;
		st->races += differs(after[p], before[p]);
		if (reported[p]) {
			st->settled += st->owed[p];
			st->owed[p] = st->owed_now[p] = 0;
			continue;
		}
		if (st->strict && p < limit && (changed || st->owed_now[p]))
			tt_fail("round %zu: page %zu written %s, not reported (%zu of %zu "
				"returned): write lost", r, p,
				changed ? "before the call" : "during the previous call",
				count, (size_t)cap);
		/* Not reported, so not reset: a change before or during the call is owed. */
		st->owed_now[p] = differs(after[p], before[p]);
		st->owed[p] |= changed | st->owed_now[p];
	}
	memcpy(st->ref, after, sizeof(st->ref));
}

static int enough(const struct race *st, size_t r)
{
	return r >= ROUNDS && st->changes >= MIN_CHANGES && st->races >= MIN_RACES;
}

int main(void)
{
	static struct race st = { .rng = 99 };
	static unsigned char reported[NP];
	static void *res[NP];
	pthread_t th[WRITERS];
	double deadline;
	size_t r, p;
	int w;

	base = wt_alloc(NULL, NP * WPG, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	st.strict = !strcmp(ww_win32_backend(), "uffd-async");
	for (w = 0; w < WRITERS; w++)
		tt_check(!pthread_create(&th[w], NULL, writer, (void *)(uintptr_t)w), "pthread_create");
	wt_ok(ResetWriteWatch(base, NP * WPG));
	snapshot(st.ref);
	deadline = tt_now() + MAX_SECONDS;
	for (r = 0; !enough(&st, r) && tt_now() < deadline; r++) {
		wait_progress(deadline);
		round_once(&st, r);
		if (r % PHASE == PHASE - 1) {
			park_writers();
			st.settled += settle(st.ref, st.owed, "settlement");
			memset(st.owed_now, 0, sizeof(st.owed_now));
			atomic_store(&park, 0);
		}
	}
	atomic_store(&stop, 1);
	for (w = 0; w < WRITERS; w++)
		pthread_join(th[w], NULL);
	st.settled += settle(st.ref, st.owed, "final settlement");
	get_reset(res, NP, reported);
	for (p = 0; p < NP; p++)
		tt_check(!reported[p], "page %zu reported after everything was reset", p);
	fprintf(stderr, "%zu rounds, %zu writes between calls, %zu during calls, %zu settled\n",
		r, st.changes, st.races, st.settled);
	/* The check means something only if writes raced with the calls. */
	if (!enough(&st, r))
		tt_skip("only %zu writes between calls and %zu during calls in %.0f s: the "
			"writer threads got too little CPU here", st.changes, st.races, MAX_SECONDS);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
