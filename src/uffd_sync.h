/* SPDX-License-Identifier: MIT */
/*
 * Internals of the uffd-sync backend, shared by its three files:
 *   backend_uffd_sync.c  the operations table (probe, open, watch, scan...)
 *   uffd_sync_table.c    written-bitmaps and the table of published ranges
 *   uffd_sync_fault.c    the fault thread
 *
 * The fault thread never takes t->lock (src/internal.h) and never touches
 * watched memory.  It finds the range of a fault address in a table of
 * published ranges guarded by a private lock, plock.  Everything reachable
 * under plock lives in private mappings of this backend, and nobody holding
 * plock touches the caller's memory or waits for anything but the kernel,
 * so the thread can always make progress.
 *
 * plock also orders fault messages against resets: the thread holds it from
 * the read(2) of a batch of messages until the last of them is handled, and
 * a reset clears and protects under it.  A message can only be read while
 * its writer is still blocked in the kernel (a woken writer's message leaves
 * the queue), so every message a reset could see handled after it belongs
 * to a write that completes after the reset: a stale message never marks a
 * page that was not written since.
 */
#ifndef WW_UFFD_SYNC_H
#define WW_UFFD_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "internal.h"

/* Per-range state (r->priv): one private mapping, this header then the bitmap. */
struct sync_bits {
	size_t map_len;
	uintptr_t base;                 /* address of bit 0 */
	unsigned int shift;             /* log2 of the range's page size */
	size_t nbits;
	_Atomic int err;                /* sticky: a fault here could not be resolved */
	_Atomic uint64_t words[];
};

/* A published range: [start, end) of the memory whose faults land in bits. */
struct sync_entry {
	uintptr_t start;
	uintptr_t end;
	struct sync_bits *bits;
};

/* Per-tracker state (t->priv), in a private mapping like all the thread reads. */
struct sync_state {
	pthread_mutex_t plock;          /* the table and the message batches */
	struct sync_entry *tab;         /* sorted by start; a private mapping */
	size_t ntab;
	size_t captab;
	int uffd;                       /* == t->uffd: the thread never reads t */
	int wake_fd;                    /* eventfd: written to stop the thread */
	pthread_t thread;
	bool thread_started;
	bool unpopulated;               /* UFFD_FEATURE_WP_UNPOPULATED in effect */
	bool populate;                  /* try MADV_POPULATE_READ (test hook: no) */
	_Atomic int err;                /* sticky: the userfaultfd itself failed */
};

/* ---- uffd_sync_table.c ---- */

void *ww_sync_map_zeroed(size_t len);
struct sync_bits *ww_sync_bits_alloc(uintptr_t base, size_t len, size_t pagesize);
void ww_sync_bits_free(struct sync_bits *b);

static inline size_t ww_sync_bit_of(const struct sync_bits *b, uintptr_t addr)
{
	return (addr - b->base) >> b->shift;
}

static inline uintptr_t ww_sync_addr_of(const struct sync_bits *b, size_t bit)
{
	return b->base + ((uintptr_t)bit << b->shift);
}

/* Set (set=true) or clear the bits of [start, end), addresses inside b. */
void ww_sync_bits_mark(struct sync_bits *b, uintptr_t start, uintptr_t end, bool set);

/* Table operations; the caller holds plock. */
size_t ww_sync_tab_search(const struct sync_state *st, uintptr_t addr);
struct sync_entry *ww_sync_tab_lookup(struct sync_state *st, uintptr_t addr);

/* Take plock themselves. */
int ww_sync_publish(struct sync_state *st, uintptr_t start, uintptr_t end, struct sync_bits *b);
void ww_sync_unpublish(struct sync_state *st, uintptr_t start);
/* Move [tail_start, end of the entry at start) into nb, published as its own entry. */
int ww_sync_tab_split(struct sync_state *st, uintptr_t start, uintptr_t tail_start,
		      struct sync_bits *nb);
void ww_sync_tab_free(struct sync_state *st);

/* ---- uffd_sync_fault.c ---- */

int ww_sync_thread_start(struct sync_state *st);
/* Stop the thread; every range was unwatched, so no writer is blocked on us. */
void ww_sync_thread_stop(struct sync_state *st);

#endif /* WW_UFFD_SYNC_H */
