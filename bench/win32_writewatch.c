/* SPDX-License-Identifier: MIT */
/*
 * win32_writewatch: the Wine-style write-watch microbenchmark, through the
 * Win32 layer.  T threads write one byte to a random page of an N-page
 * write-watched allocation, with a short sleep between writes, while one
 * more thread calls GetWriteWatch(WRITE_WATCH_FLAG_RESET) over the whole
 * allocation at a fixed interval.  Some writes are the first to their page
 * since the last reset (the tracked, costly kind), the others hit pages
 * already written; the average covers both, as Wine's figures do.  Reported per backend and case: the
 * average cost of a page write (each write timed on its own, timer overhead
 * subtracted) and the average cost of a GetWriteWatch call.
 * Wine's figures for the same benchmark are printed as reference rows, with
 * their source (Wine merge request 7871).
 *
 * Each backend and case runs in a child process with WRITEWATCH_BACKEND set
 * (the layer opens its tracker once per process), through the measuring
 * code's child runner, which says how a child that gave no result ended.  Bounded: cases x backends x
 * duration seconds.
 *
 *   win32_writewatch [-d seconds] [-b backend[,backend...]] [-c threads:pages ...]
 *                    [-s write_delay_ns] [-i get_interval_us]
 *
 * Defaults follow Wine's runs: cases 6 threads / 1080 pages and 8 threads /
 * 8192 pages, random pages, GetWriteWatch with WRITE_WATCH_FLAG_RESET every
 * 3 ms; 500 ns between two writes of a writer (spun: delays under 50 us spin,
 * longer ones sleep).  On a machine with fewer cores than writer threads the
 * writers share CPUs, and a write preempted while being timed counts in full.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "writewatch/win32.h"
#include "measure.h"

#define MAX_CASES 8
#define MAX_THREADS 64
#define SPIN_LIMIT_NS 50000     /* delays below this spin, longer ones sleep */

struct bcase {
	int threads;
	size_t pages;
};

struct opts {
	double seconds;
	long sleep_ns;          /* delay between two writes of one writer */
	long interval_ns;       /* between two GetWriteWatch calls */
	struct bcase cases[MAX_CASES];
	int ncases;
	const char *backends[4];
	int nbackends;
};

/* What a child sends back for one case. */
struct result {
	int ok;
	uint64_t writes;
	double write_ns;        /* average, timer overhead subtracted */
	uint64_t gets;
	double get_us;          /* average GetWriteWatch(RESET) */
	double pages_per_get;
	char backend[16];
	char error[200];
};

static char *area;
static size_t area_pages, page_size;
static long sleep_ns;
static atomic_int running;
static double timer_ns;

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_for(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The cost of the two clock reads around a write, to subtract from each sample. */
static double calibrate_timer(void)
{
	uint64_t best = UINT64_MAX;
	int r, i;

	for (r = 0; r < 5; r++) {
		uint64_t sum = 0;

		for (i = 0; i < 20000; i++) {
			uint64_t a = now_ns(), b = now_ns();

			sum += b - a;
		}
		if (sum < best)
			best = sum;
	}
	return (double)best / 20000;
}

struct writer_stats {
	uint64_t writes;
	uint64_t ns;
	uint64_t seed;
};

static void *writer(void *arg)
{
	struct writer_stats *ws = arg;
	uint64_t x = ws->seed;

	/* Short sleeps must be short: no timer slack. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (atomic_load_explicit(&running, memory_order_relaxed)) {
		size_t page;
		uint64_t t0, t1;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		page = x % area_pages;
		t0 = now_ns();
		((volatile char *)area)[page * page_size + (x >> 40) % page_size] = (char)x;
		t1 = now_ns();
		ws->ns += t1 - t0;
		ws->writes++;
		/* Short delays spin (a sleep would cost far more than the write), long ones sleep. */
		if (sleep_ns >= SPIN_LIMIT_NS)
			sleep_for(sleep_ns);
		else
			while (now_ns() - t1 < (uint64_t)sleep_ns)
				;
	}
	return NULL;
}

