/* SPDX-License-Identifier: MIT */
/*
 * rate_target: a process that writes memory on a known schedule, for
 * `writewatch rate`'s tests and benchmarks.
 *
 *   rate_target MODE [--pages N] [--rate PAGES_PER_S] [--burst B] [--hot H]
 *               [--seconds S] [--wait-armed] [--wait-reset]
 *
 * Modes (every page of the region is a base page, its own VMA, never
 * touched before the schedule but by churn):
 *   steady  N pages, each written once, at RATE pages a second
 *   bursty  N pages, each written once, in bursts of B pages at full speed,
 *           a second of rest between bursts
 *   hot     a hot set (the last H pages) rewritten over and over for S seconds,
 *           at RATE page writes a second
 *   cold    one full-speed sweep over N pages, each written once
 *   churn   write-heavy: pages of the region written round and round at
 *           full speed for S seconds; prints the page writes per second
 *   maps    three mappings written at once, RATE ticks a second, N ticks:
 *           the region (N pages) swept a page a tick, a second mapping
 *           (N/2 pages, rounded up) swept a page every other tick, and a
 *           third (H pages) a hot set, one page of it a tick, round and round
 *
 * Before writing it prints "region 0x<start> <pages>" on stdout (maps also
 * "map 0x<start> <pages>" for its second and third mapping).  With
 * --wait-armed it first writes the last page (a canary every schedule
 * writes again) and waits until the region is armed for async
 * write-protect (its page map says so: no tracker can miss a write after
 * that); with --wait-reset it waits at the end until no page of the
 * region reads as written any more (a tracker's get-and-reset has taken
 * the last write), so no write is lost to its exit.  The truth is printed
 * last, one JSON line: written pages, distinct pages, page writes (maps:
 * those of each mapping too, in "maps").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"

struct opts {
	const char *mode;
	size_t pages, burst, hot;
	double rate, seconds;
	bool wait_armed, wait_reset;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_until(double t)
{
	struct timespec ts;
	double d = t - now();

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static int usage(void)
{
	fprintf(stderr, "usage: rate_target steady|bursty|hot|cold|churn|maps [--pages N] [--rate R] "
		"[--burst B] [--hot H] [--seconds S] [--wait-armed] [--wait-reset]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){ .pages = 4096, .burst = 512, .hot = 256, .rate = 4096, .seconds = 3 };
	if (argc < 2)
		return -1;
	o->mode = argv[1];
	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--wait-armed"))
			o->wait_armed = true;
		else if (!strcmp(argv[i], "--wait-reset"))
			o->wait_reset = true;
		else if (v && !strcmp(argv[i], "--pages") && ++i)
			o->pages = strtoull(v, NULL, 0);
		else if (v && !strcmp(argv[i], "--burst") && ++i)
			o->burst = strtoull(v, NULL, 0);
		else if (v && !strcmp(argv[i], "--hot") && ++i)
			o->hot = strtoull(v, NULL, 0);
		else if (v && !strcmp(argv[i], "--rate") && ++i)
			o->rate = strtod(v, NULL);
		else if (v && !strcmp(argv[i], "--seconds") && ++i)
			o->seconds = strtod(v, NULL);
		else
			return -1;
	}
	return o->pages && o->burst && o->hot && o->rate > 0 ? 0 : -1;
}

/* Pages of [mem, mem + n pages) having bit (WRITTEN or WPALLOWED) in the page map. */
static size_t count_cat(struct ww_pagemap *pm, char *mem, size_t n, size_t pg, uint32_t bit)
{
	struct ww_page_run runs[256];
	uint64_t cur = (uintptr_t)mem, end = cur + n * pg, next;
	size_t total = 0;

	while (cur < end) {
		ssize_t k = ww_pagemap_scan(pm, cur, end, 0, bit, runs, 256, &next), i;

		if (k < 0)
			return 0;
		for (i = 0; i < k; i++)
			if (runs[i].categories & bit)
				total += (runs[i].end - runs[i].start) / pg;
		if (next <= cur)
			break;
		cur = next;
	}
	return total;
}

