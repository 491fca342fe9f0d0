/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: the process-wide tracker behind every write-watched
 * allocation, and what commits, protection changes, decommits and releases
 * do to the written state (see src/win32_internal.h for the model).
 *
 * Two ways of tracking, chosen by backend:
 *
 * - whole (uffd-async, uffd-sync): the whole reservation is watched from
 *   VirtualAlloc to MEM_RELEASE.  uffd-wp state lives in the page tables and
 *   survives mprotect(), so commits and protection changes are plain
 *   mprotect() calls followed by a copy of the written pages into the
 *   sticky bits.
 *
 * - writable (mprotect): the backend itself write-protects watched pages and
 *   un-protects them in its SIGSEGV handler, so it must not watch pages the
 *   application wants inaccessible or read-only (its handler would make
 *   them writable), and an application mprotect() would silently override
 *   its protection.  Here exactly the committed, writable pages are
 *   watched: every protection change copies the written state of its pages
 *   into the sticky bits, un-watches the pages that stop being writable and
 *   watches the pages that become writable.
 */
#include <errno.h>
#include <sys/mman.h>

#include "win32_internal.h"

#define HARVEST_BATCH 256

bool ww32_tracker_live(void)
{
	return ww32_tracker && !ww32_forked;
}

DWORD ww32_tracker_ensure(void)
{
	int ret;

	if (ww32_forked)
		return ERROR_NOT_SUPPORTED;
	if (ww32_tracker)
		return 0;
	ret = ww_open(&ww32_tracker, WW_BACKEND_AUTO, 0);
	if (ret == -EINVAL)     /* WRITEWATCH_BACKEND names no backend */
		return ERROR_NOT_SUPPORTED;
	if (ret)
		return ww32_err_from_errno(ret);
	ww32_writable_mode = ww_backend_id(ww32_tracker) == WW_BACKEND_MPROTECT;
	return 0;
}

size_t ww32_run_end(const struct walloc *a, size_t i, size_t end)
{
	bool w = ww32_page_watched(a, i);

	if (!ww32_writable_mode || a->nwatched == a->npages)
		return end;     /* uniform: everything watched or (whole mode) everything */
	if (!a->nwatched && !w)
		return end;
	while (++i < end && ww32_page_watched(a, i) == w)
		;
	return i;
}

/*
 * Copy the tracker's written pages of [i0, i1) into the sticky bits (no
 * reset): what Windows does to the dirty bits of pages whose protection
 * changes.  All of [i0, i1) must be watched.
 */
static int harvest(struct walloc *a, size_t i0, size_t i1)
{
	uintptr_t at = ww32_page_addr(a, i0), end = ww32_page_addr(a, i1);
	void *buf[HARVEST_BATCH];

	while (at < end) {
		ssize_t n = ww_get(ww32_tracker, (void *)at, end - at, buf, HARVEST_BATCH, 0), k;

		if (n < 0)
			return (int)n;
		for (k = 0; k < n; k++)
			ww32_sticky_set(a, ww32_page_index(a, (uintptr_t)buf[k]));
		if (n < HARVEST_BATCH)
			break;
		at = (uintptr_t)buf[n - 1] + ww_page_size();
	}
	return 0;
}

/* Un-watch the watched runs of [i0, i1), their tracker state with them. */
static int unwatch_runs(struct walloc *a, size_t i0, size_t i1)
{
	size_t i, j;
	int ret;

	for (i = i0; i < i1; i = j) {
		j = ww32_run_end(a, i, i1);
		if (!ww32_page_watched(a, i))
			continue;
		ret = ww_unwatch(ww32_tracker, (void *)ww32_page_addr(a, i),
				 (j - i) * ww_page_size());
		if (ret)
			return ret;
		if (ww32_writable_mode)
			a->nwatched -= j - i;
	}
	return 0;
}

DWORD ww32_watch_new(struct walloc *a, bool commit, DWORD protect)
{
	int ret;

	if (ww32_writable_mode && !(commit && ww32_prot_writable(protect)))
		return 0;       /* nothing writable yet: watched when it becomes so */
	ret = ww_watch(ww32_tracker, (void *)a->base, a->end - a->base);
	if (ret)
		return ww32_err_from_errno(ret);
	if (ww32_writable_mode)
		a->nwatched = a->npages;
	return 0;
}

/* Watch pages [i0, i1), just made writable; undo the change on failure. */
static DWORD rewatch(struct walloc *a, size_t i0, size_t i1, DWORD old, bool was_w)
{
	void *addr = (void *)ww32_page_addr(a, i0);
	size_t len = (i1 - i0) * ww_page_size();
	int ret = ww_watch(ww32_tracker, addr, len);

	if (!ret) {
		a->nwatched += i1 - i0;
		return 0;
	}
	/* Never leave writable pages untracked: take the change back. */
	mprotect(addr, len, ww32_posix_prot(old));
	ww32_prot_fill(a, i0, i1, old);
	if (was_w && !ww_watch(ww32_tracker, addr, len))
		a->nwatched += i1 - i0;
	return ww32_err_from_errno(ret);
}

