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
#define ZERO_TEST 512           /* bytes read at a time to test a page for zeros */

struct planner;
static int add_nonzero(struct planner *p, uintptr_t a, uintptr_t b);

struct planner {
	struct ww_snapshot *s;
	uintptr_t at;                   /* the walk covered [s->start, at) without a gap */
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
	if (p->s->pid)
		return add_nonzero(p, a, b);
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

/*
 * Another process's pages have no mincore(): read them (a marker hole reads
 * as the zero page, a page being migrated is waited for) and save the ones
 * that are not all zeros; a zero page restores like a hole.
 */
static int add_nonzero(struct planner *p, uintptr_t a, uintptr_t b)
{
	size_t ps = ww_page_size();
	unsigned char buf[ZERO_TEST];

	for (; a < b; a += ps) {
		bool zero = true;

		for (size_t off = 0; zero && off < ps; off += ZERO_TEST) {
			size_t n = ps - off < ZERO_TEST ? ps - off : ZERO_TEST;
			int ret = ww_snap_read(p->s, a + off, buf, n);

			if (ret)
				return ret;
			for (size_t i = 0; zero && i < n; i++)
				zero = !buf[i];
		}
		if (!zero) {
			int ret = run_add(p->s, a, a + ps);

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
		int fd = ww_k_pagemap_open(p->s->pid);

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

	if (v->start > p->at)
		return -ENOMEM;         /* a hole in the range */
	p->at = b;
	if (!(v->prot & PROT_READ))
		return -EACCES;
	if (!v->shared && !ww_vma_has_file(v))
		return plan_sparse(p, a, b);
	return run_add(s, a, b);
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
	for (i = 0; i < s->nr_runs; i++) {
		int ret = ww_snap_read(s, s->runs[i].start, s->data + s->runs[i].off,
				       s->runs[i].end - s->runs[i].start);

		if (ret)
			return ret;
	}
	return 0;
}

int ww_snap_save(struct ww_snapshot *s)
{
	struct planner p = { .s = s, .at = s->start, .pagemap_fd = -1 };
	char line[512];
	int ret;

	/* The walk's callback plans each VMA in turn; the VMAs must cover the range. */
	ret = ww_vmas_each_in(s->pid, line, sizeof(line), s->start, s->end, 0, plan_vma, &p);
	if (!ret && p.at < s->end)
		ret = -ENOMEM;
	if (p.pagemap_fd >= 0)
		close(p.pagemap_fd);
	return ret ? ret : save_data(s);
}
