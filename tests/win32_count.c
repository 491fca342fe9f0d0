/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: *count is capacity in, number returned out; a capacity
 * smaller than the number of written pages returns the lowest pages, in
 * ascending order, and no more; *granularity is the page size; a capacity
 * larger than needed is left partly unused (entries past *count untouched).
 */
#include "win32_tt.h"

#define NPAGES 64

int main(void)
{
	char *base = wt_alloc(NULL, NPAGES * WPG, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	void *res[NPAGES + 8];
	static const size_t written[] = { 0, 3, 4, 5, 17, 31, 32, 40, 63 };
	const size_t nw = sizeof(written) / sizeof(written[0]);
	ULONG_PTR count, cap;
	ULONG gran;
	size_t i;

	/* Written in descending order: results must still ascend. */
	for (i = nw; i-- > 0;)
		base[written[i] * WPG + 7] = 1;

	for (cap = 1; cap <= nw + 3; cap++) {
		for (i = 0; i < NPAGES + 8; i++)
			res[i] = (void *)0x1234;
		count = cap;
		gran = 0;
		wt_ok(GetWriteWatch(0, base, NPAGES * WPG, res, &count, &gran));
		tt_check(gran == WPG, "granularity %u", (unsigned)gran);
		tt_check(count == (cap < nw ? cap : nw), "capacity %zu: count %zu",
			 (size_t)cap, (size_t)count);
		for (i = 0; i < count; i++)
			tt_check(res[i] == base + written[i] * WPG,
				 "capacity %zu: result %zu is %p, want page %zu",
				 (size_t)cap, i, res[i], written[i]);
		/* Nothing is written past the capacity nor past the count. */
		for (i = count; i < NPAGES + 8; i++)
			tt_check(res[i] == (void *)0x1234, "capacity %zu: entry %zu overwritten",
				 (size_t)cap, i);
	}

	/* A huge capacity is just a capacity. */
	count = (ULONG_PTR)-1 / sizeof(void *);
	wt_ok(GetWriteWatch(0, base, NPAGES * WPG, res, &count, &gran));
	tt_check(count == nw, "huge capacity: count %zu", (size_t)count);

	/* Granularity is reported on an empty answer too. */
	wt_ok(ResetWriteWatch(base, NPAGES * WPG));
	count = 4;
	gran = 0;
	wt_ok(GetWriteWatch(0, base, NPAGES * WPG, res, &count, &gran));
	tt_check(count == 0 && gran == WPG, "empty: count %zu granularity %u",
		 (size_t)count, (unsigned)gran);

	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
