/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: MEM_RELEASE ends the write watch: the range is no longer
 * accepted, its memory is unmapped, and a new allocation at the same address
 * starts with nothing written.  Repeated allocate/release cycles leave no
 * mappings behind.
 */
#include <sys/mman.h>

#include "win32_tt.h"

static size_t count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	size_t n = 0;
	int c;

	tt_check(f, "open /proc/self/maps");
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

int main(void)
{
	const SIZE_T size = 16 * WPG;        /* Wine's 0x10000 with 4 KiB pages */
	char *base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE), *again;
	void *res[16];
	ULONG_PTR count = 16;
	ULONG gran;
	size_t maps0, i;

	memset(base, 1, size);
	tt_check(VirtualFree(base, 0, MEM_RELEASE), "release: %u", (unsigned)GetLastError());
	wt_fails(GetWriteWatch(0, base, size, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	wt_fails(ResetWriteWatch(base, size), ~0u, ERROR_INVALID_PARAMETER);
	tt_check(msync(base, WPG, MS_ASYNC) == -1 && errno == ENOMEM, "released memory still mapped");

	/* Same address again: a fresh allocation, nothing written. */
	again = wt_alloc(base, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	tt_check(again == base, "re-allocation at %p returned %p", base, again);
	tt_check(again[0] == 0, "old contents visible");
	wt_expect_none(0, again, size, "fresh allocation at the old address");
	again[3 * WPG] = 1;
	wt_expect_pages(0, again, size, "tracked", 3);
	tt_check(VirtualFree(again, 0, MEM_RELEASE), "release again");

	/* Memory mapped there by someone else afterwards is not the layer's. */
	again = mmap(base, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		     -1, 0);
	tt_check(again == base, "mmap at the old address");
	memset(again, 2, size);
	wt_fails(GetWriteWatch(0, again, size, res, &count, &gran), ~0u, ERROR_INVALID_PARAMETER);
	munmap(again, size);

	/* Cycles leave nothing behind (partly committed, protected, decommitted). */
	maps0 = count_maps();
	for (i = 0; i < 200; i++) {
		DWORD old;
		char *p = wt_alloc(NULL, 4 * size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);

		wt_alloc(p + size, 2 * WPG, MEM_COMMIT, PAGE_READWRITE);
		p[size + WPG] = 1;
		tt_check(VirtualProtect(p + size, WPG, PAGE_READONLY, &old), "protect");
		tt_check(VirtualFree(p + size + WPG, WPG, MEM_DECOMMIT), "decommit");
		tt_check(VirtualFree(p, 0, MEM_RELEASE), "release %zu", i);
	}
	tt_check(count_maps() <= maps0 + 2, "mappings grew from %zu to %zu", maps0, count_maps());
	return 0;
}
