/* SPDX-License-Identifier: MIT */
/*
 * Inside the measuring code: one interface over every way of tracking a
 * range, so that each measurement runs the same code whatever tracks the
 * memory.  The library's backends are in targets.c; the baselines the
 * library is measured against are in baseline_raw.c (the kernel sequence by
 * hand) and baseline_mprotect.c (mprotect + SIGSEGV by hand).
 */
#ifndef WB_TARGET_H
#define WB_TARGET_H

#include <pthread.h>
#include <setjmp.h>

#include "measure.h"

/* Called for every run of written pages a get reports, [start, end) in bytes. */
typedef void (*wb_run_fn)(void *arg, uintptr_t start, uintptr_t end);

struct wb_target;

struct wb_target_ops {
	/* 0 if the method can run here, else -errno and why. */
	int (*available)(char *why, size_t whylen);
	/* Start tracking t->base, t->len (no page reads as written afterwards). */
	int (*open)(struct wb_target *t, char *why, size_t whylen);
	/* Written pages of the whole range, re-arming exactly those: count or -errno. */
	long (*get_reset)(struct wb_target *t, wb_run_fn fn, void *arg);
	/* Stop tracking (also after a failed open): plain read-write memory again. */
	void (*close)(struct wb_target *t);
};

struct wb_target {
	enum wb_method m;
	const struct wb_target_ops *ops;
	char *base;
	size_t len;
	void *priv;                     /* the method's own state */
};

extern const struct wb_target_ops wb_raw_ops, wb_old_pagemap_ops, wb_plain_mprotect_ops;

int wb_target_open(struct wb_target **out, enum wb_method m, char *base, size_t len,
		   char *why, size_t whylen);
/* -EOPNOTSUPP for untracked memory. */
long wb_target_get_reset(struct wb_target *t, wb_run_fn fn, void *arg);
void wb_target_close(struct wb_target *t);

/* Runs of the output buffer handed to ww_get_regions(). */
#define WB_OUT_REGIONS 1024

/*
 * Thread-local escape hatch for the hand-rolled SIGSEGV handler: if it cannot
 * make a page writable (mprotect fails, e.g. vm.max_map_count reached), it
 * jumps here instead of faulting forever.  NULL: abort().
 */
extern __thread sigjmp_buf *wb_plain_escape;
extern volatile int wb_plain_error;     /* errno of the failed mprotect */

/* ---- the written set and its writers (writers.c) ---- */

/* Page indexes case c writes, in the order it writes them (malloc'd; NULL: no memory). */
uint32_t *wb_written_set(const struct wb_case *c, size_t *count);

#define WB_MAX_THREADS 64

struct wb_writers {
	char *base;
	const uint32_t *idx;
	size_t k;
	int nthreads;
	uint64_t value;
	volatile int quit;
	volatile int failed;            /* a hand-rolled handler could not unprotect */
	pthread_barrier_t start, done;
	pthread_t tids[WB_MAX_THREADS];
	struct wb_writer_arg {
		struct wb_writers *w;
		int id;
	} args[WB_MAX_THREADS];
};

/* Start the writer threads (none for one writer: the caller's thread writes). */
int wb_writers_start(struct wb_writers *w);
/* Write the whole set once; the wall time in seconds, < 0 on failure. */
double wb_writers_run(struct wb_writers *w);
void wb_writers_stop(struct wb_writers *w);

/* Index of name in names[0..n), or -EINVAL. */
int wb_name_index(const char *const *names, int n, const char *name);

/* Page-table memory of this process, KiB (VmPTE in /proc/self/status); -1 if unknown. */
long wb_vmpte_kib(void);

#endif /* WB_TARGET_H */
