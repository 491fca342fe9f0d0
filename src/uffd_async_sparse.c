/* SPDX-License-Identifier: MIT */
/*
 * uffd-async populated-only mode: which ranges may use it, the record of
 * populated pages that tells a dropped page from a never-touched one, and
 * the two scans over it (see uffd_async.h for the why).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "uffd_async.h"
#include "procmaps.h"

#define BLOCK_WORDS (WW_SPARSE_BLOCK_PAGES / 64)

/* ---- which memory may go without markers ---- */

/* A PMD maps 512 base-page entries' worth (a page table of 8-byte entries). */
static size_t block_pmd(void)
{
	return ww_page_size() / 8 * ww_page_size();
}

struct elig {
	uintptr_t start, end;   /* the range */
	size_t pmd;             /* PMD size: a THP's */
	long thp;               /* ww_thp_pmd_mode() */
	bool ok;
	bool thp_room;          /* a VMA holds a PMD-aligned block overlapping the range */
};

/*
 * From maps (cheap): private anonymous memory only, since a read fault on
 * shared or file memory maps an existing page without the uffd-wp bit,
 * which would read as written.  And note whether a THP could back some of
 * the range: a PMD-aligned block inside a VMA, overlapping the range.
 */
static int elig_maps(const struct ww_vma *v, void *arg)
{
	struct elig *e = arg;
	uintptr_t lo = ww_align_up(v->start, e->pmd), hi = ww_align_down(v->end, e->pmd);

	if (v->shared || ww_vma_has_file(v)) {
		e->ok = false;
		return 1;
	}
	if (lo < hi && lo < e->end && hi > e->start)
		e->thp_room = true;
	return 0;
}

/*
 * From smaps: no THP.  Without a page table in place, a first write can
 * fault in a whole PMD-size page, which reads as 512 written pages.
 */
static int elig_smaps(const struct ww_vma *v, void *arg)
{
	struct elig *e = arg;
	bool thp = e->thp == 2 ? !v->nohugepage : e->thp == 1 ? v->hugepage && !v->nohugepage :
		   e->thp != 0;

	if (v->hugetlb || thp) {
		e->ok = false;
		return 1;
	}
	return 0;
}

bool ww_sparse_eligible(uintptr_t start, uintptr_t end)
{
	struct elig e = { .start = start, .end = end, .pmd = block_pmd(),
			  .thp = ww_thp_pmd_mode(), .ok = true };

	if (ww_vmas_each(start, end, 0, elig_maps, &e) < 0 || !e.ok)
		return false;
	/*
	 * VmFlags (hg, nh) are only in smaps, whose reading makes the kernel
	 * walk the page tables of every VMA below the range, of the range and
	 * of the VMA just above it (seq_file formats one entry ahead).  So it
	 * is read only when a THP could back part of the range.
	 */
	if (e.thp == 0 || !e.thp_room)
		return true;
	if (ww_vmas_each(start, end, WW_VMAS_SMAPS, elig_smaps, &e) < 0)
		return false;
	return e.ok;
}

/* ---- the record: 512-page blocks, one bit a page ---- */

static size_t block_span(void)
{
	return WW_SPARSE_BLOCK_PAGES * ww_page_size();
}

