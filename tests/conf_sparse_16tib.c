/* SPDX-License-Identifier: MIT */
/*
 * 16 TiB watched (the size of a sanitizer's shadow memory), 256 random pages
 * written: exact answers, and the cost of arming checked, per backend.
 *
 *  - uffd-async arms only what is populated: watching adds no page tables,
 *    and the writes add no more than their own pages need;
 *  - uffd-sync arms a marker in every page-table entry (8 bytes a page:
 *    32 GiB here), which the library refuses up front with ENOMEM rather
 *    than leave to the OOM killer (documented in ww_watch(3));
 *  - mprotect arms by protecting the range, which costs no page tables.
 */
#include <stdlib.h>

#include "tt_sparse.h"

#define LEN (16UL << 40)
#define NW 256

static int cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	struct ww_tracker *t = tt_open();
	bool sync = !strcmp(ww_backend_name(t), "uffd-sync");
	bool async = !strcmp(ww_backend_name(t), "uffd-async");
	unsigned long long seed = 20261203;
	size_t want[NW], n = 0, npages = LEN / TT_PAGE;
	long pte0, pte1, pte2;
	char *base = tts_map(LEN);
	int ret;

	if (!base)
		tt_skip("cannot map 16 TiB of address space: %s", strerror(errno));
	pte0 = tts_vmpte_kib();
	ret = ww_watch(t, base, LEN);
	if (sync) {
		tt_ret(ret, -ENOMEM);   /* markers over 16 TiB: refused, nothing armed */
		tt_ret(ww_get(t, base, TT_PAGE, (void **)&want, 1, 0), -ENOENT);
		ww_close(t);
		return 0;
	}
	tt_ok(ret);
	tts_check_mode(t, base, 1);
	pte1 = tts_vmpte_kib();
	if (async)
		tt_check(pte1 - pte0 < 1024, "watching 16 TiB added %ld KiB of page tables", pte1 - pte0);
	tts_expect(t, base, LEN, 0, NULL, 0, "after watch");

	while (n < NW) {
		size_t p = (size_t)(tt_rand(&seed) % npages), i;

		for (i = 0; i < n && want[i] != p; i++)
			;
		if (i == n)
			want[n++] = p;
	}
	qsort(want, NW, sizeof(want[0]), cmp);
	for (size_t i = 0; i < NW; i++)
		base[want[i] * TT_PAGE] = 1;
	pte2 = tts_vmpte_kib();
	tts_expect(t, base, LEN, 0, want, NW, "written");
	tts_expect(t, base, LEN, WW_GET_RESET, want, NW, "get+reset");
	tts_expect(t, base, LEN, 0, NULL, 0, "after get+reset");
	base[want[7] * TT_PAGE] = 2;
	tts_expect(t, base, LEN, WW_GET_RESET, &want[7], 1, "written again");
	/* The writes' own page tables: a PTE and a PMD table each at most, and PUD tables. */
	if (async)
		tt_check(tts_vmpte_kib() - pte2 < 1024, "get+reset added %ld KiB of page tables",
			 tts_vmpte_kib() - pte2);
	fprintf(stderr, "VmPTE: %ld KiB before, +%ld KiB by watch, +%ld KiB by %d writes\n",
		pte0, pte1 - pte0, pte2 - pte1, NW);
	tt_ok(ww_unwatch(t, base, LEN));
	ww_close(t);
	return 0;
}
