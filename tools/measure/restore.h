/* SPDX-License-Identifier: MIT */
/*
 * The restore measure: putting a range back to a saved state after a run
 * wrote some of its pages, by each way people do it (a libwritewatch
 * snapshot on each backend, copying the whole range back, a memfd-backed
 * private mapping reset with MADV_DONTNEED, a PAGEMAP_SCAN for pages no
 * longer backed by the file, a fork per run).  Each (case, method) runs in
 * its own forked child.  Nothing here asserts on time.
 */
#ifndef WB_RESTORE_H
#define WB_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum wr_method {
	WR_SNAP_ASYNC = 0,      /* ww_snapshot_restore, uffd-async */
	WR_SNAP_SYNC,           /* ww_snapshot_restore, uffd-sync */
	WR_SNAP_MPROTECT,       /* ww_snapshot_restore, mprotect */
	WR_COPY,                /* memcpy of the whole range from a saved copy */
	WR_MEMFD,               /* memfd MAP_PRIVATE, reset by MADV_DONTNEED of the range */
	WR_PAGEMAP,             /* memfd MAP_PRIVATE, PAGEMAP_SCAN for non-file pages, DONTNEED them */
	WR_FORK,                /* fork per run: the child writes, the parent never changes */
	WR_NMETHODS
};

const char *wr_method_name(enum wr_method m);
const char *wr_method_desc(enum wr_method m);
int wr_method_parse(const char *name, enum wr_method *out);

struct wr_case {
	size_t size;            /* bytes */
	bool sparse;            /* MAP_NORESERVE, only WR_SPARSE_POP pages populated */
	size_t pages;           /* pages written per run */
	int reps;               /* timed runs (at least 3; fewer when a run is slow) */
};

#define WR_SPARSE_POP 1024

enum wr_status { WR_OK = 0, WR_NA, WR_FAILED };

struct wr_result {
	struct wr_case c;
	enum wr_method method;
	enum wr_status status;
	char reason[160];
	double restore_us;      /* median time to put the range back (0: not separable) */
	double iter_us;         /* median time of a run: write the pages, put them back */
	double setup_ms;        /* take / arm / copy-out time, before the runs */
	long restored;          /* pages the last restore reported (-1: not reported) */
	unsigned long mismatches; /* runs after which a written page did not read as saved */
	int reps;               /* runs timed */
};

/* Measure case c with method m (in a forked child) into *r; always fills *r. */
void wr_measure(const struct wr_case *c, enum wr_method m, int timeout_s, struct wr_result *r);

/* Output: Markdown (or text) tables of iteration and restore time, and CSV. */
void wr_report_text(FILE *f, const struct wr_result *r, size_t n, bool markdown);
void wr_report_csv(FILE *f, const struct wr_result *r, size_t n);
#define WR_CSV_HEADER "size_bytes,sparse,pages,method,status,iter_us,restore_us,setup_ms," \
		      "vs_snapshot,restored,mismatches,reps,reason"

/* restore_scan.c: the wasmtime-style scan (raw PAGEMAP_SCAN), 0 or -errno. */
int wr_scan_open(void);
int wr_scan_reset(int fd, char *start, size_t len);

#endif /* WB_RESTORE_H */