/* Index of the first block ending above addr. */
static size_t block_search(const struct ww_sparse *s, uintptr_t addr)
{
	size_t lo = 0, hi = s->n, span = block_span();

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->b[mid].base + span <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Records live in mappings of their own, never on the heap: the heap may be
 * watched, and a get's own writes to a record there would read as the
 * application's.
 */
static void *map_bytes(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t bytes_of(size_t nblocks)
{
	return ww_align_up(nblocks * sizeof(struct ww_sparse_block), ww_page_size());
}

/* A free header of the pool, else one of its own mapping. */
static struct ww_sparse *header_new(struct ww_sparse_list *list)
{
	struct ww_sparse *s;

	for (size_t i = 0; i < WW_SPARSE_POOL; i++) {
		if (!list->pool[i].prev) {
			memset(&list->pool[i], 0, sizeof(list->pool[i]));
			list->pool[i].pooled = true;
			return &list->pool[i];
		}
	}
	s = map_bytes(sizeof(*s));
	return s;
}

struct ww_sparse *ww_sparse_new(struct ww_sparse_list *list)
{
	struct ww_sparse *s = header_new(list), *head = &list->head;

	if (!s)
		return NULL;
	s->prev = head;
	s->next = head->next;
	if (head->next)
		head->next->prev = s;
	head->next = s;
	return s;
}

void ww_sparse_free(struct ww_sparse *s)
{
	if (!s)
		return;
	s->prev->next = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->b)
		munmap(s->b, bytes_of(s->cap));
	if (s->pooled)
		memset(s, 0, sizeof(*s));       /* prev NULL: free again */
	else
		munmap(s, sizeof(*s));
}

static int reserve(struct ww_sparse *s, size_t more)
{
	size_t cap = s->cap ? s->cap : bytes_of(1) / sizeof(struct ww_sparse_block);
	void *nb;

	if (s->n + more <= s->cap)
		return 0;
	while (cap < s->n + more)
		cap *= 2;
	nb = s->b ? mremap(s->b, bytes_of(s->cap), bytes_of(cap), MREMAP_MAYMOVE) : map_bytes(bytes_of(cap));
	if (!nb || nb == MAP_FAILED)
		return -ENOMEM;
	s->b = nb;
	s->cap = bytes_of(cap) / sizeof(struct ww_sparse_block);
	return 0;
}

/* Pages [i, j) of one block's bits (bit k is page k of the block). */
static void bits_update(uint64_t *w, size_t i, size_t j, bool set)
{
	for (size_t k = i / 64; i < j && k <= (j - 1) / 64; k++) {
		size_t lo = i > k * 64 ? i - k * 64 : 0;
		size_t hi = j < (k + 1) * 64 ? j - k * 64 : 64;
		uint64_t m = (hi == 64 ? ~0ULL : (1ULL << hi) - 1) & ~((1ULL << lo) - 1);

		w[k] = set ? w[k] | m : w[k] & ~m;
	}
}

/* First page in [i, j) whose bit is want, or j. */
static size_t bits_next(const uint64_t *w, size_t i, size_t j, bool want)
{
	while (i < j) {
		size_t k = i / 64;
		uint64_t v = (want ? w[k] : ~w[k]) >> (i % 64);

		if (v)
			return i + (size_t)__builtin_ctzll(v) < j ? i + (size_t)__builtin_ctzll(v) : j;
		i = (k + 1) * 64;
	}
	return j;
}

static bool block_empty(const struct ww_sparse_block *b)
{
	for (int k = 0; k < BLOCK_WORDS; k++)
		if (b->bits[k])
			return false;
	return true;
}

/* The block at base, inserted (zeroed) at index at if missing. */
static struct ww_sparse_block *block_get(struct ww_sparse *s, size_t at, uintptr_t base)
{
	if (at < s->n && s->b[at].base == base)
		return &s->b[at];
	if (reserve(s, 1))
		return NULL;
	memmove(&s->b[at + 1], &s->b[at], (s->n - at) * sizeof(s->b[0]));
	s->n++;
	memset(&s->b[at], 0, sizeof(s->b[at]));
	s->b[at].base = base;
	return &s->b[at];
}

int ww_sparse_set(struct ww_sparse *s, uintptr_t start, uintptr_t end)
{
	size_t span = block_span(), pg = ww_page_size();
	size_t at = block_search(s, start);

	while (start < end) {
		uintptr_t base = ww_align_down(start, span);
		uintptr_t stop = base + span < end ? base + span : end;
		struct ww_sparse_block *b = block_get(s, at, base);

		if (!b)
			return -ENOMEM;
		bits_update(b->bits, (start - base) / pg, (stop - base) / pg, true);
		start = stop;
		at++;
	}
	return 0;
}

void ww_sparse_clear(struct ww_sparse *s, uintptr_t start, uintptr_t end)
{
	size_t span = block_span(), pg = ww_page_size();
	size_t i = block_search(s, start), out;

	if (!s->n)
		return;
	for (out = i; i < s->n && s->b[i].base < end; i++) {
		struct ww_sparse_block *b = &s->b[i];
		uintptr_t lo = start > b->base ? start : b->base;
		uintptr_t hi = end < b->base + span ? end : b->base + span;

		bits_update(b->bits, (lo - b->base) / pg, (hi - b->base) / pg, false);
		if (!block_empty(b))
			s->b[out++] = *b;
	}
	/* Blocks left empty are removed, the rest closes up. */
	memmove(&s->b[out], &s->b[i], (s->n - i) * sizeof(s->b[0]));
	s->n -= i - out;
}

int ww_sparse_split(struct ww_sparse *s, struct ww_sparse *tail, uintptr_t at)
{
	size_t span = block_span(), pg = ww_page_size();
	size_t i = block_search(s, at), n = s->n - i;
	bool straddle = i < s->n && s->b[i].base < at;

	if (!n)
		return 0;
	if (reserve(tail, n))
		return -ENOMEM;
	memcpy(tail->b, &s->b[i], n * sizeof(s->b[0]));
	tail->n = n;
	if (straddle) {
		/* The block holding at: its low part stays, its high part moves. */
		bits_update(tail->b[0].bits, 0, (at - tail->b[0].base) / pg, false);
		bits_update(s->b[i].bits, (at - s->b[i].base) / pg, span / pg, false);
		i++;
	}
	s->n = i;
	return 0;
}

size_t ww_sparse_count(const struct ww_sparse *s, uintptr_t start, uintptr_t end)
{
	size_t span = block_span(), pg = ww_page_size(), n = 0;

	for (size_t i = block_search(s, start); i < s->n && s->b[i].base < end; i++) {
		const struct ww_sparse_block *b = &s->b[i];
		size_t lo = start > b->base ? (start - b->base) / pg : 0;
		size_t hi = end < b->base + span ? (end - b->base) / pg : span / pg;

		for (size_t k = bits_next(b->bits, lo, hi, true); k < hi;) {
			size_t z = bits_next(b->bits, k, hi, false);

			n += z - k;
			k = bits_next(b->bits, z, hi, true);
		}
	}
	return n;
}

/* ---- the scans ---- */

/*
 * The populated pages of [start, end), up to limit of them: write-protected
 * and recorded in s when wp, only counted otherwise.
 */
static int scan_populated(int pagemap_fd, struct page_region *vec, size_t vec_len,
			  struct ww_sparse *s, uintptr_t start, uintptr_t end, uint64_t limit,
			  bool wp, uint64_t *pages)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = PM_SCAN_CHECK_WPASYNC | (wp ? PM_SCAN_WP_MATCHING : 0),
		.vec = (uintptr_t)vec,
		.vec_len = vec_len,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_PFNZERO,
	};
	uintptr_t at = start;

	*pages = 0;
	while (at < end && *pages < limit) {
		long n, i;

		arg.start = at;
		arg.end = end;
		arg.max_pages = limit == UINT64_MAX ? 0 : limit - *pages;
		n = ww_k_pagemap_scan(pagemap_fd, &arg);
		if (n < 0)
			return n == -EPERM ? -EFAULT : (int)n;
		for (i = 0; i < n; i++) {
			/* The zero page holds nothing a drop could lose: not recorded. */
			int ret = !wp || vec[i].categories & PAGE_IS_PFNZERO ? 0 :
				  ww_sparse_set(s, vec[i].start, vec[i].end);

			if (ret)
				return ret;
			*pages += (vec[i].end - vec[i].start) / ww_page_size();
		}
		if (arg.walk_end <= at)
			return -EIO;
		at = arg.walk_end;
	}
	return 0;
}

