/* SPDX-License-Identifier: MIT */
/*
 * Tracker core: argument checks, the registry of watched ranges, locking,
 * and dispatch to the backend.  Backends see only aligned, registered,
 * validated ranges (src/internal.h describes the contract).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"

/* Scan output buffer: big enough that a get over a sparse range rarely loops. */
#define WW_SCRATCH_REGIONS 1024

/* ---- fork detection ---- */

static unsigned long fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_child(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void fork_init(void)
{
	pthread_atfork(NULL, NULL, fork_child);
}

unsigned long ww_fork_generation(void)
{
	pthread_once(&fork_once, fork_init);
	return __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}



/* ---- open / close ---- */

/* A tracker on backend b, no choice made (probe.c makes the choice). */
int ww_tracker_open_backend(struct ww_tracker **out, enum ww_backend b)
{
	return ww_tracker_open_pid(out, b, 0);
}

/* The same for process pid (0: this one); the backend's open takes its uffd. */
int ww_tracker_open_pid(struct ww_tracker **out, enum ww_backend b, pid_t pid)
{
	struct ww_tracker *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return -ENOMEM;
	/* The scan buffer must never be watched memory: map it privately. */
	t->scratch_len = WW_SCRATCH_REGIONS;
	t->scratch = mmap(NULL, t->scratch_len * sizeof(*t->scratch), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->scratch == MAP_FAILED) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->ops = ww_backend_ops_get(b);
	t->fork_gen = ww_fork_generation();
	t->uffd = -1;
	t->pagemap_fd = -1;
	t->aux_fd = -1;
	t->pid = pid;
	t->maps_fd = -1;
	ret = t->ops->open(t);
	if (!ret && pid) {
		ret = ww_k_maps_open(pid);
		if (ret >= 0) {
			t->maps_fd = ret;
			ret = 0;
		} else {
			t->ops->close(t);
		}
	}
	if (ret) {
		munmap(t->scratch, t->scratch_len * sizeof(*t->scratch));
		pthread_mutex_destroy(&t->lock);
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

WW_API int ww_open(struct ww_tracker **out, enum ww_backend backend, unsigned flags)
{
	if (!out || flags)
		return -EINVAL;
	return ww_open_choice(out, backend);
}

WW_API void ww_close(struct ww_tracker *t)
{
	size_t i;

	if (!t)
		return;
	if (ww_in_forked_child(t)) {
		/*
		 * The protections and the kernel objects belong to the parent:
		 * drop only this process's file descriptors and memory.  Backend
		 * state cannot be torn down safely here (its threads did not
		 * survive the fork), so it is left to process exit.
		 */
		if (t->uffd >= 0)
			close(t->uffd);
		if (t->pagemap_fd >= 0)
			close(t->pagemap_fd);
		if (t->aux_fd >= 0)
			close(t->aux_fd);
		if (t->maps_fd >= 0)
			close(t->maps_fd);
		for (i = 0; i < t->nr_ranges; i++)
			free(t->ranges[i]);
	} else {
		pthread_mutex_lock(&t->lock);
		/*
		 * close cannot report a failure: forget every range even when
		 * its protection could not be removed (ww_unwatch first to see
		 * such an error).
		 */
		while (t->nr_ranges) {
			struct ww_range *r = t->ranges[t->nr_ranges - 1];

			t->ops->unwatch(t, r, r->start, r->end, ww_range_gone(t, r));
			ww_range_remove_at(t, t->nr_ranges - 1);
		}
		t->ops->close(t);
		if (t->maps_fd >= 0)
			close(t->maps_fd);
		pthread_mutex_unlock(&t->lock);
		pthread_mutex_destroy(&t->lock);
	}
	free(t->ranges);
	munmap(t->scratch, t->scratch_len * sizeof(*t->scratch));
	free(t);
}

WW_API const char *ww_backend_name(const struct ww_tracker *t)
{
	return t ? t->ops->name : NULL;
}

WW_API enum ww_backend ww_backend_id(const struct ww_tracker *t)
{
	return t ? t->ops->id : WW_BACKEND_AUTO;
}

WW_API const char *ww_version(void)
{
#define WW_STR_(x) #x
#define WW_STR(x) WW_STR_(x)
	return WW_STR(WW_VERSION_MAJOR) "." WW_STR(WW_VERSION_MINOR) "." WW_STR(WW_VERSION_PATCH);
}

/* ---- watch / unwatch ---- */

/*
 * Page size of [addr, addr+len), or -EINVAL when its VMAs do not all have
 * the same one (a range is tracked in one unit: a hugetlb VMA between two
 * anonymous ones must be watched on its own).
 */
static long range_page_size(const struct ww_tracker *t, uintptr_t addr, size_t len,
			    bool *hugetlb)
{
	uintptr_t at = addr, vma_end, end = addr + len;
	long ps = -ENOMEM;

	*hugetlb = false;
	while (at < end) {
		bool huge;
		long vps = ww_k_vma_page_size(t->pid, t->maps_fd, at, &vma_end, &huge);

		if (vps < 0)
			return vps;
		if (at != addr && (vps != ps || huge != *hugetlb))
			return -EINVAL;
		ps = vps;
		*hugetlb = huge;
		/* The end of a hugetlb range rounds up to its page size. */
		end = ww_align_up(end, (size_t)ps);
		at = vma_end;
	}
	return ps;
}

static int watch_locked(struct ww_tracker *t, uintptr_t a, size_t len)
{
	struct ww_range *r;
	bool hugetlb;
	long ps;
	size_t at;
	int ret;

	ret = ww_target_mapped(t, a, len);
	if (ret)
		return ret;
	ps = range_page_size(t, a, len, &hugetlb);
	if (ps < 0)
		return (int)ps;
	if (a & (ps - 1))
		return -EINVAL;
	len = ww_align_up(len, ps);
	if (a + len < a)
		return -EINVAL;
	at = ww_range_search(t, a);
	if (at < t->nr_ranges && t->ranges[at]->start < a + len)
		return -EEXIST;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct ww_range){ .start = a, .end = a + len, .pagesize = ps, .hugetlb = hugetlb };
	ret = ww_range_insert(t, r, at);
	if (ret) {
		free(r);
		return ret;
	}
	ret = t->ops->watch(t, r);
	if (ret)
		ww_range_remove_at(t, at);
	return ret;
}

WW_API int ww_watch(struct ww_tracker *t, void *addr, size_t len)
{
	uintptr_t end;
	int ret = ww_check_call(t, addr, len, &end);

	if (ret)
		return ret;
	if ((uintptr_t)addr & (ww_page_size() - 1))
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	ret = watch_locked(t, (uintptr_t)addr, len);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static int unwatch_locked(struct ww_tracker *t, uintptr_t start, uintptr_t end)
{
	size_t first, count, i, at;
	int ret;

	ret = ww_cover(t, start, end, &first, &count);
	if (ret)
		return ret;
	/* Alignment first, so that a refused call changes nothing. */
	for (i = first; i < first + count; i++) {
		const struct ww_range *r = t->ranges[i];

		if ((start > r->start && (start & (r->pagesize - 1))) ||
		    (end < r->end && (end & (r->pagesize - 1))))
			return -EINVAL;
	}
	/* Walk backwards so that splitting and removing keep indexes valid. */
	for (i = first + count; i-- > first;) {
		struct ww_range *r = t->ranges[i];

		if (end < r->end) {
			ret = ww_range_split(t, i, end);
			if (ret)
				return ret;
		}
		at = i;
		if (start > r->start) {
			ret = ww_range_split(t, i, start);
			if (ret)
				return ret;
			at = i + 1;     /* the part to unwatch is the new tail */
		}
		ret = ww_range_drop(t, at, ww_range_gone(t, t->ranges[at]));
		if (ret)
			return ret;
	}
	return 0;
}

WW_API int ww_unwatch(struct ww_tracker *t, void *addr, size_t len)
{
	uintptr_t end;
	int ret = ww_check_call(t, addr, len, &end);

	if (ret)
		return ret;
	pthread_mutex_lock(&t->lock);
	ret = unwatch_locked(t, (uintptr_t)addr, end);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* ---- reset / prepare_write / granularity ---- */

typedef int (*range_op)(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end);

/* Apply op to every watched part of [addr, addr+len), which must be fully watched. */
static int for_each_part(struct ww_tracker *t, void *addr, size_t len, range_op op)
{
	size_t first, count, i;
	uintptr_t end;
	int ret = ww_check_call(t, addr, len, &end);

	if (ret)
		return ret;
	pthread_mutex_lock(&t->lock);
	ret = ww_cover(t, (uintptr_t)addr, end, &first, &count);
	if (!ret)
		ret = ww_check_mapped(t, first, count);
	for (i = first; !ret && i < first + count; i++) {
		struct ww_range *r = t->ranges[i];
		uintptr_t cs, ce;

		ww_clamp(r, (uintptr_t)addr, end, &cs, &ce);
		ret = ww_range_failed(t, i, op(t, r, cs, ce));
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static int reset_op(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	return t->ops->reset(t, r, start, end);
}

static int prepare_op(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	return t->ops->prepare_write(t, r, start, end);
}

WW_API int ww_reset(struct ww_tracker *t, void *addr, size_t len)
{
	return for_each_part(t, addr, len, reset_op);
}

WW_API int ww_prepare_write(struct ww_tracker *t, void *addr, size_t len)
{
	return for_each_part(t, addr, len, prepare_op);
}

WW_API ssize_t ww_granularity(struct ww_tracker *t, void *addr)
{
	struct ww_range *r;
	ssize_t ret;

	if (!t)
		return -EINVAL;
	if (ww_in_forked_child(t))
		return -ECHILD;
	pthread_mutex_lock(&t->lock);
	r = ww_range_find(t, (uintptr_t)addr);
	ret = r ? (ssize_t)r->pagesize : -ENOENT;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int ww_holes_unwritten(struct ww_tracker *t, uintptr_t start, uintptr_t end)
{
	struct ww_range *r;
	int ret;

	pthread_mutex_lock(&t->lock);
	r = ww_range_find(t, start);
	if (!r)
		ret = -ENOENT;
	else
		ret = r->end >= end && t->ops->holes_unwritten && t->ops->holes_unwritten(t, r);
	pthread_mutex_unlock(&t->lock);
	return ret;
}
