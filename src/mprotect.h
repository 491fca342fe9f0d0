/* SPDX-License-Identifier: MIT */
/*
 * The mprotect backend's shared definitions: per-range state, which the
 * SIGSEGV handler reads without locks (mprotect_fault.c), and the calls
 * between the fault path and the operations (backend_mprotect.c).
 */
#ifndef WW_MPROTECT_H
#define WW_MPROTECT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmaps.h"
#include "util.h"

/*
 * Per-range state, read by the handler while its slot is pinned.
 *
 * Segments: runs of pages that had one protection and one backing at watch
 * time, as struct ww_vma (start, end, prot, and the identity of the memory
 * at start: sharing, device, inode, file offset).  The identity tells the
 * memory we protected from memory mapped in its place later.
 */
struct mp_state {
	uintptr_t base;         /* address of bit 0; never changes */
	_Atomic uintptr_t lo;   /* the part still watched: [lo, hi) */
	_Atomic uintptr_t hi;
	size_t pagesize;
	unsigned shift;         /* log2(pagesize) */
	int slot;               /* index in the table, -1 once orphaned by fork */
	size_t nsegs;
	const struct ww_vma *segs;      /* sorted, cover [base, base + npages pages) */
	_Atomic uint64_t *bits;         /* written-bitmap, one bit a page */
	_Atomic uint64_t *summary;      /* a bit a group of MP_GROUP_PAGES: set when any
					 * of its bits may be (a get skips the rest) */
	size_t npages;
	size_t maplen;          /* bytes of the mapping holding this state */
};

/* Pages a summary bit stands for: 64 words of the bitmap. */
#define MP_GROUP_PAGES 4096

/* ---- async-signal-safe helpers ---- */

static inline size_t mp_index(const struct mp_state *st, uintptr_t addr)
{
	return (addr - st->base) >> st->shift;
}

/* Set (set=true) or clear the bits of the pages [a, b). */
static inline void mp_bits(struct mp_state *st, uintptr_t a, uintptr_t b, bool set)
{
	size_t i = mp_index(st, a), j = mp_index(st, b);

	ww_bits_update(st->bits, i, j, set);
	/*
	 * The page's bit first, then its group's: a get that clears the group's
	 * bit and then looks at the words again cannot miss this one.
	 */
	if (set && i < j)
		ww_bits_update(st->summary, i / MP_GROUP_PAGES, (j - 1) / MP_GROUP_PAGES + 1, true);
}

static inline uintptr_t mp_seg_end_of(const void *arr, size_t i)
{
	return ((const struct ww_vma *)arr)[i].end;
}

/* Index of the first segment ending above addr (nsegs if none). */
static inline size_t mp_seg_index(const struct mp_state *st, uintptr_t addr)
{
	return ww_search_end(st->segs, st->nsegs, addr, mp_seg_end_of);
}

/* The segment holding addr, or NULL. */
static inline const struct ww_vma *mp_seg_find(const struct mp_state *st, uintptr_t addr)
{
	size_t i = mp_seg_index(st, addr);

	return i < st->nsegs && st->segs[i].start <= addr ? &st->segs[i] : NULL;
}

/* ---- mprotect_fault.c: the handler and the slot table ---- */

/* Install the SIGSEGV handler (once) and again if the program reset SIGSEGV. */
int ww_mp_ensure_handler(void);
/* Publish st in a free slot; -EBUSY if check_busy and another range overlaps it. */
int ww_mp_publish(struct mp_state *st, bool check_busy);
/* Shrink the claimable part of st to [lo, hi); waits out handlers that saw more. */
void ww_mp_shrink(struct mp_state *st, uintptr_t lo, uintptr_t hi);
/* Unpublish st (if published), wait for the handlers using it, unmap it. */
void ww_mp_release(struct mp_state *st);
/* Some protection was removed: a fault nobody owns may have been ours (retry it). */
void ww_mp_note_restored(void);

/* ---- backend_mprotect.c ---- */

/*
 * Set the watch-time protection of the pages of [a, b) that were writable
 * at watch time: with writable, as they were; else without PROT_WRITE.
 * One mprotect() per segment part; stops at the first failure.
 */
int ww_mp_protect(struct mp_state *st, uintptr_t a, uintptr_t b, bool writable);

/* ---- mprotect_segs.c (normal context) ---- */

/* Move the start of segment v up to at, keeping its file offset in step. */
void ww_mp_seg_trim_front(struct ww_vma *v, uintptr_t at);
/*
 * The segments of [a, b) in a malloc'd array: -ENOMEM on a hole, -EPERM if
 * some part can never be written (read-only without VM_MAYWRITE).
 */
int ww_mp_learn(uintptr_t a, uintptr_t b, struct ww_vma **out, size_t *nout);

#endif /* WW_MPROTECT_H */
