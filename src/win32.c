/* SPDX-License-Identifier: MIT */
/*
 * Win32 write-watch layer: VirtualAlloc, VirtualFree, VirtualProtect,
 * GetWriteWatch and ResetWriteWatch with Windows semantics (Microsoft's
 * documentation, and what Windows does in Wine's conformance test
 * test_write_watch), built on the public tracker API and therefore on any
 * backend.  This file: the layer's lock and last error, protections, the
 * allocation registry and the Virtual* calls.  src/win32_watch.c holds the
 * tracker side of them, src/win32_query.c GetWriteWatch/ResetWriteWatch.
 *
 * Model.  A reservation is an mmap(PROT_NONE) region aligned to 64 KiB;
 * committing is mprotect() to the requested protection; decommitting drops
 * the contents (MADV_DONTNEED) and goes back to PROT_NONE; releasing unmaps.
 * A registry of allocations (base, size, per-page Windows protection, 0 for
 * "reserved only") answers the Windows range checks.  One process-wide
 * tracker, opened at the first MEM_WRITE_WATCH allocation with
 * WW_BACKEND_AUTO (so WRITEWATCH_BACKEND picks the backend), tracks every
 * write-watched allocation.  One mutex protects all of it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "win32_internal.h"

#define PG              ww_page_size()
#define ALLOC_GRAN      0x10000UL       /* Windows allocation granularity */
#define PROT_BASE_MASK  WW32_PROT_BASE_MASK

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct walloc **allocs;          /* sorted by base, never overlapping */
static size_t nallocs, cap_allocs;
struct ww_tracker *ww32_tracker;
bool ww32_writable_mode;
bool ww32_forked;
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
	if (ww32_tracker)
		ww32_forked = true;
}

static void win32_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void ww32_enter(void)
{
	pthread_once(&init_once, win32_init);
	pthread_mutex_lock(&lock);
}

void ww32_leave(void)
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

DWORD ww32_fail(DWORD err)
{
	last_error = err;
	return err;
}

DWORD ww32_err_from_errno(int e)
{
	if (!e)
		return 0;
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

int ww32_posix_prot(DWORD p)
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

/* ---- registry ---- */

static uintptr_t alloc_end(const void *arr, size_t i)
{
	return ((struct walloc *const *)arr)[i]->end;
}

/* Index of the first allocation ending above addr (nallocs if none). */
static size_t alloc_search(uintptr_t addr)
{
	return ww_search_end(allocs, nallocs, addr, alloc_end);
}

struct walloc *ww32_alloc_find(uintptr_t addr)
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
		a->sticky = calloc(WW_BITMAP_WORDS(a->npages), sizeof(*a->sticky));
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
			return errno == EEXIST ? ERROR_INVALID_ADDRESS : ww32_err_from_errno(errno);
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
		return ww32_err_from_errno(errno);
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
		return ww32_fail(ERROR_INVALID_ADDRESS), NULL;      /* the first 64 KiB are never mappable */
	if (size > SIZE_MAX - ALLOC_GRAN - (addr - want) || (addr && addr + size < addr))
		return ww32_fail(ERROR_NOT_ENOUGH_MEMORY), NULL;
	len = ww_align_up(addr - want + size, PG);
	if (ww) {
		err = ww32_tracker_ensure();
		if (err)
			return ww32_fail(err), NULL;
	}
	err = map_reservation(want, len, &base);
	if (err)
		return ww32_fail(err), NULL;
	a = alloc_new(base, len, ww);
	if (!a) {
		err = ERROR_NOT_ENOUGH_MEMORY;
		goto unmap;
	}
	if (commit) {
		/* Commit charge is taken here, as on Windows (private writable memory is accounted). */
		if (mprotect((void *)base, len, ww32_posix_prot(protect))) {
			err = ww32_err_from_errno(errno);
			goto free;
		}
		ww32_prot_fill(a, 0, a->npages, protect);
	}
	if (ww) {
		err = ww32_watch_new(a, commit, protect);
		if (err)
			goto free;
	}
	ret = alloc_insert(a);
	if (ret) {
		ww32_unwatch_all(a);
		err = ret == -EEXIST ? ERROR_INVALID_ADDRESS : ERROR_NOT_ENOUGH_MEMORY;
		goto free;
	}
	return (LPVOID)base;
free:
	alloc_free(a);
unmap:
	munmap((void *)base, len);
	return ww32_fail(err), NULL;
}

/* MEM_COMMIT inside an existing reservation. */
static LPVOID commit_existing(uintptr_t addr, SIZE_T size, DWORD protect)
{
	uintptr_t start = ww_align_down(addr, PG), end;
	struct walloc *a;
	DWORD err;

	if (addr + size < addr)
		return ww32_fail(ERROR_INVALID_PARAMETER), NULL;
	end = ww_align_up(addr + size, PG);
	a = ww32_alloc_find(start);
	if (!a || end > a->end || end < start)
		return ww32_fail(ERROR_INVALID_ADDRESS), NULL;
	err = ww32_set_protect(a, ww32_page_index(a, start), ww32_page_index(a, end), protect);
	if (err)
		return ww32_fail(err), NULL;
	return (LPVOID)start;
}

