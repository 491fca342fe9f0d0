/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: a GetWriteWatch with WRITE_WATCH_FLAG_RESET that fails after
 * it reset pages returns those pages (nothing lost) and the next call fails
 * instead.  One allocation of 8 pages, page 4 made read-only, page 1
 * written, page 7 unmapped behind the layer's back.  Where the layer asks
 * the tracker stretch by stretch (mprotect tracks only writable pages, so
 * page 4 splits the allocation) the first stretch is reset before the last
 * one fails.  Where one tracker call covers the allocation, the failure
 * comes before any reset and the call fails whole.  Old code: on mprotect
 * the call failed and page 1, already reset, was lost.
 */
#include "win32_tt.h"

#define NP 8

static UINT get(DWORD flags, char *base, size_t npages, void **addr, ULONG_PTR *count)
{
	ULONG gran;

	*count = NP;
	return GetWriteWatch(flags, base, npages * WPG, addr, count, &gran);
}

int main(void)
{
	char *base = wt_alloc(NULL, NP * WPG, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	bool split = tt_backend_is("mprotect");
	void *addr[NP];
	ULONG_PTR count;
	DWORD old;
	UINT ret;

	tt_check(VirtualProtect(base + 4 * WPG, WPG, PAGE_READONLY, &old), "VirtualProtect: %u",
		 (unsigned)GetLastError());
	wt_ok(ResetWriteWatch(base, NP * WPG));
	base[1 * WPG] = 1;
	tt_check(munmap(base + 7 * WPG, WPG) == 0, "munmap page 7: %s", strerror(errno));

	ret = get(WRITE_WATCH_FLAG_RESET, base, NP, addr, &count);
	if (!split) {
		tt_check(ret != 0, "GetWriteWatch over unmapped memory succeeded");
		return 0;
	}
	tt_check(ret == 0, "GetWriteWatch with reset failed (%u) after resetting page 1",
		 (unsigned)GetLastError());
	tt_check(count == 1 && addr[0] == base + WPG, "want page 1 alone, got %lu page(s)",
		 (unsigned long)count);
	/* The deferred error: the next call fails once, then the layer answers again. */
	tt_check(get(0, base, 4, addr, &count) != 0, "the call after the short answer did not fail");
	wt_ok(get(0, base, 4, addr, &count));
	tt_check(count == 0, "page 1 reported after its reset (count %lu)", (unsigned long)count);
	return 0;
}