/* GetWriteWatch(RESET) over the area every interval until the end; the error, if any. */
static void getter(const struct opts *o, const struct bcase *bc, void **addrs, struct result *res,
		   uint64_t *get_ns, uint64_t *got)
{
	uint64_t t_end = now_ns() + (uint64_t)(o->seconds * 1e9);

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (now_ns() < t_end) {
		ULONG_PTR count = bc->pages;
		ULONG gran;
		uint64_t t0 = now_ns();

		if (GetWriteWatch(WRITE_WATCH_FLAG_RESET, area, bc->pages * page_size, addrs,
				  &count, &gran)) {
			snprintf(res->error, sizeof(res->error), "GetWriteWatch: error %u",
				 (unsigned)GetLastError());
			return;
		}
		*get_ns += now_ns() - t0;
		*got += count;
		res->gets++;
		sleep_for(o->interval_ns);
	}
}

static void run_case(const struct opts *o, const struct bcase *bc, struct result *res)
{
	struct writer_stats ws[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	void **addrs = malloc(bc->pages * sizeof(*addrs));
	uint64_t get_ns = 0, got = 0, writes = 0, wns = 0;
	int i;

	area_pages = bc->pages;
	area = VirtualAlloc(NULL, bc->pages * page_size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			    PAGE_READWRITE);
	if (!area || !addrs) {
		snprintf(res->error, sizeof(res->error), "VirtualAlloc: error %u",
			 (unsigned)GetLastError());
		free(addrs);
		return;
	}
	snprintf(res->backend, sizeof(res->backend), "%s", ww_win32_backend());
	sleep_ns = o->sleep_ns;
	atomic_store(&running, 1);
	for (i = 0; i < bc->threads; i++) {
		ws[i] = (struct writer_stats){ .seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1) };
		pthread_create(&th[i], NULL, writer, &ws[i]);
	}
	getter(o, bc, addrs, res, &get_ns, &got);
	atomic_store(&running, 0);
	for (i = 0; i < bc->threads; i++) {
		pthread_join(th[i], NULL);
		writes += ws[i].writes;
		wns += ws[i].ns;
	}
	VirtualFree(area, 0, MEM_RELEASE);
	free(addrs);
	if (res->error[0])
		return;
	res->ok = 1;
	res->writes = writes;
	res->write_ns = writes ? (double)wns / writes - timer_ns : 0;
	res->get_us = res->gets ? get_ns / 1e3 / res->gets : 0;
	res->pages_per_get = res->gets ? (double)got / res->gets : 0;
}

struct job {
	const struct opts *o;
	const struct bcase *bc;
	const char *backend;
};

/* In a fresh child process: the layer opens its tracker once per process. */
static void child(void *arg, void *out)
{
	struct job *j = arg;

	setenv("WRITEWATCH_BACKEND", j->backend, 1);
	timer_ns = calibrate_timer();
	run_case(j->o, j->bc, out);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: win32_writewatch [-d seconds] [-b backend[,backend...]] "
		"[-c threads:pages ...] [-s write_delay_ns] [-i get_interval_us]\n"
		"  defaults: -d 2 -b uffd-async,uffd-sync,mprotect -c 6:1080 -c 8:8192 "
		"-s 500 -i 3000\n");
	exit(2);
}

static void parse_backends(struct opts *o, const char *arg)
{
	char *s = strdup(arg), *tok, *save = NULL;

	o->nbackends = 0;
	for (tok = strtok_r(s, ",", &save); tok && o->nbackends < 4;
	     tok = strtok_r(NULL, ",", &save))
		o->backends[o->nbackends++] = tok;
}

static void parse_case(struct opts *o, const char *arg)
{
	struct bcase bc;

	if (o->ncases == MAX_CASES || sscanf(arg, "%d:%zu", &bc.threads, &bc.pages) != 2 ||
	    bc.threads < 1 || bc.threads > MAX_THREADS || bc.pages < 1 || bc.pages > (1u << 22))
		usage();
	o->cases[o->ncases++] = bc;
}