WW_API LPVOID ww_win32_VirtualAlloc(LPVOID addr, SIZE_T size, DWORD type, DWORD protect)
{
	DWORD known = MEM_COMMIT | MEM_RESERVE | MEM_WRITE_WATCH | MEM_TOP_DOWN, err;
	LPVOID ret;

	if (!size || (type & ~known) || !(type & (MEM_COMMIT | MEM_RESERVE)))
		return ww32_fail(ERROR_INVALID_PARAMETER), NULL;
	/* Write watching is a property of a reservation, set when it is made. */
	if ((type & MEM_WRITE_WATCH) && !(type & MEM_RESERVE))
		return ww32_fail(ERROR_INVALID_PARAMETER), NULL;
	err = check_protect(protect);
	if (err)
		return ww32_fail(err), NULL;
	/* Committing at no particular address reserves too, as on Windows. */
	if (!addr)
		type |= MEM_RESERVE;
	ww32_enter();
	if (type & MEM_RESERVE)
		ret = reserve((uintptr_t)addr, size, type, protect);
	else
		ret = commit_existing((uintptr_t)addr, size, protect);
	ww32_leave();
	return ret;
}

/* ---- VirtualFree ---- */

static BOOL release(uintptr_t addr, SIZE_T size)
{
	struct walloc *a;

	if (size)
		return ww32_fail(ERROR_INVALID_PARAMETER), FALSE;
	a = ww32_alloc_find(addr);
	if (!a || a->base != addr)
		return ww32_fail(ERROR_INVALID_ADDRESS), FALSE;
	ww32_unwatch_all(a);
	munmap((void *)a->base, a->end - a->base);
	alloc_remove(a);
	alloc_free(a);
	return TRUE;
}

static BOOL decommit_range(uintptr_t addr, SIZE_T size)
{
	uintptr_t start = ww_align_down(addr, PG), end;
	struct walloc *a = ww32_alloc_find(start);
	DWORD err;

	if (!a)
		return ww32_fail(ERROR_INVALID_ADDRESS), FALSE;
	if (!size) {
		/* Size 0 decommits the whole allocation, given its base. */
		if (addr != a->base)
			return ww32_fail(ERROR_INVALID_PARAMETER), FALSE;
		end = a->end;
	} else {
		if (addr + size < addr)
			return ww32_fail(ERROR_INVALID_PARAMETER), FALSE;
		end = ww_align_up(addr + size, PG);
		if (end > a->end || end < start)
			return ww32_fail(ERROR_INVALID_ADDRESS), FALSE;
	}
	err = ww32_decommit(a, ww32_page_index(a, start), ww32_page_index(a, end));
	if (err)
		return ww32_fail(err), FALSE;
	return TRUE;
}

WW_API BOOL ww_win32_VirtualFree(LPVOID addr, SIZE_T size, DWORD type)
{
	BOOL ret;

	if (type != MEM_RELEASE && type != MEM_DECOMMIT)
		return ww32_fail(ERROR_INVALID_PARAMETER), FALSE;
	ww32_enter();
	if (type == MEM_RELEASE)
		ret = release((uintptr_t)addr, size);
	else
		ret = decommit_range((uintptr_t)addr, size);
	ww32_leave();
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
		return ww32_fail(ERROR_NOACCESS), FALSE;
	if (!size || (uintptr_t)addr + size < (uintptr_t)addr)
		return ww32_fail(ERROR_INVALID_PARAMETER), FALSE;
	err = check_protect(newprot);
	if (err)
		return ww32_fail(err), FALSE;
	end = ww_align_up((uintptr_t)addr + size, PG);
	ww32_enter();
	a = ww32_alloc_find(start);
	if (!a || end > a->end || end < start) {
		ww32_leave();
		return ww32_fail(ERROR_INVALID_ADDRESS), FALSE;
	}
	i0 = ww32_page_index(a, start);
	i1 = ww32_page_index(a, end);
	for (i = i0; i < i1; i++) {
		if (!a->prot[i]) {      /* only committed pages have a protection */
			ww32_leave();
			return ww32_fail(ERROR_INVALID_ADDRESS), FALSE;
		}
	}
	*oldprot = a->prot[i0];
	err = ww32_set_protect(a, i0, i1, newprot);
	ww32_leave();
	if (err)
		return ww32_fail(err), FALSE;
	return TRUE;
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
		if (mprotect((void *)ww32_page_addr(a, i), (j - i) * PG, ww32_posix_prot(a->prot[i])))
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
		return ww32_fail(ERROR_INVALID_PARAMETER), FALSE;
	end = ww_align_up((uintptr_t)base + size, PG);
	ww32_enter();
	first = alloc_search(start);
	/* Check everything first, so that a refused call changes nothing. */
	for (k = first; k < nallocs && allocs[k]->base < end; k++) {
		struct walloc *a = allocs[k];
		size_t i0 = ww32_page_index(a, start > a->base ? start : a->base);
		size_t i1 = ww32_page_index(a, end < a->end ? end : a->end);

		if (!a->write_watch)
			continue;
		for (i = i0; i < i1; i++) {
			if (!a->prot[i] || !ww32_prot_writable(a->prot[i])) {
				ww32_leave();
				return ww32_fail(ERROR_NOACCESS), FALSE;
			}
		}
	}
	for (k = first; !ret && k < nallocs && allocs[k]->base < end; k++) {
		struct walloc *a = allocs[k];
		uintptr_t s = start > a->base ? start : a->base;
		uintptr_t e = end < a->end ? end : a->end;

		if (!a->write_watch)
			continue;
		if (ww32_tracker_live())
			ret = ww_prepare_write(ww32_tracker, (void *)s, e - s);
		else
			ret = reprotect(a, ww32_page_index(a, s), ww32_page_index(a, e));
	}
	ww32_leave();
	if (ret)
		return ww32_fail(ww32_err_from_errno(ret)), FALSE;
	return TRUE;
}

WW_API const char *ww_win32_backend(void)
{
	const char *name;

	ww32_enter();
	name = ww32_tracker ? ww_backend_name(ww32_tracker) : NULL;
	ww32_leave();
	return name;
}
