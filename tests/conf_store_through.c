/* SPDX-License-Identifier: MIT */
/*
 * A store that goes through a page another thread's fault has just made
 * writable, without a fault of its own, is reported by a get that follows
 * it.  Thread B stores to a protected page; its fault is resolved slowly
 * (test hooks: the mprotect handler and the uffd-sync fault thread pause
 * 20 ms after the page became writable).  This thread waits until the page
 * is writable, stores to it, and asks at once: the page must be reported.
 * The fault paths record the write before they lift the protection; with
 * the old order (lift, then record) every round failed.  uffd-async has no
 * fault path of ours (the kernel clears the bit with the store): it must
 * pass as it is.
 */
#include <pthread.h>

#include "mprotect_tt.h"
#include "sync_util.h"
#include "../src/mprotect_debug.h"
#include "../src/uffd_sync_debug.h"

#define ROUNDS 5

static volatile char *page;

static void *store_b(void *arg)
{
	(void)arg;
	page[0] = 1;
	return NULL;
}

/* Writable now, as the page tables (uffd-wp bit) or the VMA (mprotect) say. */
static bool writable(struct ww_tracker *t)
{
	if (!strcmp(ww_backend_name(t), "mprotect"))
		return mt_perms((const void *)page)[1] == 'w';
	return sync_wp_pages((const void *)page, 1) == 0;
}

static void round_once(struct ww_tracker *t, int round)
{
	double t0 = tt_now();
	void *pages[2];
	pthread_t b;

	tt_ok(ww_reset(t, (void *)page, TT_PAGE));
	tt_check(!writable(t), "round %d: the page is writable right after ww_reset", round);
	tt_check(pthread_create(&b, NULL, store_b, NULL) == 0, "pthread_create");
	while (!writable(t))
		tt_check(tt_now() - t0 < 10, "round %d: B's fault never made the page writable",
			 round);
	page[64] = 2;
	tt_ret(ww_get(t, (void *)page, TT_PAGE, pages, 2, 0), 1);
	pthread_join(b, NULL);
}

int main(void)
{
	struct ww_tracker *t;

	ww_mp_debug = WW_MP_DEBUG_SLOW_FAULT;
	ww_uffd_sync_debug = WW_UFFD_SYNC_DEBUG_SLOW_RESOLVE;
	t = tt_open();
	page = tt_map(TT_PAGE);
	page[0] = 0;            /* populated, so the uffd-wp bit is in a real pte */
	tt_ok(ww_watch(t, (void *)page, TT_PAGE));
	for (int r = 0; r < ROUNDS; r++)
		round_once(t, r);
	ww_close(t);
	return 0;
}