int ww_sparse_arm(int pagemap_fd, struct page_region *vec, size_t vec_len,
		  struct ww_sparse *s, uintptr_t start, uintptr_t end, uint64_t limit,
		  uint64_t *pages)
{
	return scan_populated(pagemap_fd, vec, vec_len, s, start, end, limit, true, pages);
}

int ww_sparse_populated(int pagemap_fd, struct page_region *vec, size_t vec_len,
			uintptr_t start, uintptr_t end, uint64_t limit, uint64_t *pages)
{
	return scan_populated(pagemap_fd, vec, vec_len, NULL, start, end, limit, false, pages);
}

/* Append [a, b) to out[0..*n), joining a run that ends at a. */
static bool emit(struct ww_region *out, size_t *n, size_t max, uintptr_t a, uintptr_t b)
{
	if (*n && out[*n - 1].end == a) {
		out[*n - 1].end = b;
		return true;
	}
	if (*n == max)
		return false;
	out[(*n)++] = (struct ww_region){ a, b };
	return true;
}

/* Recorded pages of block b in [lo, hi) outside the populated runs pop[*k..np). */
static bool missing_in_block(const struct ww_sparse_block *b, uintptr_t lo, uintptr_t hi,
			     const struct page_region *pop, size_t np, size_t *k,
			     struct ww_region *out, size_t *n, size_t max)
{
	size_t pg = ww_page_size();

	while (lo < hi) {
		size_t i = bits_next(b->bits, (lo - b->base) / pg, (hi - b->base) / pg, true);
		uintptr_t a = b->base + i * pg, e;

		if (a >= hi)
			return true;
		while (*k < np && pop[*k].end <= a)
			(*k)++;
		if (*k < np && pop[*k].start <= a) {
			lo = (uintptr_t)pop[*k].end;    /* populated: skip past it */
			continue;
		}
		e = b->base + bits_next(b->bits, i, (hi - b->base) / pg, false) * pg;
		if (*k < np && pop[*k].start < e)
			e = (uintptr_t)pop[*k].start;
		if (!emit(out, n, max, a, e))
			return false;
		lo = e;
	}
	return true;
}

ssize_t ww_sparse_missing(const struct ww_sparse *s, uintptr_t start, uintptr_t end,
			  const struct page_region *pop, size_t np,
			  struct ww_region *out, size_t max)
{
	size_t span = block_span(), i = block_search(s, start), k = 0, n = 0;

	for (; i < s->n && s->b[i].base < end; i++) {
		uintptr_t lo = s->b[i].base > start ? s->b[i].base : start;
		uintptr_t hi = s->b[i].base + span < end ? s->b[i].base + span : end;

		if (!missing_in_block(&s->b[i], lo, hi, pop, np, &k, out, &n, max))
			break;
	}
	return (ssize_t)n;
}
