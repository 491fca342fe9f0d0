/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: a write straddling two pages reports both (Wine writes a
 * DWORD at base + 2*pagesize - 2); a memcpy across four pages reports the
 * four.
 */
#include "win32_tt.h"

typedef uint64_t unaligned_u64 __attribute__((aligned(1)));

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	size_t srclen = 2 * WPG + 64;
	char *src = malloc(srclen);
	uint32_t v = 0xdeadbeef;

	memcpy(base + 2 * WPG - 2, &v, sizeof(v));
	wt_expect_pages(0, base, size, "DWORD across pages 1 and 2", 1, 2);
	tt_check(!memcmp(base + 2 * WPG - 2, &v, 4), "value lost");

	wt_ok(ResetWriteWatch(base, size));
	/* A single unaligned 8-byte store, the way compiled code does it. */
	*(volatile unaligned_u64 *)(base + 9 * WPG - 4) = 0x0102030405060708ULL;
	wt_expect_pages(0, base, size, "unaligned 8-byte store across pages 8 and 9", 8, 9);

	wt_ok(ResetWriteWatch(base, size));
	tt_check(src, "out of memory");
	memset(src, 0x5a, srclen);
	memcpy(base + 12 * WPG - 32, src, srclen);
	wt_expect_pages(0, base, size, "memcpy across pages 11-14", 11, 12, 13, 14);

	free(src);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
