/* SPDX-License-Identifier: MIT */
/*
 * Engine-internal: one interface over every way of tracking a range, so
 * that each measurement runs the same code whatever tracks the memory.
 */
#ifndef WB_TARGETS_H
#define WB_TARGETS_H

#include "engine.h"

struct wb_target;

/* Called for every run of written pages a get reports, [start, end) in bytes. */
typedef void (*wb_run_fn)(void *arg, uintptr_t start, uintptr_t end);

/* Start tracking [base, base+len) (no page reads as written afterwards). */
int wb_target_open(struct wb_target **out, enum wb_method m, char *base, size_t len,
		   char *why, size_t whylen);
/* Re-arm the whole range. */
int wb_target_reset(struct wb_target *t);
/*
 * Get the written pages of the whole range and re-arm exactly those.
 * Returns the number of pages, or -errno (-EOPNOTSUPP for untracked).
 */
long wb_target_get_reset(struct wb_target *t, wb_run_fn fn, void *arg);
/* Stop tracking: the memory is plain read-write memory again. */
void wb_target_close(struct wb_target *t);

/* Runs of the output buffer handed to ww_get_regions() (and plain-mprotect). */
#define WB_OUT_REGIONS 1024
/*
 * Runs of the vec handed to PAGEMAP_SCAN by the raw sequence: the kernel's
 * own chunk (PAGEMAP_WALK_SIZE >> PAGE_SHIFT = 512 on x86-64).  Measured on
 * 6.18: when one call reports more than 512 runs over untouched (marker-only)
 * memory, a larger vec is slower (4 GiB, 1024 runs: ~3.3 ms with 1024 or
 * 4096 entries against ~2.4 ms with 512), so 512 is the fastest raw sequence.
 */
#define WB_RAW_VEC 512

/*
 * Thread-local escape hatch for the hand-rolled SIGSEGV handler: if it cannot
 * make a page writable (mprotect fails, e.g. vm.max_map_count reached), it
 * jumps here instead of faulting forever.  NULL: abort().
 */
#include <setjmp.h>
extern __thread sigjmp_buf *wb_plain_escape;
extern volatile int wb_plain_error;     /* errno of the failed mprotect */

#endif /* WB_TARGETS_H */
