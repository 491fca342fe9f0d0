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
	const SIZE_T size = 0x10000;
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	static char src[2 * 4096 + 64];
	uint32_t v = 0xdeadbeef;

	memcpy(base + 2 * WPG - 2, &v, sizeof(v));
	wt_expect_pages(0, base, size, "DWORD across pages 1 and 2", 1, 2);
	tt_check(!memcmp(base + 2 * WPG - 2, &v, 4), "value lost");

	wt_ok(ResetWriteWatch(base, size));
	/* A single unaligned 8-byte store, the way compiled code does it. */
	*(volatile unaligned_u64 *)(base + 9 * WPG - 4) = 0x0102030405060708ULL;
	wt_expect_pages(0, base, size, "unaligned 8-byte store across pages 8 and 9", 8, 9);

	wt_ok(ResetWriteWatch(base, size));
	memset(src, 0x5a, sizeof(src));
	memcpy(base + 12 * WPG - 32, src, sizeof(src));
	wt_expect_pages(0, base, size, "memcpy across pages 11-14", 11, 12, 13, 14);

	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
