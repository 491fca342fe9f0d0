/* SPDX-License-Identifier: MIT */
/*
 * gc_cardmark: card marking the way a generational garbage collector does
 * it on Windows (the .NET GC, Boehm GC's GWW_VDB), written against the Win32
 * calls only - VirtualAlloc, GetWriteWatch, ResetWriteWatch, VirtualFree -
 * plus libc.  It builds unchanged against <windows.h>.
 *
 * The heap is one write-watched reservation, committed as it grows.  Its
 * old generation holds objects made of reference slots; the mutator stores
 * references into a few of them between collections, some pointing into
 * the young generation.  A minor collection needs the remembered set: the
 * old-to-young references.  Instead of scanning the whole old generation it
 * asks GetWriteWatch(WRITE_WATCH_FLAG_RESET) for the pages written since the
 * last collection (in batches, as a collector with a fixed buffer does) and
 * rescans only those.  Each collection is checked against a full scan of
 * the old generation and against the mutator's own record of the pages it
 * wrote, and the program prints a short summary.
 *
 *   gc_cardmark [cycles]      (default 40; WRITEWATCH_BACKEND picks the backend)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifndef _WIN32
#include <unistd.h>
#endif

#include "writewatch/win32.h"

#define HEAP_RESERVE    (256u << 20)    /* reserved address space */
#define OLD_SIZE        (48u << 20)     /* old generation: committed up front */
#define YOUNG_SIZE      (8u << 20)      /* young generation: committed after it */
#define BATCH           512             /* GetWriteWatch result buffer, in pages */

static char *heap;
static uintptr_t young_lo, young_hi;
static size_t page_size, old_pages, slots_per_page;

/* Per page of the old generation: remembered references, and what the mutator wrote. */
static unsigned *remembered;
static unsigned char *touched;          /* 1 written, 2 written and reported */
static void **dirty;

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "gc_cardmark: %s failed, error %u\n", what, (unsigned)GetLastError());
	exit(1);
}

/* The page size, the unit GetWriteWatch reports in (4 KiB on x86, up to 64 KiB on arm64). */
static size_t system_page_size(void)
{
#ifdef _WIN32
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return si.dwPageSize;
#else
	return (size_t)sysconf(_SC_PAGESIZE);
#endif
}

/* Old-to-young references on one old-generation page: the page's card. */
static unsigned scan_page(const uintptr_t *slots)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < slots_per_page; i++)
		n += slots[i] >= young_lo && slots[i] < young_hi;
	return n;
}

/* The heap, with a full old generation (no young references yet), watched from clean. */
static void setup(void)
{
	size_t i;

	page_size = system_page_size();
	old_pages = OLD_SIZE / page_size;
	slots_per_page = page_size / sizeof(uintptr_t);
	remembered = calloc(old_pages, sizeof(*remembered));
	touched = calloc(old_pages, 1);
	dirty = malloc(BATCH * sizeof(*dirty));
	if (!remembered || !touched || !dirty)
		exit(1);
	heap = VirtualAlloc(NULL, HEAP_RESERVE, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_NOACCESS);
	if (!heap)
		die("VirtualAlloc(MEM_RESERVE | MEM_WRITE_WATCH)");
	if (!VirtualAlloc(heap, OLD_SIZE, MEM_COMMIT, PAGE_READWRITE) ||
	    !VirtualAlloc(heap + OLD_SIZE, YOUNG_SIZE, MEM_COMMIT, PAGE_READWRITE))
		die("VirtualAlloc(MEM_COMMIT)");
	young_lo = (uintptr_t)heap + OLD_SIZE;
	young_hi = young_lo + YOUNG_SIZE;
	for (i = 0; i < OLD_SIZE / sizeof(uintptr_t); i++)
		((uintptr_t *)heap)[i] = (uintptr_t)heap + (rng() % OLD_SIZE & ~(uintptr_t)7);
	if (ResetWriteWatch(heap, OLD_SIZE))
		die("ResetWriteWatch");
}

