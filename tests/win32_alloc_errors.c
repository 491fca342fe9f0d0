/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: argument errors of VirtualAlloc / VirtualFree /
 * VirtualProtect, and the addresses they return.  MEM_WRITE_WATCH without
 * MEM_RESERVE is ERROR_INVALID_PARAMETER (Wine's test); reserving taken
 * memory or committing outside a reservation is ERROR_INVALID_ADDRESS;
 * MEM_RELEASE needs size 0 and the allocation base.
 */
#include "win32_tt.h"

static SIZE_T size;              /* Wine's 0x10000 with 4 KiB pages: 16 pages */

static void alloc_errors(char *w)
{
	wt_fails(VirtualAlloc(NULL, size, MEM_WRITE_WATCH, PAGE_READWRITE), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(w, size, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, 0, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, 0, PAGE_READWRITE), NULL, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_DECOMMIT, PAGE_READWRITE), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_RESERVE | 0x40000000, PAGE_READWRITE), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_RESERVE, 0), NULL, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_READONLY | PAGE_READWRITE), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_WRITECOPY), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, 0x800), NULL,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD),
		 NULL, ERROR_NOT_SUPPORTED);
	wt_fails(VirtualAlloc(NULL, (SIZE_T)-1 & ~(SIZE_T)0xffff, MEM_RESERVE, PAGE_NOACCESS),
		 NULL, ERROR_NOT_ENOUGH_MEMORY);
	wt_fails(VirtualAlloc(NULL, (SIZE_T)1 << 60, MEM_RESERVE, PAGE_NOACCESS), NULL,
		 ERROR_NOT_ENOUGH_MEMORY);
	/* Reserving where something already is. */
	wt_fails(VirtualAlloc(w + WPG, WPG, MEM_RESERVE, PAGE_READWRITE), NULL,
		 ERROR_INVALID_ADDRESS);
	/* Committing where nothing was reserved, or past the reservation. */
	wt_fails(VirtualAlloc(w + size, WPG, MEM_COMMIT, PAGE_READWRITE), NULL,
		 ERROR_INVALID_ADDRESS);
	wt_fails(VirtualAlloc(w + size - WPG, 2 * WPG, MEM_COMMIT, PAGE_READWRITE), NULL,
		 ERROR_INVALID_ADDRESS);
}

/* Addresses: commit rounds down to the page, reserve to 64 KiB.  Returns p. */
static char *addresses(char *w)
{
	DWORD old = 0;
	char *p, *q;

	p = wt_alloc(w + 2 * WPG + 123, WPG, MEM_COMMIT, PAGE_READWRITE);
	tt_check(p == w + 2 * WPG, "commit returned %p, want %p", p, w + 2 * WPG);
	/* [+123, +123+WPG) touches pages 2 and 3. */
	tt_check(VirtualProtect(w + 3 * WPG, 1, PAGE_READONLY, &old), "page 3 committed");
	tt_check(old == PAGE_READWRITE, "old protection %#x", (unsigned)old);
	q = wt_alloc(NULL, 3 * size, MEM_RESERVE, PAGE_NOACCESS);
	tt_check(VirtualFree(q, 0, MEM_RELEASE), "release q");
	p = wt_alloc(q + size + 5 * WPG + 7, WPG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	tt_check(p == q + size, "reserve at an address returned %p, want %p", p, q + size);
	p[5 * WPG + 7 + WPG - 1] = 1;   /* the whole requested extent is usable */
	return p;
}

/* p - size was reserved and released by addresses(). */
static void free_protect_errors(char *w, char *p)
{
	DWORD old = 0;

	/* VirtualFree */
	wt_fails(VirtualFree(p, WPG, MEM_RELEASE), FALSE, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualFree(p + WPG, 0, MEM_RELEASE), FALSE, ERROR_INVALID_ADDRESS);
	wt_fails(VirtualFree(p - size, 0, MEM_RELEASE), FALSE, ERROR_INVALID_ADDRESS);
	wt_fails(VirtualFree(p, 0, 0), FALSE, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualFree(p, 0, MEM_RELEASE | MEM_DECOMMIT), FALSE, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualFree(p, 0, 0x10000), FALSE, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualFree(w + size - WPG, 2 * WPG, MEM_DECOMMIT), FALSE, ERROR_INVALID_ADDRESS);
	wt_fails(VirtualFree(w + WPG, 0, MEM_DECOMMIT), FALSE, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualFree(NULL, 0, MEM_RELEASE), FALSE, ERROR_INVALID_ADDRESS);

	/* VirtualProtect */
	wt_fails(VirtualProtect(w + 2 * WPG, WPG, PAGE_READONLY, NULL), FALSE, ERROR_NOACCESS);
	wt_fails(VirtualProtect(w, WPG, PAGE_READONLY, &old), FALSE, ERROR_INVALID_ADDRESS);
	wt_fails(VirtualProtect(w + 2 * WPG, 3 * WPG, PAGE_READONLY, &old), FALSE,
		 ERROR_INVALID_ADDRESS);      /* page 4 is not committed */
	wt_fails(VirtualProtect(w + 2 * WPG, WPG, PAGE_READONLY | PAGE_EXECUTE, &old), FALSE,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualProtect(w + 2 * WPG, WPG, 0, &old), FALSE, ERROR_INVALID_PARAMETER);
	wt_fails(VirtualProtect(w + 2 * WPG, 0, PAGE_READONLY, &old), FALSE,
		 ERROR_INVALID_PARAMETER);
	wt_fails(VirtualProtect(&old, sizeof(old), PAGE_READONLY, &old), FALSE,
		 ERROR_INVALID_ADDRESS);
}

int main(void)
{
	char *w, *p;
	DWORD old = 0;

	size = 16 * WPG;
	w = wt_alloc(NULL, size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);
	alloc_errors(w);
	p = addresses(w);
	free_protect_errors(w, p);

	/* The refused calls changed nothing. */
	tt_check(VirtualProtect(w + 2 * WPG, 2 * WPG, PAGE_READWRITE, &old), "protect 2-3");
	tt_check(old == PAGE_READWRITE, "page 2 protection changed to %#x", (unsigned)old);
	wt_expect_none(0, w, size, "write watch after refused calls");
	tt_check(VirtualFree(p, 0, MEM_RELEASE), "release p");
	wt_fails(VirtualFree(p, 0, MEM_RELEASE), FALSE, ERROR_INVALID_ADDRESS);
	tt_check(VirtualFree(w, 0, MEM_RELEASE), "release w");
	return 0;
}