/*
 * Poll the page map every millisecond until the region is armed (done) or
 * clean (!armed).  Armed: the last page, written before (the canary), reads
 * as not written in a region registered for async write-protect.  Unwritten
 * pages prove nothing (before the protection comes, a registered hole reads
 * as not written too); write-protection runs up the range, so the last page
 * protected means all are.
 */
static int wait_for(char *mem, size_t n, size_t pg, bool armed)
{
	struct ww_pagemap *pm;
	int ret = ww_pagemap_open(&pm, 0, 0);

	if (ret)
		return ret;
	for (;;) {
		size_t allowed = count_cat(pm, mem, n, pg, WW_PAGE_IS_WPALLOWED);
		size_t written = count_cat(pm, mem, n, pg, WW_PAGE_IS_WRITTEN);
		size_t canary = count_cat(pm, mem + (n - 1) * pg, 1, pg, WW_PAGE_IS_WRITTEN);

		if (allowed == n && written == 0 && canary == 0)
			break;
		if (!armed && allowed < n)
			break;          /* no longer tracked: nobody will reset it */
		usleep(1000);
	}
	ww_pagemap_close(pm);
	return 0;
}

/* Write one word into page i: a new value each time, so content changes too. */
static inline void touch(char *mem, size_t pg, size_t i, unsigned long *seq)
{
	*(volatile unsigned long *)(mem + i * pg) = ++*seq;
}

static void run(const struct opts *o, char *mem, size_t pg, unsigned long *writes,
		size_t *distinct)
{
	double t0 = now();
	size_t i, j;

	*distinct = o->pages;
	if (!strcmp(o->mode, "steady")) {
		for (i = 0; i < o->pages; i++) {
			sleep_until(t0 + (double)i / o->rate);
			touch(mem, pg, i, writes);
		}
	} else if (!strcmp(o->mode, "bursty")) {
		for (i = 0; i < o->pages; i += o->burst) {
			for (j = i; j < i + o->burst && j < o->pages; j++)
				touch(mem, pg, j, writes);
			if (j < o->pages)
				sleep_until(t0 += 1.0);
		}
	} else if (!strcmp(o->mode, "hot")) {
		*distinct = o->hot < o->pages ? o->hot : o->pages;
		/* The last pages: the canary is one of them. */
		for (i = 0; now() - t0 < o->seconds; i++) {
			sleep_until(t0 + (double)i / o->rate);
			touch(mem, pg, o->pages - *distinct + i % *distinct, writes);
		}
	} else if (!strcmp(o->mode, "cold")) {
		for (i = 0; i < o->pages; i++)
			touch(mem, pg, i, writes);
	} else {                        /* churn */
		for (i = 0; (i & 1023) || now() - t0 < o->seconds; i++)
			touch(mem, pg, i % o->pages, writes);
		*distinct = i < o->pages ? i : o->pages;
	}
}

/* One mapping of the maps mode: [mem, mem + pages pages), its own VMA. */
struct one_map {
	char *mem;
	size_t pages, distinct;
	unsigned long writes;
};