/* Mutator: stores into ~1% of the old pages, a third of them young references. */
static unsigned mutate(int c)
{
	unsigned stores = (unsigned)(old_pages / 100), s;

	memset(touched, 0, old_pages);
	for (s = 0; s < stores; s++) {
		size_t page = rng() % old_pages, slot = rng() % slots_per_page;
		uintptr_t v = rng() % 3 ? (uintptr_t)heap + (rng() % OLD_SIZE & ~(uintptr_t)7)
					: young_lo + (rng() % YOUNG_SIZE & ~(uintptr_t)7);

		((uintptr_t *)(heap + page * page_size))[slot] = v;
		touched[page] = 1;
	}
	/* Allocation in the young generation is written too (it is not scanned). */
	memset(heap + OLD_SIZE + (size_t)c % 8 * (YOUNG_SIZE / 8), c, YOUNG_SIZE / 8);
	return stores;
}

/* Minor collection: rescan the cards of the pages written since the last one. */
static uint64_t collect(int c)
{
	uint64_t reported = 0;
	size_t i;

	for (;;) {
		ULONG_PTR count = BATCH;
		ULONG gran;

		if (GetWriteWatch(WRITE_WATCH_FLAG_RESET, heap, OLD_SIZE, dirty, &count, &gran))
			die("GetWriteWatch");
		for (i = 0; i < count; i++) {
			size_t page = (size_t)((char *)dirty[i] - heap) / gran;

			remembered[page] = scan_page((uintptr_t *)dirty[i]);
			if (!touched[page]) {
				fprintf(stderr, "cycle %d: page %zu reported but not written\n", c, page);
				exit(1);
			}
			touched[page] = 2;
		}
		reported += count;
		if (count < BATCH)
			return reported;
	}
}

/* Check: every written page was reported, and a full scan agrees; the young references. */
static uint64_t full_scan(int c, uint64_t reported)
{
	uint64_t refs = 0, written = 0;
	size_t i;

	for (i = 0; i < old_pages; i++) {
		unsigned full = scan_page((uintptr_t *)(heap + i * page_size));

		written += touched[i] != 0;
		if (touched[i] == 1) {
			fprintf(stderr, "cycle %d: page %zu written but not reported\n", c, i);
			exit(1);
		}
		if (full != remembered[i]) {
			fprintf(stderr, "cycle %d: page %zu has %u young references, remembered %u\n",
				c, i, full, remembered[i]);
			exit(1);
		}
		refs += full;
	}
	if (written != reported) {
		fprintf(stderr, "cycle %d: %llu pages written, %llu reported\n", c,
			(unsigned long long)written, (unsigned long long)reported);
		exit(1);
	}
	return refs;
}

int main(int argc, char **argv)
{
	int cycles = argc > 1 ? atoi(argv[1]) : 40, c;
	uint64_t total_dirty = 0, total_stores = 0, total_refs = 0;
	double t_cards = 0, t_full = 0, t0;

	if (cycles <= 0)
		return 1;
	setup();
	for (c = 0; c < cycles; c++) {
		uint64_t reported;

		total_stores += mutate(c);
		t0 = now_ms();
		reported = collect(c);
		t_cards += now_ms() - t0;
		t0 = now_ms();
		total_refs = full_scan(c, reported);
		t_full += now_ms() - t0;
		total_dirty += reported;
	}
	printf("gc_cardmark: %s backend, %u MiB old generation (%zu pages of %zu bytes), "
	       "%d minor collections\n", ww_win32_backend(), OLD_SIZE >> 20, old_pages, page_size,
	       cycles);
	printf("  mutator: %.0f stores/cycle, %.0f pages written/cycle (%.2f%% of the old generation)\n",
	       (double)total_stores / cycles, (double)total_dirty / cycles,
	       100.0 * total_dirty / cycles / old_pages);
	printf("  card rescans: %.3f ms/cycle (GetWriteWatch + rescan of the written pages only)\n",
	       t_cards / cycles);
	printf("  full scans:   %.3f ms/cycle (what a collector without write watch would do)\n",
	       t_full / cycles);
	printf("  remembered set: %llu old-to-young references; matches a full scan every cycle: OK\n",
	       (unsigned long long)total_refs);
	if (!VirtualFree(heap, 0, MEM_RELEASE))
		die("VirtualFree");
	free(remembered);
	free(touched);
	free(dirty);
	return 0;
}
