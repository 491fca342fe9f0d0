/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: PAGE_EXECUTE_READWRITE write-watched memory (a JIT's code
 * heap): code written there runs, the writes are reported, running it is
 * not a write, and it still runs after a reset.  x86-64 only.
 */
#include "win32_tt.h"

int main(void)
{
#if defined(__x86_64__)
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	static const unsigned char ret42[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax,42; ret */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_EXECUTE_READWRITE);
	int (*fn)(void) = (int (*)(void))(void *)(base + 3 * WPG);
	DWORD old;

	memcpy(base + 3 * WPG, ret42, sizeof(ret42));
	__builtin___clear_cache(base + 3 * WPG, base + 3 * WPG + sizeof(ret42));
	wt_expect_pages(0, base, size, "code written", 3);
	tt_check(fn() == 42, "code did not run");
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "running is not writing", 3);
	tt_check(fn() == 42, "code did not run after a reset");
	wt_expect_none(0, base, size, "after running again");

	/* Execute-read only: runs, and the state holds. */
	base[5 * WPG] = 1;
	tt_check(VirtualProtect(base + 3 * WPG, WPG, PAGE_EXECUTE_READ, &old), "protect RX");
	tt_check(old == PAGE_EXECUTE_READWRITE, "old protection %#x", (unsigned)old);
	tt_check(fn() == 42, "code did not run read-only");
	wt_expect_pages(0, base, size, "after RX", 5);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
#else
	tt_skip("x86-64 only");
#endif
}
