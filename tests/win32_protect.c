/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: VirtualProtect keeps the write-watch state (Wine: "changing
 * protections doesn't affect watches" and "initial protect doesn't
 * matter"); read-only and no-access pages really refuse access; pages made
 * writable again are tracked again; resets of read-only pages hold.
 */
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "win32_tt.h"

static SIZE_T size;              /* Wine's 0x10000 with 4 KiB pages: 16 pages */

/* Wine's "changing protections doesn't affect watches", and real refusals. */
static void keeps_state(char *base)
{
	DWORD old;

	base[2 * WPG + 3] = 0x11;
	base[4 * WPG + 8] = 0x11;
	tt_check(VirtualProtect(base, 3 * WPG, PAGE_READONLY, &old), "protect RO: %u",
		 (unsigned)GetLastError());
	tt_check(old == PAGE_READWRITE, "old protection %#x", (unsigned)old);
	wt_expect_pages(0, base, size, "while read-only", 2, 4);
	tt_check(base[2 * WPG + 3] == 0x11, "content changed by protection");
	tt_check(wt_access_faults(base + WPG, 1), "write to a read-only page did not fault");
	tt_check(!wt_access_faults(base + WPG, 0), "read of a read-only page faulted");
	tt_check(VirtualProtect(base, 3 * WPG, PAGE_READWRITE, &old), "protect RW");
	tt_check(old == PAGE_READONLY, "old protection %#x", (unsigned)old);
	wt_expect_pages(0, base, size, "back to read-write", 2, 4);

	/* Pages made writable again are tracked again, written or not before. */
	base[0] = 1;
	base[2 * WPG] = 2;
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "writes after protection changes",
			0, 2, 4);
	base[1 * WPG] = 3;
	wt_expect_pages(0, base, size, "a page never written before", 1);
}

/* Resets while the pages are not writable hold. */
static void resets(char *base)
{
	DWORD old;

	/* A reset while read-only holds after going back to read-write. */
	tt_check(VirtualProtect(base, 2 * WPG, PAGE_READONLY, &old), "protect RO");
	wt_ok(ResetWriteWatch(base, size));
	tt_check(VirtualProtect(base, 2 * WPG, PAGE_READWRITE, &old), "protect RW");
	wt_expect_none(0, base, size, "reset while read-only");
	/* Same with a get-and-reset, and a reset of a part only. */
	base[0] = 4;
	base[WPG] = 4;
	tt_check(VirtualProtect(base, 2 * WPG, PAGE_NOACCESS, &old), "protect no-access");
	tt_check(wt_access_faults(base, 0), "read of a no-access page did not fault");
	wt_expect(WRITE_WATCH_FLAG_RESET, base, size, 1, WT_PAGES(base, 0), 1, "get-reset one");
	tt_check(VirtualProtect(base, 2 * WPG, PAGE_EXECUTE_READWRITE, &old), "protect RWX");
	tt_check(old == PAGE_NOACCESS, "old protection %#x", (unsigned)old);
	wt_expect_pages(0, base, size, "the other stays", 1);
	tt_check(base[0] == 4 && base[WPG] == 4, "content lost through no-access");
	base[0] = 5;
	wt_expect_pages(0, base, size, "write through RWX", 0, 1);
	tt_check(VirtualProtect(base, 2 * WPG, PAGE_READWRITE, &old), "protect RW");
	tt_check(old == PAGE_EXECUTE_READWRITE, "old protection %#x", (unsigned)old);
	wt_expect_pages(0, base, size, "RWX to RW keeps state", 0, 1);
	wt_ok(ResetWriteWatch(base, size));
}

/* Mixed protections in one call: the old protection is the first page's. */
static void mixed(char *base)
{
	DWORD old;

	tt_check(VirtualProtect(base + 5 * WPG, WPG, PAGE_READONLY, &old), "protect page 5");
	base[6 * WPG] = 6;
	tt_check(VirtualProtect(base + 4 * WPG, 4 * WPG, PAGE_READONLY, &old), "protect 4-7");
	tt_check(old == PAGE_READWRITE, "old protection %#x", (unsigned)old);
	tt_check(VirtualProtect(base + 5 * WPG, 3 * WPG, PAGE_READWRITE, &old), "protect 5-7");
	tt_check(old == PAGE_READONLY, "old protection %#x", (unsigned)old);
	base[7 * WPG] = 7;
	wt_expect_pages(0, base, size, "mixed protections", 6, 7);
}

int main(void)
{
	char *base;
	DWORD old;

	size = 16 * WPG;
	base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	keeps_state(base);
	resets(base);
	mixed(base);
	VirtualFree(base, 0, MEM_RELEASE);

	/* Wine: the initial protection does not matter. */
	base = wt_alloc(NULL, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);
	tt_check(wt_alloc(base, size, MEM_COMMIT, PAGE_NOACCESS) == base, "commit no-access");
	wt_expect_none(0, base, size, "committed no-access");
	tt_check(VirtualProtect(base, 6 * WPG, PAGE_READWRITE, &old), "protect RW");
	tt_check(old == PAGE_NOACCESS, "old protection %#x", (unsigned)old);
	base[5 * WPG + 200] = 3;
	tt_check(VirtualProtect(base, 6 * WPG, PAGE_NOACCESS, &old), "protect no-access");
	tt_check(old == PAGE_READWRITE, "old protection %#x", (unsigned)old);
	wt_expect_pages(0, base, size, "written then no-access", 5);
	tt_check(VirtualFree(base, size, MEM_DECOMMIT), "decommit");
	wt_expect_pages(0, base, size, "after decommit", 5);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
