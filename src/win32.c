/* SPDX-License-Identifier: MIT */
/*
 * Win32 write-watch layer: VirtualAlloc, VirtualFree, VirtualProtect,
 * GetWriteWatch and ResetWriteWatch with Windows semantics (Microsoft's
 * documentation and Wine's conformance test test_write_watch), built on the
 * public tracker API and therefore on any backend.
 *
 * Model.  A reservation is an mmap(PROT_NONE) region aligned to 64 KiB;
 * committing is mprotect() to the requested protection; decommitting drops
 * the contents (MADV_DONTNEED) and goes back to PROT_NONE; releasing unmaps.
 * A registry of allocations (base, size, per-page Windows protection, 0 for
 * "reserved only") answers the Windows range checks.  One process-wide
 * tracker, opened at the first MEM_WRITE_WATCH allocation with
 * WW_BACKEND_AUTO (so WRITEWATCH_BACKEND picks the backend), tracks every
 * write-watched allocation.  One mutex protects all of it.
 *
 * Two ways of tracking, chosen by backend:
 *
 * - whole (uffd-async, uffd-sync): the whole reservation is watched from
 *   VirtualAlloc to MEM_RELEASE.  uffd-wp state lives in the page tables and
 *   survives mprotect(), so commits and protection changes are plain
 *   mprotect() calls and lose nothing.
 *
 * - writable (mprotect): the backend itself write-protects watched pages and
 *   un-protects them in its SIGSEGV handler, so it must not watch pages the
 *   application wants inaccessible or read-only (its handler would make
 *   them writable), and an application mprotect() would silently override
 *   its protection.  Here exactly the committed, writable pages are
 *   watched: every protection change un-watches the pages that stop being
 *   writable (after saving their written state) and watches the pages that
 *   become writable.
 *
 * Written state the tracker no longer holds (pages decommitted, or
 * un-watched in writable mode) is kept in a per-allocation "sticky" bitmap;
 * GetWriteWatch reports the union of the sticky pages and the tracker's.
 * Decommit must drop the pages' contents, which the backends may see as a
 * write (uffd-async reports a dropped page as written) or
 * not; so the written bits are saved first, the contents dropped, and the
 * tracker's state for those pages reset: the answer is exact whatever the
 * backend makes of MADV_DONTNEED.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define WW_WIN32_NO_NAMES
#include "writewatch/win32.h"
#include "internal.h"

#define PG              ww_page_size()
#define ALLOC_GRAN      0x10000UL       /* Windows allocation granularity */
#define PROT_BASE_MASK  0xffu           /* PAGE_NOACCESS .. PAGE_EXECUTE_WRITECOPY */
#define HARVEST_BATCH   256

struct walloc {
	uintptr_t base;
	uintptr_t end;
	size_t npages;
	uint16_t *prot;         /* Windows protection per page; 0: reserved, not committed */
	uint64_t *sticky;       /* write-watch: written pages the tracker does not hold */
	size_t nsticky;         /* bits set in sticky */
	size_t nwatched;        /* writable mode: pages the tracker watches */
	bool write_watch;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct walloc **allocs;          /* sorted by base, never overlapping */
static size_t nallocs, cap_allocs;
static struct ww_tracker *tracker;
static bool writable_mode;              /* the tracker watches committed writable pages only */
static bool forked;                     /* fork child: the tracker is the parent's */
static __thread DWORD last_error;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* ---- fork: keep the mutex consistent, and know the tracker is not ours ---- */

static void fork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
	if (tracker)
		forked = true;
}

static void win32_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void enter(void)
{
	pthread_once(&init_once, win32_init);
	pthread_mutex_lock(&lock);
}

static void leave(void)
{
	pthread_mutex_unlock(&lock);
}

/* ---- last error ---- */

WW_API DWORD ww_win32_GetLastError(void)
{
	return last_error;
}

WW_API void ww_win32_SetLastError(DWORD err)
{
	last_error = err;
}

/* Record err as the thread's last error; returns err for chaining. */
static DWORD fail(DWORD err)
{
	last_error = err;
	return err;
}

