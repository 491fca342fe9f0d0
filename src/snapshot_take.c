/* SPDX-License-Identifier: MIT */
/*
 * Saving a snapshot's content.  Only private anonymous memory can be saved
 * sparsely: there a page-table hole reads as zeros and MADV_DONTNEED makes a
 * page a hole again, so a hole at take needs no copy.  Shared and file-backed
 * memory keeps content behind a hole (the page cache), so it is saved whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"
#include "procmaps.h"
#include "snapshot.h"

#define SCAN_RUNS 256
#define MINCORE_CHUNK 4096      /* pages per mincore() call */

struct planner {
	struct ww_snapshot *s;
	int pagemap_fd;                 /* -1 until needed; -2: cannot be opened */
	int swap_active;
};

static int run_add(struct ww_snapshot *s, uintptr_t a, uintptr_t b)
{
	struct snap_run *last = s->nr_runs ? &s->runs[s->nr_runs - 1] : NULL;

	if (last && last->end == a) {
		last->end = b;
		s->data_len += b - a;
		return 0;
	}
	if (s->nr_runs == s->cap_runs) {
		size_t cap = s->cap_runs ? s->cap_runs * 2 : 64;
		struct snap_run *n = realloc(s->runs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->runs = n;
		s->cap_runs = cap;
	}
	s->runs[s->nr_runs++] = (struct snap_run){ .start = a, .end = b, .off = s->data_len };
	s->data_len += b - a;
	return 0;
}

/*
 * A run that reads as swapped but not present: a swapped-out page, a page
 * being migrated, or a uffd-wp marker on a hole (an armed range).  Without
 * swap, mincore() tells them apart: it counts migration entries as resident
 * and markers as holes.  With swap, save it: reading a marker hole only maps
 * the zero page.
 */
static int add_swapped(struct planner *p, uintptr_t a, uintptr_t b)
{
	size_t ps = ww_page_size();
	unsigned char vec[MINCORE_CHUNK];

	if (p->swap_active)
		return run_add(p->s, a, b);
	while (a < b) {
		size_t n = (b - a) / ps, i;
		int ret;

		if (n > MINCORE_CHUNK)
			n = MINCORE_CHUNK;
		ret = ww_k_mincore(a, n * ps, vec);
		if (ret)
			return ret;
		for (i = 0; i < n; i++, a += ps) {
			if (!(vec[i] & 1))
				continue;
			ret = run_add(p->s, a, a + ps);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The populated pages of [a, b), private anonymous memory. */
static int plan_sparse(struct planner *p, uintptr_t a, uintptr_t b)
{
	struct page_region regs[SCAN_RUNS];

	if (p->pagemap_fd == -1) {
		int fd = ww_k_pagemap_open(0);

		p->pagemap_fd = fd < 0 ? -2 : fd;
		p->swap_active = ww_k_swap_active();
	}
	/* A process that may not read its pagemap (not dumpable): save it all. */
	if (p->pagemap_fd == -2)
		return run_add(p->s, a, b);
	while (a < b) {
		uintptr_t walk_end = a;
		long n = ww_k_populated(p->pagemap_fd, a, b, regs, SCAN_RUNS, &walk_end);
		int ret = 0;

		if (n < 0)
			return (int)n;
		for (long i = 0; i < n && !ret; i++) {
			/* The zero page reads as zeros, like the hole it was. */
			if (regs[i].categories & PAGE_IS_PFNZERO)
				continue;
			if (regs[i].categories & PAGE_IS_PRESENT)
				ret = run_add(p->s, regs[i].start, regs[i].end);
			else
				ret = add_swapped(p, regs[i].start, regs[i].end);
		}
		if (ret)
			return ret;
		if (walk_end <= a)
			return -EIO;    /* no progress: never loop forever */
		a = walk_end;
	}
	return 0;
}

static int plan_vma(const struct ww_vma *v, void *arg)
{
	struct planner *p = arg;
	struct ww_snapshot *s = p->s;
	uintptr_t a = v->start > s->start ? v->start : s->start;
	uintptr_t b = v->end < s->end ? v->end : s->end;

	if (!(v->prot & PROT_READ))
		return -EACCES;
	if (!v->shared && !ww_vma_has_file(v))
		return plan_sparse(p, a, b);
	return run_add(s, a, b);
}

/* The VMAs must cover the range without a gap. */
static int check_cover(const struct ww_vma *v, size_t n, uintptr_t start, uintptr_t end)
{
	size_t i;

	if (!n || v[0].start > start || v[n - 1].end < end)
		return -ENOMEM;
	for (i = 1; i < n; i++)
		if (v[i].start != v[i - 1].end)
			return -ENOMEM;
	return 0;
}

static int save_data(struct ww_snapshot *s)
{
	size_t ps = ww_page_size(), i;
	void *m;

	if (!s->data_len)
		return 0;
	s->data_map = ww_align_up(s->data_len, ps);
	m = mmap(NULL, s->data_map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		s->data_map = 0;
		return -ENOMEM;
	}
	s->data = m;
	for (i = 0; i < s->nr_runs; i++)
		memcpy(s->data + s->runs[i].off, (void *)s->runs[i].start,
		       s->runs[i].end - s->runs[i].start);
	return 0;
}

int ww_snap_save(struct ww_snapshot *s)
{
	struct planner p = { .s = s, .pagemap_fd = -1 };
	struct ww_vma *v = NULL;
	size_t n = 0, i;
	int ret;

	ret = ww_vmas_get(s->start, s->end, 0, &v, &n);
	if (ret)
		return ret;
	ret = check_cover(v, n, s->start, s->end);
	for (i = 0; !ret && i < n; i++)
		ret = plan_vma(&v[i], &p);
	free(v);
	if (p.pagemap_fd >= 0)
		close(p.pagemap_fd);
	return ret ? ret : save_data(s);
}
