/* SPDX-License-Identifier: MIT */
/*
 * uffd-sync: the written-bitmaps of watched ranges and the table of
 * published ranges the fault thread looks faults up in.  All of it lives in
 * private mappings of its own (never in the caller's heap, which may be
 * watched), and the table changes only under plock (src/uffd_sync.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "uffd_sync.h"

void *ww_sync_map_zeroed(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- written-bitmaps ---- */

struct sync_bits *ww_sync_bits_alloc(uintptr_t base, size_t len, size_t pagesize)
{
	size_t nbits = len / pagesize;
	size_t map_len = ww_align_up(sizeof(struct sync_bits) +
				     WW_BITMAP_WORDS(nbits) * sizeof(uint64_t), ww_page_size());
	struct sync_bits *b = ww_sync_map_zeroed(map_len);

	if (!b)
		return NULL;
	b->map_len = map_len;
	b->base = base;
	b->shift = (unsigned int)__builtin_ctzl(pagesize);
	b->nbits = nbits;
	return b;
}

void ww_sync_bits_free(struct sync_bits *b)
{
	munmap(b, b->map_len);
}

void ww_sync_bits_mark(struct sync_bits *b, uintptr_t start, uintptr_t end, bool set)
{
	ww_bits_update(b->words, ww_sync_bit_of(b, start), ww_sync_bit_of(b, end), set);
}

/* dst's bits [0, dst->nbits) = src's bits [off, off + dst->nbits); dst starts clear. */
static void bits_copy(struct sync_bits *dst, struct sync_bits *src, size_t off)
{
	size_t end = off + dst->nbits, i = ww_bits_next_set(src->words, off, end);

	while (i < end) {
		size_t j = ww_bits_next_clear(src->words, i, end);

		ww_bits_update(dst->words, i - off, j - off, true);
		i = ww_bits_next_set(src->words, j, end);
	}
}

/* ---- the table of published ranges ---- */

static uintptr_t entry_end(const void *tab, size_t i)
{
	return ((const struct sync_entry *)tab)[i].end;
}

size_t ww_sync_tab_search(const struct sync_state *st, uintptr_t addr)
{
	return ww_search_end(st->tab, st->ntab, addr, entry_end);
}

struct sync_entry *ww_sync_tab_lookup(struct sync_state *st, uintptr_t addr)
{
	size_t i = ww_sync_tab_search(st, addr);

	return i < st->ntab && st->tab[i].start <= addr ? &st->tab[i] : NULL;
}

/* Room for n entries; under plock because the thread reads st->tab. */
static int tab_reserve(struct sync_state *st, size_t n)
{
	size_t cap = st->captab ? st->captab : ww_page_size() / sizeof(struct sync_entry);
	struct sync_entry *tab;

	if (n <= st->captab)
		return 0;
	while (cap < n)
		cap *= 2;
	tab = ww_sync_map_zeroed(cap * sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	if (st->tab) {
		memcpy(tab, st->tab, st->ntab * sizeof(*tab));
		munmap(st->tab, st->captab * sizeof(*tab));
	}
	st->tab = tab;
	st->captab = cap;
	return 0;
}

static void tab_insert_at(struct sync_state *st, size_t i, const struct sync_entry *e)
{
	memmove(&st->tab[i + 1], &st->tab[i], (st->ntab - i) * sizeof(*e));
	st->tab[i] = *e;
	st->ntab++;
}

int ww_sync_publish(struct sync_state *st, uintptr_t start, uintptr_t end, struct sync_bits *b)
{
	struct sync_entry e = { .start = start, .end = end, .bits = b };
	int ret;

	pthread_mutex_lock(&st->plock);
	ret = tab_reserve(st, st->ntab + 1);
	if (!ret)
		tab_insert_at(st, ww_sync_tab_search(st, start), &e);
	pthread_mutex_unlock(&st->plock);
	return ret;
}

/* After this the fault thread no longer sees the range starting at start. */
void ww_sync_unpublish(struct sync_state *st, uintptr_t start)
{
	size_t i;

	pthread_mutex_lock(&st->plock);
	i = ww_sync_tab_search(st, start);
	if (i < st->ntab && st->tab[i].start == start) {
		memmove(&st->tab[i], &st->tab[i + 1], (st->ntab - i - 1) * sizeof(st->tab[0]));
		st->ntab--;
	}
	pthread_mutex_unlock(&st->plock);
}

int ww_sync_tab_split(struct sync_state *st, uintptr_t start, uintptr_t tail_start,
		      struct sync_bits *nb)
{
	struct sync_entry e = { .start = tail_start, .bits = nb };
	size_t i;
	int ret;

	/* Under plock the thread cannot set a bit of the tail between copy and publish. */
	pthread_mutex_lock(&st->plock);
	ret = tab_reserve(st, st->ntab + 1);
	if (!ret) {
		struct sync_bits *b;

		i = ww_sync_tab_search(st, start);
		b = st->tab[i].bits;
		e.end = st->tab[i].end;
		bits_copy(nb, b, ww_sync_bit_of(b, tail_start));
		atomic_store(&nb->err, atomic_load(&b->err));
		st->tab[i].end = tail_start;
		tab_insert_at(st, i + 1, &e);
	}
	pthread_mutex_unlock(&st->plock);
	return ret;
}

/*
 * At close: entries still published are those of ranges whose unwatch
 * failed, which the core forgot anyway; free their bitmaps too.
 */
void ww_sync_tab_free(struct sync_state *st)
{
	size_t i;

	for (i = 0; i < st->ntab; i++)
		ww_sync_bits_free(st->tab[i].bits);
	if (st->tab)
		munmap(st->tab, st->captab * sizeof(st->tab[0]));
	st->tab = NULL;
	st->ntab = st->captab = 0;
}