static void parse(int argc, char **argv, struct opts *o)
{
	int opt;

	*o = (struct opts){ .seconds = 2, .sleep_ns = 500, .interval_ns = 3000000 };
	while ((opt = getopt(argc, argv, "d:b:c:s:i:h")) != -1) {
		if (opt == 'd' && (wb_parse_decimal(optarg, &o->seconds) || o->seconds <= 0 ||
				   o->seconds > 600))
			usage();
		else if (opt == 'b')
			parse_backends(o, optarg);
		else if (opt == 'c')
			parse_case(o, optarg);
		else if (opt == 's' && (o->sleep_ns = atol(optarg)) < 0)
			usage();
		else if (opt == 'i' && (o->interval_ns = atol(optarg) * 1000) <= 0)
			usage();
		else if (!strchr("dbcsi", opt))
			usage();
	}
	if (!o->ncases) {
		o->cases[o->ncases++] = (struct bcase){ 6, 1080 };
		o->cases[o->ncases++] = (struct bcase){ 8, 8192 };
	}
	if (!o->nbackends) {
		o->backends[o->nbackends++] = "uffd-async";
		o->backends[o->nbackends++] = "uffd-sync";
		o->backends[o->nbackends++] = "mprotect";
	}
}

/* Wine's own run of this benchmark, with its source; not measured here. */
static void print_reference(void)
{
	printf("\nreference, not measured here: Wine merge request 7871 (kernel write watches),\n"
	       "https://gitlab.winehq.org/wine/wine/-/merge_requests/7871, on its author's\n"
	       "machine, random pages, GetWriteWatch(WRITE_WATCH_FLAG_RESET) every 3 ms; average\n"
	       "page-write cost in ns:\n");
	printf("  %-24s %14s %14s\n", "", "6 threads:1080", "8 threads:8192");
	printf("  %-24s %14s %14s\n", "Windows", "210", "290");
	printf("  %-24s %14s %14s\n", "Wine, kernel watches", "178", "245");
	printf("  %-24s %14s %14s\n", "Wine, mprotect fallback", "1800", "70000");
}

int main(int argc, char **argv)
{
	struct opts o;
	int b, c, failed = 0;

	parse(argc, argv, &o);
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	printf("Wine-style write-watch benchmark: T writer threads, one byte to a random page, "
	       "%ld ns between writes;\none thread calls GetWriteWatch(WRITE_WATCH_FLAG_RESET) "
	       "over the whole allocation every %ld us; %.1f s per case; %ld CPUs.\n\n",
	       o.sleep_ns, o.interval_ns / 1000, o.seconds, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-24s %7s %6s %10s %14s %14s %12s\n", "backend", "threads", "pages", "writes",
	       "write (ns)", "GetWW (us)", "pages/GetWW");
	for (b = 0; b < o.nbackends; b++) {
		for (c = 0; c < o.ncases; c++) {
			struct job j = { .o = &o, .bc = &o.cases[c], .backend = o.backends[b] };
			struct result r = { 0 };
			char why[200];

			if (wb_child_run(child, &j, &r, sizeof(r), (int)o.seconds + 120, why,
					 sizeof(why)))
				snprintf(r.error, sizeof(r.error), "%s", why);
			if (!r.ok) {
				printf("%-24s %7d %6zu  failed: %s\n", o.backends[b], j.bc->threads,
				       j.bc->pages, r.error);
				failed++;
				continue;
			}
			printf("%-24s %7d %6zu %10llu %14.0f %14.1f %12.1f\n", r.backend,
			       j.bc->threads, j.bc->pages, (unsigned long long)r.writes, r.write_ns,
			       r.get_us, r.pages_per_get);
			fflush(stdout);
		}
	}
	print_reference();
	return fflush(stdout) || ferror(stdout) || failed ? 1 : 0;
}