/* A library or kernel -errno in Windows terms. */
static DWORD err_from_errno(int e)
{
	if (e < 0)
		e = -e;
	switch (e) {
	case ENOMEM:
	case EAGAIN:
		return ERROR_NOT_ENOUGH_MEMORY;
	case EINVAL:
		return ERROR_INVALID_PARAMETER;
	case EFAULT:
		return ERROR_NOACCESS;
	case EEXIST:
		return ERROR_INVALID_ADDRESS;
	case EOPNOTSUPP:
	case ENOSYS:
	case ECHILD:
	case EBUSY:
	case EPERM:
		return ERROR_NOT_SUPPORTED;
	default:
		return ERROR_GEN_FAILURE;
	}
}

/* ---- protections ---- */

/* 0 if p is a protection VirtualAlloc/VirtualProtect accept, else the error. */
static DWORD check_protect(DWORD p)
{
	DWORD base = p & PROT_BASE_MASK;

	if (p & PAGE_GUARD)
		return ERROR_NOT_SUPPORTED;     /* no guard-page emulation (see the man page) */
	if (p & ~(PROT_BASE_MASK | PAGE_NOCACHE | PAGE_WRITECOMBINE))
		return ERROR_INVALID_PARAMETER;
	if (!base || (base & (base - 1)))
		return ERROR_INVALID_PARAMETER; /* exactly one base protection */
	/* Copy-on-write protections exist only for file views, not private memory. */
	if (base == PAGE_WRITECOPY || base == PAGE_EXECUTE_WRITECOPY)
		return ERROR_INVALID_PARAMETER;
	if ((p & PAGE_NOCACHE) && (p & PAGE_WRITECOMBINE))
		return ERROR_INVALID_PARAMETER;
	if (base == PAGE_NOACCESS && p != PAGE_NOACCESS)
		return ERROR_INVALID_PARAMETER;
	return 0;
}

static int posix_prot(DWORD p)
{
	switch (p & PROT_BASE_MASK) {
	case PAGE_READONLY:
		return PROT_READ;
	case PAGE_READWRITE:
		return PROT_READ | PROT_WRITE;
	case PAGE_EXECUTE:
		return PROT_EXEC;
	case PAGE_EXECUTE_READ:
		return PROT_READ | PROT_EXEC;
	case PAGE_EXECUTE_READWRITE:
		return PROT_READ | PROT_WRITE | PROT_EXEC;
	default:
		return PROT_NONE;
	}
}

static bool prot_writable(DWORD p)
{
	p &= PROT_BASE_MASK;
	return p == PAGE_READWRITE || p == PAGE_EXECUTE_READWRITE;
}

/* ---- registry ---- */

static uintptr_t page_addr(const struct walloc *a, size_t i)
{
	return a->base + i * PG;
}

static size_t page_index(const struct walloc *a, uintptr_t addr)
{
	return (addr - a->base) / PG;
}