/*
 * Writable mode: give pages [i0, i1), which all have protection old, the
 * protection newp, moving them in or out of the tracker.  0 or an error.
 */
static DWORD change_run(struct walloc *a, size_t i0, size_t i1, DWORD old, DWORD newp)
{
	bool was_w = old && ww32_prot_writable(old), now_w = ww32_prot_writable(newp);
	void *addr = (void *)ww32_page_addr(a, i0);
	size_t len = (i1 - i0) * ww_page_size();
	int ret;

	if (was_w) {
		/*
		 * Copy what was written, then stop watching: the backend would
		 * otherwise turn a write fault on a page made read-only below
		 * into a tracked write.
		 */
		ret = harvest(a, i0, i1);
		if (!ret)
			ret = unwatch_runs(a, i0, i1);
		if (ret)
			return ww32_err_from_errno(ret);
	}
	if (mprotect(addr, len, ww32_posix_prot(newp))) {
		ret = errno;
		if (was_w && !ww_watch(ww32_tracker, addr, len))
			a->nwatched += i1 - i0;
		return ww32_err_from_errno(ret);
	}
	ww32_prot_fill(a, i0, i1, newp);
	/*
	 * Watch after the pages became writable: the backend arms them with
	 * its own protection.  Nothing can have written them in between but a
	 * thread racing with this call on pages that were not writable when it
	 * started.
	 */
	return now_w ? rewatch(a, i0, i1, old, was_w) : 0;
}

/* Writable mode: protection changes run by run of equal old protection. */
static DWORD set_protect_runs(struct walloc *a, size_t i0, size_t i1, DWORD newp)
{
	size_t i, j;
	DWORD err;

	for (i = i0; i < i1; i = j) {
		DWORD old = a->prot[i];

		for (j = i + 1; j < i1 && a->prot[j] == old; j++)
			;
		if (old != newp)
			err = change_run(a, i, j, old, newp);
		else if (ww32_page_watched(a, i))
			err = ww32_err_from_errno(harvest(a, i, j));
		else
			err = 0;
		if (err)
			return err;
	}
	return 0;
}

DWORD ww32_set_protect(struct walloc *a, size_t i0, size_t i1, DWORD newp)
{
	if (a->write_watch && ww32_writable_mode && !ww32_forked)
		return set_protect_runs(a, i0, i1, newp);
	if (mprotect((void *)ww32_page_addr(a, i0), (i1 - i0) * ww_page_size(),
		     ww32_posix_prot(newp)))
		return ww32_err_from_errno(errno);
	ww32_prot_fill(a, i0, i1, newp);
	if (!a->write_watch || !ww32_tracker_live())
		return 0;
	/* After the change: a write that made it before the change is copied. */
	return ww32_err_from_errno(harvest(a, i0, i1));
}

DWORD ww32_decommit(struct walloc *a, size_t i0, size_t i1)
{
	void *addr = (void *)ww32_page_addr(a, i0);
	size_t len = (i1 - i0) * ww_page_size();
	bool tracked = a->write_watch && ww32_tracker_live();
	int ret;

	/*
	 * Writable mode: stop watching first.  A write racing with this call
	 * may land in between, untracked; it is forgotten with the page, as
	 * the write of a page decommitted just after it would be on Windows.
	 */
	if (tracked && ww32_writable_mode) {
		ret = unwatch_runs(a, i0, i1);
		if (ret)
			return ww32_err_from_errno(ret);
	}
	/* Inaccessible first: from here on nothing writes these pages. */
	if (mprotect(addr, len, PROT_NONE))
		return ww32_err_from_errno(errno);
	ww32_prot_fill(a, i0, i1, 0);
	if (madvise(addr, len, MADV_DONTNEED))
		return ww32_err_from_errno(errno);
	/*
	 * Whole mode: forget the pages' written state, whatever dropping them
	 * did to the tracker's view (uffd-async reports a dropped page as
	 * written).  The sticky bits stay: they were copied at a protection
	 * change, which Windows keeps across a decommit.
	 */
	if (tracked && !ww32_writable_mode) {
		ret = ww_reset(ww32_tracker, addr, len);
		if (ret)
			return ww32_err_from_errno(ret);
	}
	return 0;
}

void ww32_unwatch_all(struct walloc *a)
{
	if (!a->write_watch || !ww32_tracker_live())
		return;
	/* The allocation is going away: nothing to report an error to. */
	(void)unwatch_runs(a, 0, a->npages);
	a->nwatched = 0;
}
