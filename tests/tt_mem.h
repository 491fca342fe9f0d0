/* SPDX-License-Identifier: MIT */
/* Helper for the per-memory-type tests: one watch/write/get/reset cycle. */
#ifndef TT_MEM_H
#define TT_MEM_H
#include "tt.h"

/*
 * Watch npages of granularity gran at mem, write some of them (one byte
 * each), and check gets, get-and-reset and reset report exactly those.
 */
static inline void tt_mem_cycle(struct ww_tracker *t, char *mem, size_t npages, size_t gran,
				const char *what)
{
	void **pages = calloc(npages, sizeof(void *));
	size_t i, want = 0;
	ssize_t n;

	tt_check(pages != NULL, "oom");
	tt_ret(ww_granularity(t, mem), gran);
	tt_ret(ww_get(t, mem, npages * gran, pages, npages, 0), 0);
	for (i = 0; i < npages; i += 2) {
		mem[i * gran + gran / 2] = 7;
		want++;
	}
	n = ww_get(t, mem, npages * gran, pages, npages, WW_GET_RESET);
	tt_check(n == (ssize_t)want, "%s: %zd pages reported, %zu written", what, n, want);
	for (i = 0; i < (size_t)n; i++)
		tt_check(pages[i] == mem + 2 * i * gran, "%s: page %zu is %p, want %p", what, i,
			 pages[i], mem + 2 * i * gran);
	tt_ret(ww_get(t, mem, npages * gran, pages, npages, 0), 0);
	mem[gran] = 1;
	tt_ret(ww_get(t, mem, npages * gran, pages, npages, 0), 1);
	tt_ok(ww_reset(t, mem, npages * gran));
	tt_ret(ww_get(t, mem, npages * gran, pages, npages, 0), 0);
	free(pages);
}
#endif
