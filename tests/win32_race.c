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
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "win32_tt.h"

#define NP 256
#define WRITERS 2
#define ROUNDS 400      /* at least, for at least MIN_SECONDS, until MIN_CHANGES were seen */
#define MIN_SECONDS 0.3
#define MIN_CHANGES 500
#define MAX_SECONDS 3.0
#define PHASE 16        /* rounds between two settlements */

static char *base;
static atomic_int stop, park, parked;

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

int main(void)
{
	static uint64_t ref[NP][WRITERS], before[NP][WRITERS], after[NP][WRITERS];
	static void *res[NP];
	static unsigned char reported[NP], owed[NP], owed_now[NP];
	unsigned long long rng = 99;
	pthread_t th[WRITERS];
	size_t r, p, changes = 0, settled = 0;
	int w, strict;
	double t0;

	base = wt_alloc(NULL, NP * WPG, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	strict = !strcmp(ww_win32_backend(), "uffd-async");
	for (w = 0; w < WRITERS; w++)
		tt_check(!pthread_create(&th[w], NULL, writer, (void *)(uintptr_t)w), "pthread_create");
	wt_ok(ResetWriteWatch(base, NP * WPG));
	snapshot(ref);
	t0 = tt_now();
	for (r = 0; (r < ROUNDS || tt_now() < t0 + MIN_SECONDS || changes < MIN_CHANGES) &&
		    tt_now() < t0 + MAX_SECONDS; r++) {
		ULONG_PTR cap = r % 3 ? NP : 1 + tt_rand(&rng) % 16;
		size_t count, limit;

		snapshot(before);
		count = get_reset(res, cap, reported);
		/* A full answer covers every page; a capped one the pages below its last. */
		limit = count < cap ? NP : (size_t)((char *)res[count - 1] - base) / WPG;
		for (p = 0; p < NP; p++) {
			int changed = differs(before[p], ref[p]);

			changes += changed;
			if (reported[p]) {
				settled += owed[p];
				owed[p] = owed_now[p] = 0;
				continue;
			}
			if (strict && p < limit && (changed || owed_now[p]))
				tt_fail("round %zu: page %zu written %s, not reported (%zu of %zu "
					"returned): write lost", r, p,
					changed ? "before the call" : "during the previous call",
					count, (size_t)cap);
			owed[p] |= changed;
		}
		snapshot(after);
		for (p = 0; p < NP; p++) {
			/* Not reported, so not reset: a change during the call is owed. */
			owed_now[p] = !reported[p] && differs(after[p], before[p]);
			owed[p] |= owed_now[p];
		}
		memcpy(ref, after, sizeof(ref));
		if (r % PHASE == PHASE - 1) {
			atomic_store(&park, 1);
			while (atomic_load(&parked) < WRITERS)
				sched_yield();
			settled += settle(ref, owed, "settlement");
			memset(owed_now, 0, sizeof(owed_now));
			atomic_store(&park, 0);
		}
	}
	atomic_store(&stop, 1);
	for (w = 0; w < WRITERS; w++)
		pthread_join(th[w], NULL);
	settled += settle(ref, owed, "final settlement");
	get_reset(res, NP, reported);
	for (p = 0; p < NP; p++)
		tt_check(!reported[p], "page %zu reported after everything was reset", p);
	/* The check means something only if writes raced with the calls. */
	tt_check(changes >= 100 && settled > 0, "only %zu changes seen in %zu rounds",
		 changes, r);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