/* Index of the first allocation ending above addr (nallocs if none). */
static size_t alloc_search(uintptr_t addr)
{
	size_t lo = 0, hi = nallocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (allocs[mid]->end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct walloc *alloc_find(uintptr_t addr)
{
	size_t i = alloc_search(addr);

	return i < nallocs && allocs[i]->base <= addr ? allocs[i] : NULL;
}

static int alloc_insert(struct walloc *a)
{
	size_t at = alloc_search(a->base);

	/* The kernel gave us this address range, so a registry entry here is stale. */
	if (at < nallocs && allocs[at]->base < a->end)
		return -EEXIST;
	if (nallocs == cap_allocs) {
		size_t cap = cap_allocs ? cap_allocs * 2 : 16;
		struct walloc **n = realloc(allocs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		allocs = n;
		cap_allocs = cap;
	}
	memmove(&allocs[at + 1], &allocs[at], (nallocs - at) * sizeof(*allocs));
	allocs[at] = a;
	nallocs++;
	return 0;
}

static void alloc_remove(struct walloc *a)
{
	size_t at = alloc_search(a->base);

	memmove(&allocs[at], &allocs[at + 1], (nallocs - at - 1) * sizeof(*allocs));
	nallocs--;
}

static struct walloc *alloc_new(uintptr_t base, size_t len, bool write_watch)
{
	struct walloc *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->base = base;
	a->end = base + len;
	a->npages = len / PG;
	a->write_watch = write_watch;
	/* calloc of large blocks maps zero pages lazily: big reservations stay cheap. */
	a->prot = calloc(a->npages, sizeof(*a->prot));
	if (write_watch)
		a->sticky = calloc((a->npages + 63) / 64, sizeof(*a->sticky));
	if (!a->prot || (write_watch && !a->sticky)) {
		free(a->prot);
		free(a->sticky);
		free(a);
		return NULL;
	}
	return a;
}

static void alloc_free(struct walloc *a)
{
	free(a->prot);
	free(a->sticky);
	free(a);
}

static void prot_fill(struct walloc *a, size_t i0, size_t i1, DWORD p)
{
	size_t i;

	for (i = i0; i < i1; i++)
		a->prot[i] = (uint16_t)p;
}

/* ---- sticky bits ---- */

static bool sticky_test(const struct walloc *a, size_t i)
{
	return a->sticky[i / 64] >> (i % 64) & 1;
}

static void sticky_set(struct walloc *a, size_t i)
{
	if (!sticky_test(a, i)) {
		a->sticky[i / 64] |= 1ULL << (i % 64);
		a->nsticky++;
	}
}

static void sticky_clear(struct walloc *a, size_t i)
{
	if (sticky_test(a, i)) {
		a->sticky[i / 64] &= ~(1ULL << (i % 64));
		a->nsticky--;
	}
}

/* First sticky page in [i, end), or end. */
static size_t sticky_next(const struct walloc *a, size_t i, size_t end)
{
	if (!a->nsticky)
		return end;
	while (i < end) {
		uint64_t w = a->sticky[i / 64] >> (i % 64);

		if (w)
			return i + __builtin_ctzll(w) < end ? i + __builtin_ctzll(w) : end;
		i = (i / 64 + 1) * 64;
	}
	return end;
}

/* ---- tracker ---- */

static bool tracker_live(void)
{
	return tracker && !forked;
}

/* Open the process-wide tracker on first use.  0 or a Windows error. */
static DWORD tracker_ensure(void)
{
	int ret;

	if (forked)
		return ERROR_NOT_SUPPORTED;
	if (tracker)
		return 0;
	ret = ww_open(&tracker, WW_BACKEND_AUTO, 0);
	if (ret == -EINVAL)     /* WRITEWATCH_BACKEND names no backend */
		return ERROR_NOT_SUPPORTED;
	if (ret)
		return err_from_errno(ret);
	writable_mode = ww_backend_id(tracker) == WW_BACKEND_MPROTECT;
	return 0;
}

/* Does the tracker watch page i of a? */
static bool page_watched(const struct walloc *a, size_t i)
{
	if (!a->write_watch)
		return false;
	if (!writable_mode)
		return true;
	return a->prot[i] && prot_writable(a->prot[i]);
}

/* End of the run starting at i of pages that are all watched or all not. */
static size_t run_end(const struct walloc *a, size_t i, size_t end)
{
	bool w = page_watched(a, i);

	if (!writable_mode || a->nwatched == a->npages)
		return end;     /* uniform: everything watched or (whole mode) everything */
	if (!a->nwatched && !w)
		return end;
	while (++i < end && page_watched(a, i) == w)
		;
	return i;
}

/* Save the tracker's written pages of [i0, i1) as sticky bits (no reset). */
static int harvest(struct walloc *a, size_t i0, size_t i1)
{
	uintptr_t at = page_addr(a, i0), end = page_addr(a, i1);
	void *buf[HARVEST_BATCH];

	while (at < end) {
		ssize_t n = ww_get(tracker, (void *)at, end - at, buf, HARVEST_BATCH, 0), k;

		if (n < 0)
			return (int)n;
		for (k = 0; k < n; k++)
			sticky_set(a, page_index(a, (uintptr_t)buf[k]));
		if (n < HARVEST_BATCH)
			break;
		at = (uintptr_t)buf[n - 1] + PG;
	}
	return 0;
}

/* ---- protection changes ---- */

/*
 * Writable mode: give pages [i0, i1), which all have protection old, the
 * protection newp, moving them in or out of the tracker.  0 or an error.
 */
static DWORD change_run(struct walloc *a, size_t i0, size_t i1, DWORD old, DWORD newp)
{
	bool was_w = old && prot_writable(old), now_w = prot_writable(newp);
	void *addr = (void *)page_addr(a, i0);
	size_t len = (i1 - i0) * PG;
	int ret;

	if (was_w) {
		/*
		 * Save what was written, then stop watching: the backend would
		 * otherwise turn a write fault on a page made read-only below
		 * into a tracked write.
		 */
		ret = harvest(a, i0, i1);
		if (!ret)
			ret = ww_unwatch(tracker, addr, len);
		if (ret)
			return err_from_errno(ret);
		a->nwatched -= i1 - i0;
	}
	if (mprotect(addr, len, posix_prot(newp))) {
		ret = errno;
		if (was_w && !ww_watch(tracker, addr, len))
			a->nwatched += i1 - i0;
		return err_from_errno(ret);
	}
	prot_fill(a, i0, i1, newp);
	if (now_w) {
		/*
		 * Watch after the pages became writable: the backend arms them
		 * with its own protection.  Nothing can have written them in
		 * between but a thread racing with this call on pages that were
		 * not writable when it started.
		 */
		ret = ww_watch(tracker, addr, len);
		if (ret) {
			/* Never leave writable pages untracked: take the change back. */
			mprotect(addr, len, posix_prot(old));
			prot_fill(a, i0, i1, old);
			if (was_w && !ww_watch(tracker, addr, len))
				a->nwatched += i1 - i0;
			return err_from_errno(ret);
		}
		a->nwatched += i1 - i0;
	}
	return 0;
}

/* Set protection newp on pages [i0, i1) of a, committing reserved ones. */
static DWORD set_protect(struct walloc *a, size_t i0, size_t i1, DWORD newp)
{
	size_t i, j;

	if (!a->write_watch || !writable_mode || forked) {
		if (mprotect((void *)page_addr(a, i0), (i1 - i0) * PG, posix_prot(newp)))
			return err_from_errno(errno);
		prot_fill(a, i0, i1, newp);
		return 0;
	}
	for (i = i0; i < i1; i = j) {
		DWORD old = a->prot[i], err;

		for (j = i + 1; j < i1 && a->prot[j] == old; j++)
			;
		if (old == newp)
			continue;
		err = change_run(a, i, j, old, newp);
		if (err)
			return err;
	}
	return 0;
}

/* Decommit pages [i0, i1): contents dropped, written state kept. */
static DWORD decommit(struct walloc *a, size_t i0, size_t i1)
{
	void *addr = (void *)page_addr(a, i0);
	size_t len = (i1 - i0) * PG, i, j;
	int ret;

	if (a->write_watch && tracker_live() && writable_mode) {
		for (i = i0; i < i1; i = j) {
			j = run_end(a, i, i1);
			if (!page_watched(a, i))
				continue;
			ret = harvest(a, i, j);
			if (!ret)
				ret = ww_unwatch(tracker, (void *)page_addr(a, i), (j - i) * PG);
			if (ret)
				return err_from_errno(ret);
			a->nwatched -= j - i;
		}
	}
	/* Inaccessible first: from here on nothing writes these pages. */
	if (mprotect(addr, len, PROT_NONE))
		return err_from_errno(errno);
	prot_fill(a, i0, i1, 0);
	if (a->write_watch && tracker_live() && !writable_mode) {
		ret = harvest(a, i0, i1);
		if (ret)
			return err_from_errno(ret);
	}
	if (madvise(addr, len, MADV_DONTNEED))
		return err_from_errno(errno);
	if (a->write_watch && tracker_live() && !writable_mode) {
		/* Whatever dropping the pages did to the tracker's view, start clean. */
		ret = ww_reset(tracker, addr, len);
		if (ret)
			return err_from_errno(ret);
	}
	return 0;
}

/* Stop watching all of a (before unmapping it). */
static void unwatch_all(struct walloc *a)
{
	size_t i, j;

	if (!a->write_watch || !tracker_live())
		return;
	if (!writable_mode) {
		ww_unwatch(tracker, (void *)a->base, a->end - a->base);
		return;
	}
	for (i = 0; i < a->npages; i = j) {
		j = run_end(a, i, a->npages);
		if (page_watched(a, i))
			ww_unwatch(tracker, (void *)page_addr(a, i), (j - i) * PG);
	}
	a->nwatched = 0;
}

/* ---- VirtualAlloc ---- */

/* Map a 64 KiB-aligned PROT_NONE region of len bytes, at want if non-zero. */
static DWORD map_reservation(uintptr_t want, size_t len, uintptr_t *out)
{
	size_t over;
	char *p;

	if (want) {
		p = mmap((void *)want, len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED)
			return errno == EEXIST ? ERROR_INVALID_ADDRESS : err_from_errno(errno);
		if ((uintptr_t)p != want) {     /* a kernel that ignores MAP_FIXED_NOREPLACE */
			munmap(p, len);
			return ERROR_INVALID_ADDRESS;
		}
		*out = want;
		return 0;
	}
	if (len > SIZE_MAX - ALLOC_GRAN)
		return ERROR_NOT_ENOUGH_MEMORY;
	over = len + ALLOC_GRAN - PG;
	p = mmap(NULL, over, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return err_from_errno(errno);
	*out = ww_align_up((uintptr_t)p, ALLOC_GRAN);
	if (*out > (uintptr_t)p)
		munmap(p, *out - (uintptr_t)p);
	if ((uintptr_t)p + over > *out + len)
		munmap((void *)(*out + len), (uintptr_t)p + over - (*out + len));
	return 0;
}

static LPVOID reserve(uintptr_t addr, SIZE_T size, DWORD type, DWORD protect)
{
	bool ww = type & MEM_WRITE_WATCH, commit = type & MEM_COMMIT;
	uintptr_t want = ww_align_down(addr, ALLOC_GRAN), base = 0;
	struct walloc *a;
	size_t len;
	DWORD err;
	int ret;

	if (addr && !want)
		return fail(ERROR_INVALID_ADDRESS), NULL;      /* the first 64 KiB are never mappable */
	if (size > SIZE_MAX - ALLOC_GRAN - (addr - want) || (addr && addr + size < addr))
		return fail(ERROR_NOT_ENOUGH_MEMORY), NULL;
	len = ww_align_up(addr - want + size, PG);
	if (ww) {
		err = tracker_ensure();
		if (err)
			return fail(err), NULL;
	}
	err = map_reservation(want, len, &base);
	if (err)
		return fail(err), NULL;
	a = alloc_new(base, len, ww);
	if (!a) {
		err = ERROR_NOT_ENOUGH_MEMORY;
		goto unmap;
	}
	if (commit) {
		/* Commit charge is taken here, as on Windows (private writable memory is accounted). */
		if (mprotect((void *)base, len, posix_prot(protect))) {
			err = err_from_errno(errno);
			goto free;
		}
		prot_fill(a, 0, a->npages, protect);
	}
	if (ww && (!writable_mode || (commit && prot_writable(protect)))) {
		ret = ww_watch(tracker, (void *)base, len);
		if (ret) {
			err = err_from_errno(ret);
			goto free;
		}
		if (writable_mode)
			a->nwatched = a->npages;
	}
	ret = alloc_insert(a);
	if (ret) {
		unwatch_all(a);
		err = ret == -EEXIST ? ERROR_INVALID_ADDRESS : ERROR_NOT_ENOUGH_MEMORY;
		goto free;
	}
	return (LPVOID)base;
free:
	alloc_free(a);
unmap:
	munmap((void *)base, len);
	return fail(err), NULL;
}

/* MEM_COMMIT inside an existing reservation. */
static LPVOID commit_existing(uintptr_t addr, SIZE_T size, DWORD protect)
{
	uintptr_t start = ww_align_down(addr, PG), end;
	struct walloc *a;
	DWORD err;

	if (addr + size < addr)
		return fail(ERROR_INVALID_PARAMETER), NULL;
	end = ww_align_up(addr + size, PG);
	a = alloc_find(start);
	if (!a || end > a->end || end < start)
		return fail(ERROR_INVALID_ADDRESS), NULL;
	err = set_protect(a, page_index(a, start), page_index(a, end), protect);
	if (err)
		return fail(err), NULL;
	return (LPVOID)start;
}

WW_API LPVOID ww_win32_VirtualAlloc(LPVOID addr, SIZE_T size, DWORD type, DWORD protect)
{
	DWORD known = MEM_COMMIT | MEM_RESERVE | MEM_WRITE_WATCH | MEM_TOP_DOWN, err;
	LPVOID ret;

	if (!size || (type & ~known) || !(type & (MEM_COMMIT | MEM_RESERVE)))
		return fail(ERROR_INVALID_PARAMETER), NULL;
	/* Write watching is a property of a reservation, set when it is made. */
	if ((type & MEM_WRITE_WATCH) && !(type & MEM_RESERVE))
		return fail(ERROR_INVALID_PARAMETER), NULL;
	err = check_protect(protect);
	if (err)
		return fail(err), NULL;
	/* Committing at no particular address reserves too, as on Windows. */
	if (!addr)
		type |= MEM_RESERVE;
	enter();
	if (type & MEM_RESERVE)
		ret = reserve((uintptr_t)addr, size, type, protect);
	else
		ret = commit_existing((uintptr_t)addr, size, protect);
	leave();
	return ret;
}

/* ---- VirtualFree ---- */

static BOOL release(uintptr_t addr, SIZE_T size)
{
	struct walloc *a;

	if (size)
		return fail(ERROR_INVALID_PARAMETER), FALSE;
	a = alloc_find(addr);
	if (!a || a->base != addr)
		return fail(ERROR_INVALID_ADDRESS), FALSE;
	unwatch_all(a);
	munmap((void *)a->base, a->end - a->base);
	alloc_remove(a);
	alloc_free(a);
	return TRUE;
}

static BOOL decommit_range(uintptr_t addr, SIZE_T size)
{
	uintptr_t start = ww_align_down(addr, PG), end;
	struct walloc *a = alloc_find(start);
	DWORD err;

	if (!a)
		return fail(ERROR_INVALID_ADDRESS), FALSE;
	if (!size) {
		/* Size 0 decommits the whole allocation, given its base. */
		if (addr != a->base)
			return fail(ERROR_INVALID_PARAMETER), FALSE;
		end = a->end;
	} else {
		if (addr + size < addr)
			return fail(ERROR_INVALID_PARAMETER), FALSE;
		end = ww_align_up(addr + size, PG);
		if (end > a->end || end < start)
			return fail(ERROR_INVALID_ADDRESS), FALSE;
	}
	err = decommit(a, page_index(a, start), page_index(a, end));
	if (err)
		return fail(err), FALSE;
	return TRUE;
}

WW_API BOOL ww_win32_VirtualFree(LPVOID addr, SIZE_T size, DWORD type)
{
	BOOL ret;

	if (type != MEM_RELEASE && type != MEM_DECOMMIT)
		return fail(ERROR_INVALID_PARAMETER), FALSE;
	enter();
	if (type == MEM_RELEASE)
		ret = release((uintptr_t)addr, size);
	else
		ret = decommit_range((uintptr_t)addr, size);
	leave();
	return ret;
}

/* ---- VirtualProtect ---- */

WW_API BOOL ww_win32_VirtualProtect(LPVOID addr, SIZE_T size, DWORD newprot, PDWORD oldprot)
{
	uintptr_t start = ww_align_down((uintptr_t)addr, PG), end;
	struct walloc *a;
	size_t i0, i1, i;
	DWORD err;

	if (!oldprot)
		return fail(ERROR_NOACCESS), FALSE;
	if (!size || (uintptr_t)addr + size < (uintptr_t)addr)
		return fail(ERROR_INVALID_PARAMETER), FALSE;
	err = check_protect(newprot);
	if (err)
		return fail(err), FALSE;
	end = ww_align_up((uintptr_t)addr + size, PG);
	enter();
	a = alloc_find(start);
	if (!a || end > a->end || end < start) {
		leave();
		return fail(ERROR_INVALID_ADDRESS), FALSE;
	}
	i0 = page_index(a, start);
	i1 = page_index(a, end);
	for (i = i0; i < i1; i++) {
		if (!a->prot[i]) {      /* only committed pages have a protection */
			leave();
			return fail(ERROR_INVALID_ADDRESS), FALSE;
		}
	}
	*oldprot = a->prot[i0];
	err = set_protect(a, i0, i1, newprot);
	leave();
	if (err)
		return fail(err), FALSE;
	return TRUE;
}

/* ---- GetWriteWatch / ResetWriteWatch ---- */

/*
 * The write-watch allocation holding all of [base, base+size) (rounded out to
 * pages), or NULL with ERROR_INVALID_PARAMETER.  Called with the lock held.
 */
static struct walloc *watch_target(PVOID base, SIZE_T size, size_t *i0, size_t *i1)
{
	uintptr_t start = ww_align_down((uintptr_t)base, PG), end;
	struct walloc *a;

	if ((uintptr_t)base + size < (uintptr_t)base) {
		fail(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	end = ww_align_up((uintptr_t)base + size, PG);
	a = alloc_find(start);
	if (!a || !a->write_watch || end > a->end || end < start) {
		fail(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	*i0 = page_index(a, start);
	*i1 = page_index(a, end);
	return a;
}

/*
 * Take the lock and find the write-watch allocation for a Get/Reset call.
 * On failure the lock is released again and the last error is set.
 */
static struct walloc *enter_target(PVOID base, SIZE_T size, size_t *i0, size_t *i1)
{
	struct walloc *a;

	enter();
	a = watch_target(base, size, i0, i1);
	if (a && !tracker_live()) {
		fail(ERROR_NOT_SUPPORTED);
		a = NULL;
	}
	if (!a)
		leave();
	return a;
}

struct out {
	void **v;
	size_t cap;
	size_t n;
};

/* Pages [i0, i1) the tracker does not watch: only sticky pages can be written. */
static void emit_unwatched(struct walloc *a, size_t i0, size_t i1, struct out *o, bool reset)
{
	size_t i;

	for (i = sticky_next(a, i0, i1); i < i1 && o->n < o->cap; i = sticky_next(a, i + 1, i1)) {
		o->v[o->n++] = (void *)page_addr(a, i);
		if (reset)
			sticky_clear(a, i);
	}
}

/* Reset the pending run of reported tracker pages [*rs, *re), if any. */
static int flush_reset(uintptr_t *rs, uintptr_t *re)
{
	int ret = 0;

	if (*re > *rs)
		ret = ww_reset(tracker, (void *)*rs, *re - *rs);
	*rs = *re = 0;
	return ret;
}

/*
 * Watched pages with sticky ones among them: merge the tracker's pages with
 * the sticky pages, ascending and without duplicates.  With reset, the
 * tracker pages reported are reset after they were read; that loses nothing
 * because each of them is in this answer (a write landing between the read
 * and the reset is covered by reporting the page now).
 */
static int emit_merged(struct walloc *a, size_t i0, size_t i1, struct out *o, bool reset)
{
	size_t room = o->cap - o->n, max = room < i1 - i0 ? room : i1 - i0, j = 0, s;
	uintptr_t rs = 0, re = 0;
	void **tb = malloc(max * sizeof(*tb));
	ssize_t n;
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	/* The first max tracker pages suffice: the answer holds at most max pages. */
	n = ww_get(tracker, (void *)page_addr(a, i0), (i1 - i0) * PG, tb, max, 0);
	if (n < 0) {
		free(tb);
		return (int)n;
	}
	s = sticky_next(a, i0, i1);
	while (o->n < o->cap && (j < (size_t)n || s < i1)) {
		uintptr_t t = j < (size_t)n ? (uintptr_t)tb[j] : UINTPTR_MAX;
		uintptr_t sp = s < i1 ? page_addr(a, s) : UINTPTR_MAX;
		uintptr_t p = t < sp ? t : sp;

		o->v[o->n++] = (void *)p;
		if (p == t) {
			j++;
			if (reset) {
				if (p != re) {
					ret = flush_reset(&rs, &re);
					if (ret)
						break;
					rs = p;
				}
				re = p + PG;
			}
		}
		if (p == sp) {
			if (reset)
				sticky_clear(a, s);
			s = sticky_next(a, s + 1, i1);
		}
	}
	if (!ret && reset)
		ret = flush_reset(&rs, &re);
	free(tb);
	return ret;
}

static int emit_watched(struct walloc *a, size_t i0, size_t i1, struct out *o, bool reset)
{
	ssize_t n;

	if (sticky_next(a, i0, i1) < i1)
		return emit_merged(a, i0, i1, o, reset);
	/* The common case: one get, straight into the caller's array. */
	n = ww_get(tracker, (void *)page_addr(a, i0), (i1 - i0) * PG, o->v + o->n,
		   o->cap - o->n, reset ? WW_GET_RESET : 0);
	if (n < 0)
		return (int)n;
	o->n += n;
	return 0;
}

WW_API UINT ww_win32_GetWriteWatch(DWORD flags, PVOID base, SIZE_T size, PVOID *addresses,
				   ULONG_PTR *count, ULONG *granularity)
{
	bool reset = flags & WRITE_WATCH_FLAG_RESET;
	struct out o;
	struct walloc *a;
	size_t i0, i1, i, j;
	int ret = 0;

	if (!count || !granularity)
		return fail(ERROR_NOACCESS), (UINT)-1;
	if (!*count || !size || (flags & ~WRITE_WATCH_FLAG_RESET))
		return fail(ERROR_INVALID_PARAMETER), (UINT)-1;
	if (!addresses)
		return fail(ERROR_NOACCESS), (UINT)-1;
	o = (struct out){ .v = addresses, .cap = *count };
	a = enter_target(base, size, &i0, &i1);
	if (!a)
		return (UINT)-1;
	for (i = i0; i < i1 && o.n < o.cap && !ret; i = j) {
		j = run_end(a, i, i1);
		if (page_watched(a, i))
			ret = emit_watched(a, i, j, &o, reset);
		else
			emit_unwatched(a, i, j, &o, reset);
	}
	leave();
	if (ret)
		return fail(err_from_errno(ret)), (UINT)-1;
	*count = o.n;
	*granularity = PG;
	return 0;
}

WW_API UINT ww_win32_ResetWriteWatch(LPVOID base, SIZE_T size)
{
	struct walloc *a;
	size_t i0, i1, i, j;
	int ret = 0;

	if (!size)
		return fail(ERROR_INVALID_PARAMETER), (UINT)-1;
	a = enter_target(base, size, &i0, &i1);
	if (!a)
		return (UINT)-1;
	for (i = sticky_next(a, i0, i1); i < i1; i = sticky_next(a, i + 1, i1))
		sticky_clear(a, i);
	for (i = i0; i < i1 && !ret; i = j) {
		j = run_end(a, i, i1);
		if (page_watched(a, i))
			ret = ww_reset(tracker, (void *)page_addr(a, i), (j - i) * PG);
	}
	leave();
	if (ret)
		return fail(err_from_errno(ret)), (UINT)-1;
	return 0;
}

/* ---- extensions ---- */

/*
 * Fork child: the tracker is the parent's, so nothing is tracked here; just
 * give pages [i0, i1) their Windows protection back (a backend may have left
 * them write-protected), so that the kernel can write them.
 */
static int reprotect(struct walloc *a, size_t i0, size_t i1)
{
	size_t i, j;

	for (i = i0; i < i1; i = j) {
		for (j = i + 1; j < i1 && a->prot[j] == a->prot[i]; j++)
			;
		if (mprotect((void *)page_addr(a, i), (j - i) * PG, posix_prot(a->prot[i])))
			return -errno;
	}
	return 0;
}

WW_API BOOL ww_win32_prepare_io(LPVOID base, SIZE_T size)
{
	uintptr_t start = ww_align_down((uintptr_t)base, PG), end;
	size_t k, first, i;
	int ret = 0;

	if (!size)
		return TRUE;
	if ((uintptr_t)base + size < (uintptr_t)base)
		return fail(ERROR_INVALID_PARAMETER), FALSE;
	end = ww_align_up((uintptr_t)base + size, PG);
	enter();
	first = alloc_search(start);
	/* Check everything first, so that a refused call changes nothing. */
	for (k = first; k < nallocs && allocs[k]->base < end; k++) {
		struct walloc *a = allocs[k];
		size_t i0 = page_index(a, start > a->base ? start : a->base);
		size_t i1 = page_index(a, end < a->end ? end : a->end);

		if (!a->write_watch)
			continue;
		for (i = i0; i < i1; i++) {
			if (!a->prot[i] || !prot_writable(a->prot[i])) {
				leave();
				return fail(ERROR_NOACCESS), FALSE;
			}
		}
	}
	for (k = first; !ret && k < nallocs && allocs[k]->base < end; k++) {
		struct walloc *a = allocs[k];
		uintptr_t s = start > a->base ? start : a->base;
		uintptr_t e = end < a->end ? end : a->end;

		if (!a->write_watch)
			continue;
		if (tracker_live())
			ret = ww_prepare_write(tracker, (void *)s, e - s);
		else
			ret = reprotect(a, page_index(a, s), page_index(a, e));
	}
	leave();
	if (ret)
		return fail(err_from_errno(ret)), FALSE;
	return TRUE;
}

WW_API const char *ww_win32_backend(void)
{
	const char *name;

	enter();
	name = tracker ? ww_backend_name(tracker) : NULL;
	leave();
	return name;
}
