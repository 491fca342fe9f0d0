/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of the Win32 layer, shared by src/win32.c (the
 * allocation registry, VirtualAlloc/VirtualFree/VirtualProtect, last error)
 * and src/win32_watch.c (the process-wide tracker, the sticky bits,
 * GetWriteWatch/ResetWriteWatch).
 *
 * Everything here is called with the layer's one mutex held (ww32_enter()).
 *
 * Written state, as Windows keeps it.  Windows records a write in the page
 * table entry's dirty bit, and copies that bit into the allocation's
 * write-watch bitmap whenever it rewrites the entry for a protection change
 * (VirtualProtect, or MEM_COMMIT over committed pages).  A decommit throws
 * the page table entry away, so a write made since the last reset is
 * forgotten unless a protection change had copied it first.  Here the
 * tracker plays the dirty bits and the "sticky" bitmap plays the
 * write-watch bitmap: GetWriteWatch reports the union of the two, a
 * protection change copies the tracker's written pages into the sticky
 * bits, a decommit resets the tracker's state of its pages and keeps their
 * sticky bits, and a reset clears both.
 */
#ifndef WW_WIN32_INTERNAL_H
#define WW_WIN32_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define WW_WIN32_NO_NAMES
#include "writewatch/win32.h"
#include "internal.h"

#define WW32_PROT_BASE_MASK 0xffu        /* PAGE_NOACCESS .. PAGE_EXECUTE_WRITECOPY */

struct walloc {
	uintptr_t base;
	uintptr_t end;
	size_t npages;
	uint16_t *prot;         /* Windows protection per page; 0: reserved, not committed */
	_Atomic uint64_t *sticky; /* write-watch: written pages copied out of the tracker */
	size_t nsticky;         /* bits set in sticky */
	size_t nwatched;        /* writable mode: pages the tracker watches */
	bool write_watch;
};

/* ---- state (src/win32.c), under the lock ---- */

extern struct ww_tracker *ww32_tracker;
extern bool ww32_writable_mode;  /* the tracker watches committed writable pages only */
extern bool ww32_forked;         /* fork child: the tracker is the parent's */

void ww32_enter(void);
void ww32_leave(void);
/* Record err as the thread's last error; returns err for chaining. */
DWORD ww32_fail(DWORD err);
/* A library or kernel -errno (or errno) in Windows terms; 0 for 0. */
DWORD ww32_err_from_errno(int e);
int ww32_posix_prot(DWORD p);
struct walloc *ww32_alloc_find(uintptr_t addr);

static inline bool ww32_prot_writable(DWORD p)
{
	p &= WW32_PROT_BASE_MASK;
	return p == PAGE_READWRITE || p == PAGE_EXECUTE_READWRITE;
}

static inline uintptr_t ww32_page_addr(const struct walloc *a, size_t i)
{
	return a->base + i * ww_page_size();
}

static inline size_t ww32_page_index(const struct walloc *a, uintptr_t addr)
{
	return (addr - a->base) / ww_page_size();
}

static inline void ww32_prot_fill(struct walloc *a, size_t i0, size_t i1, DWORD p)
{
	for (size_t i = i0; i < i1; i++)
		a->prot[i] = (uint16_t)p;
}

/* Does the tracker watch page i of a? */
static inline bool ww32_page_watched(const struct walloc *a, size_t i)
{
	if (!a->write_watch)
		return false;
	if (!ww32_writable_mode)
		return true;
	return a->prot[i] && ww32_prot_writable(a->prot[i]);
}

/* ---- sticky bits: the page bitmap of src/util.h, with a count ---- */

static inline void ww32_sticky_set(struct walloc *a, size_t i)
{
	if (!ww_bit_test(a->sticky, i)) {
		ww_bits_update(a->sticky, i, i + 1, true);
		a->nsticky++;
	}
}

static inline void ww32_sticky_clear(struct walloc *a, size_t i)
{
	if (ww_bit_test(a->sticky, i)) {
		ww_bits_update(a->sticky, i, i + 1, false);
		a->nsticky--;
	}
}

/* First sticky page in [i, end), or end. */
static inline size_t ww32_sticky_next(const struct walloc *a, size_t i, size_t end)
{
	return a->nsticky ? ww_bits_next_set(a->sticky, i, end) : end;
}

/* ---- the tracker and the written state (src/win32_watch.c) ---- */

bool ww32_tracker_live(void);
/* Open the process-wide tracker on first use.  0 or a Windows error. */
DWORD ww32_tracker_ensure(void);
/* Start watching a new allocation (committed with protect if commit). */
DWORD ww32_watch_new(struct walloc *a, bool commit, DWORD protect);
/* Give pages [i0, i1) of a the protection newp (committing reserved ones). */
DWORD ww32_set_protect(struct walloc *a, size_t i0, size_t i1, DWORD newp);
/* Decommit pages [i0, i1): contents and uncopied written state dropped. */
DWORD ww32_decommit(struct walloc *a, size_t i0, size_t i1);
/* Stop watching all of a (before unmapping it). */
void ww32_unwatch_all(struct walloc *a);
/* End of the run starting at i of pages that are all watched or all not. */
size_t ww32_run_end(const struct walloc *a, size_t i, size_t end);

#endif /* WW_WIN32_INTERNAL_H */