/* Three mappings between PROT_NONE pages, carved from one reservation. */
static int maps_setup(const struct opts *o, size_t pg, struct one_map *m)
{
	size_t sizes[3] = { o->pages, (o->pages + 1) / 2, o->hot }, total = 1, i;
	char *at;

	for (i = 0; i < 3; i++)
		total += sizes[i] + 1;
	at = mmap(NULL, total * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (at == MAP_FAILED)
		return -1;
	for (i = 0, at += pg; i < 3; at += (sizes[i++] + 1) * pg) {
		if (mprotect(at, sizes[i] * pg, PROT_READ | PROT_WRITE))
			return -1;
		madvise(at, sizes[i] * pg, MADV_NOHUGEPAGE);
		m[i] = (struct one_map){ at, sizes[i], 0, 0 };
		printf("%s %#lx %zu\n", i ? "map" : "region", (unsigned long)(uintptr_t)at, sizes[i]);
	}
	fflush(stdout);
	return 0;
}

/* The maps schedule: tick i writes region page i, map 2 page i/2 (even i), map 3 page i % H. */
static void maps_run(const struct opts *o, size_t pg, struct one_map *m)
{
	double t0 = now();
	size_t i;

	for (i = 0; i < o->pages; i++) {
		sleep_until(t0 + (double)i / o->rate);
		touch(m[0].mem, pg, i, &m[0].writes);
		if (i % 2 == 0)
			touch(m[1].mem, pg, i / 2, &m[1].writes);
		touch(m[2].mem, pg, i % m[2].pages, &m[2].writes);
	}
	m[0].distinct = m[0].pages;
	m[1].distinct = m[1].pages;
	m[2].distinct = o->pages < m[2].pages ? o->pages : m[2].pages;
}

static int maps_main(const struct opts *o, size_t pg)
{
	struct one_map m[3];
	double t0, t1;
	int i;

	if (maps_setup(o, pg, m)) {
		perror("rate_target: mmap");
		return 1;
	}
	for (i = 0; o->wait_armed && i < 3; i++) {
		touch(m[i].mem, pg, m[i].pages - 1, &m[i].writes);     /* canaries */
		if (wait_for(m[i].mem, m[i].pages, pg, true)) {
			fprintf(stderr, "rate_target: cannot read its page map\n");
			return 1;
		}
	}
	for (i = 0; i < 3; i++)
		m[i].writes = 0;
	t0 = now();
	maps_run(o, pg, m);
	t1 = now();
	for (i = 0; o->wait_reset && i < 3; i++)
		wait_for(m[i].mem, m[i].pages, pg, false);
	printf("{\"mode\": \"maps\", \"pages\": %zu, \"distinct\": %zu, \"page_writes\": %lu, "
	       "\"seconds\": %.6f, \"maps\": [", m[0].pages + m[1].pages + m[2].pages,
	       m[0].distinct + m[1].distinct + m[2].distinct,
	       m[0].writes + m[1].writes + m[2].writes, t1 - t0);
	for (i = 0; i < 3; i++)
		printf("%s{\"start\": \"%#lx\", \"pages\": %zu, \"distinct\": %zu, "
		       "\"page_writes\": %lu}", i ? ", " : "", (unsigned long)(uintptr_t)m[i].mem,
		       m[i].pages, m[i].distinct, m[i].writes);
	printf("]}\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), distinct;
	unsigned long writes = 0;
	double t0, t1;
	char *mem;

	if (parse(argc, argv, &o) || !strstr(" steady bursty hot cold churn maps ", o.mode))
		return usage();
	if (!strcmp(o.mode, "maps"))
		return maps_main(&o, pg);
	/* Between two PROT_NONE pages: its own VMA, whatever is mapped around it. */
	mem = mmap(NULL, (o.pages + 2) * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mprotect(mem + pg, o.pages * pg, PROT_READ | PROT_WRITE)) {
		perror("rate_target: mmap");
		return 1;
	}
	mem += pg;
	madvise(mem, o.pages * pg, MADV_NOHUGEPAGE);
	/*
	 * Only the write-heavy churn starts from populated memory.  The schedules
	 * leave the region untouched, so that their own writes are the only ones
	 * in it, whenever a tracker started (pre-populating it after the tracker
	 * had armed it would count as writes).
	 */
	if (!strcmp(o.mode, "churn"))
		memset(mem, 0, o.pages * pg);
	printf("region %#lx %zu\n", (unsigned long)(uintptr_t)mem, o.pages);
	fflush(stdout);
	if (o.wait_armed)
		touch(mem, pg, o.pages - 1, &writes);   /* the canary: part of every schedule */
	if (o.wait_armed && wait_for(mem, o.pages, pg, true)) {
		fprintf(stderr, "rate_target: cannot read its page map\n");
		return 1;
	}
	writes = 0;             /* the truth is the schedule's writes */
	t0 = now();
	run(&o, mem, pg, &writes, &distinct);

	t1 = now();
	if (o.wait_reset)
		wait_for(mem, o.pages, pg, false);
	printf("{\"mode\": \"%s\", \"pages\": %zu, \"distinct\": %zu, \"page_writes\": %lu, "
	       "\"seconds\": %.6f, \"page_writes_per_s\": %.1f}\n", o.mode, o.pages, distinct,
	       writes, t1 - t0, (double)writes / (t1 - t0));
	return 0;
}
