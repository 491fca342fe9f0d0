/* SPDX-License-Identifier: MIT */
/*
 * uffd-sync backend: classic userfaultfd write-protect and a fault thread
 * (Linux >= 5.7 for anonymous memory; shmem, memfd and hugetlb need
 * UFFD_FEATURE_WP_HUGETLBFS_SHMEM, Linux >= 5.19).
 *
 * Watched memory is registered with UFFDIO_REGISTER_MODE_WP and protected
 * with UFFDIO_WRITEPROTECT.  A write to a protected page blocks the writer
 * and queues a message; the tracker's fault thread reads it, removes the
 * protection of that page, THEN sets the page's bit in the range's
 * written-bitmap, and then wakes the writer (so that a get the writer makes
 * after its write sees the write).  get+reset clears the bits it reports
 * (atomically) and THEN protects those pages again.  With that order a
 * write is never lost (src/internal.h); a page may be reported twice.
 *
 * The fault thread never takes t->lock (its holder may be the writer, for
 * instance when ww_get()'s output array is watched) and never touches
 * watched memory.  It finds the range of a fault address in a table of
 * published ranges guarded by a private lock, plock.  Everything reachable
 * under plock lives in private mappings of this backend, and nobody holding
 * plock touches the caller's memory, so the thread can always make progress.
 * The table is changed only by the ops (under t->lock) and always under
 * plock; the thread holds plock from lookup to bit set, so state unpublished
 * under plock is never used by the thread again and can be freed.
 *
 * Never-touched anonymous pages are protected through pte markers
 * (UFFD_FEATURE_WP_UNPOPULATED, Linux >= 6.4).  Without it they are faulted
 * in (zero page) before being protected, at watch and at reset.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"
#include "uffd_sync_debug.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef _UFFDIO_WRITEPROTECT
#define _UFFDIO_WRITEPROTECT 0x06
#endif

#define MSG_BATCH 64            /* fault messages read per read(2) */
#define TOUCH_BATCH 512         /* pages per process_vm_readv() when pre-faulting */

unsigned int ww_uffd_sync_debug;

/* Per-range state (r->priv): one private mapping, this header then the bitmap. */
struct sync_bits {
	size_t map_len;
	uintptr_t base;         /* address of bit 0 */
	unsigned int shift;     /* log2 of the range's page size */
	size_t nbits;
	_Atomic uint64_t words[];
};

/* A published range: [start, end) of the memory whose faults land in bits. */
struct sync_entry {
	uintptr_t start;
	uintptr_t end;
	struct sync_bits *bits;
};

/* Per-tracker state (t->priv), in a private mapping like all the thread reads. */
struct sync_state {
	pthread_mutex_t plock;          /* the table against the fault thread */
	struct sync_entry *tab;         /* sorted by start; a private mapping */
	size_t ntab;
	size_t captab;
	int uffd;                       /* == t->uffd: the thread never reads t */
	int stopfd;                     /* eventfd: tells the thread to exit */
	pthread_t thread;
	bool unpopulated;               /* UFFD_FEATURE_WP_UNPOPULATED in effect */
	bool populate;                  /* try MADV_POPULATE_READ (test hook: no) */
};

/* ---- private mappings ---- */

static void *map_zeroed(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- written-bitmaps ---- */

static struct sync_bits *bits_alloc(uintptr_t base, size_t len, size_t pagesize)
{
	size_t nbits = len / pagesize;
	size_t map_len = ww_align_up(sizeof(struct sync_bits) + (nbits + 63) / 64 * 8,
				     ww_page_size());
	struct sync_bits *b = map_zeroed(map_len);

	if (!b)
		return NULL;
	b->map_len = map_len;
	b->base = base;
	b->shift = (unsigned int)__builtin_ctzl(pagesize);
	b->nbits = nbits;
	return b;
}

static void bits_free(struct sync_bits *b)
{
	munmap(b, b->map_len);
}

static size_t bit_of(const struct sync_bits *b, uintptr_t addr)
{
	return (addr - b->base) >> b->shift;
}

static uintptr_t addr_of(const struct sync_bits *b, size_t bit)
{
	return b->base + ((uintptr_t)bit << b->shift);
}

/* The bits of word w that lie in [i, j). */
static uint64_t word_mask(size_t w, size_t i, size_t j)
{
	size_t lo = i > w * 64 ? i - w * 64 : 0;
	size_t hi = j < (w + 1) * 64 ? j - w * 64 : 64;
	uint64_t m = hi == 64 ? ~0ULL : (1ULL << hi) - 1;

	return m & ~((1ULL << lo) - 1);
}

/* Set or clear bits [i, j), each word atomically. */
static void bits_update(struct sync_bits *b, size_t i, size_t j, bool set)
{
	size_t w;

	for (w = i / 64; w * 64 < j; w++) {
		uint64_t m = word_mask(w, i, j);

		if (set)
			atomic_fetch_or(&b->words[w], m);
		else
			atomic_fetch_and(&b->words[w], ~m);
	}
}

/* First bit in [i, j) that is set (set) or clear (!set); j if none. */
static size_t bits_find(struct sync_bits *b, size_t i, size_t j, bool set)
{
	while (i < j) {
		size_t w = i / 64;
		uint64_t v = atomic_load_explicit(&b->words[w], memory_order_relaxed);

		v = (set ? v : ~v) & (~0ULL << (i % 64));
		if (v) {
			i = w * 64 + (size_t)__builtin_ctzll(v);
			break;
		}
		i = (w + 1) * 64;
	}
	return i < j ? i : j;
}

/* dst's bits [0, dst->nbits) = src's bits [off, off + dst->nbits). */
static void bits_copy(struct sync_bits *dst, struct sync_bits *src, size_t off)
{
	size_t nw = (dst->nbits + 63) / 64, src_nw = (src->nbits + 63) / 64, w;

	for (w = 0; w < nw; w++) {
		size_t p = off + w * 64, sw = p / 64, sh = p % 64;
		uint64_t v = atomic_load_explicit(&src->words[sw], memory_order_relaxed) >> sh;

		if (sh && sw + 1 < src_nw)
			v |= atomic_load_explicit(&src->words[sw + 1], memory_order_relaxed)
			     << (64 - sh);
		atomic_store_explicit(&dst->words[w], v & word_mask(w, 0, dst->nbits),
				      memory_order_relaxed);
	}
}

/* ---- the table of published ranges (changed under plock only) ---- */

/* Room for n entries; called under plock because the thread reads st->tab. */
static int tab_reserve(struct sync_state *st, size_t n)
{
	size_t cap = st->captab ? st->captab : ww_page_size() / sizeof(struct sync_entry);
	struct sync_entry *tab;

	if (n <= st->captab)
		return 0;
	while (cap < n)
		cap *= 2;
	tab = map_zeroed(cap * sizeof(*tab));
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

/* Index of the first entry whose end is above addr (ntab if none). */
static size_t tab_search(const struct sync_state *st, uintptr_t addr)
{
	size_t lo = 0, hi = st->ntab;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->tab[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct sync_entry *tab_lookup(struct sync_state *st, uintptr_t addr)
{
	size_t i = tab_search(st, addr);

	return i < st->ntab && st->tab[i].start <= addr ? &st->tab[i] : NULL;
}

static void tab_insert_at(struct sync_state *st, size_t i, const struct sync_entry *e)
{
	memmove(&st->tab[i + 1], &st->tab[i], (st->ntab - i) * sizeof(*e));
	st->tab[i] = *e;
	st->ntab++;
}

static int publish(struct sync_state *st, uintptr_t start, uintptr_t end, struct sync_bits *b)
{
	struct sync_entry e = { .start = start, .end = end, .bits = b };
	int ret;

	pthread_mutex_lock(&st->plock);
	ret = tab_reserve(st, st->ntab + 1);
	if (!ret)
		tab_insert_at(st, tab_search(st, start), &e);
	pthread_mutex_unlock(&st->plock);
	return ret;
}

/* After this the fault thread no longer sees the range starting at start. */
static void unpublish(struct sync_state *st, uintptr_t start)
{
	size_t i;

	pthread_mutex_lock(&st->plock);
	i = tab_search(st, start);
	if (i < st->ntab && st->tab[i].start == start) {
		memmove(&st->tab[i], &st->tab[i + 1], (st->ntab - i - 1) * sizeof(st->tab[0]));
		st->ntab--;
	}
	pthread_mutex_unlock(&st->plock);
}

/* ---- the fault thread ---- */

/* Resolve one write-protect fault.  Called with plock held. */
static void resolve_fault(struct sync_state *st, uintptr_t addr)
{
	struct sync_entry *e = tab_lookup(st, addr);
	size_t size = e ? (size_t)1 << e->bits->shift : ww_page_size();
	uintptr_t page = ww_align_down(addr, size);
	size_t bit;

	if (!e) {
		/*
		 * Outside every published range (unwatched since, or dropped as
		 * unmapped): still resolve it, so that no writer stays blocked.
		 */
		if (ww_k_uffd_wp(st->uffd, page, size, false, false))
			ww_k_uffd_wake(st->uffd, page, size);  /* the VMA is not ours any more */
		return;
	}
	/*
	 * Unprotect BEFORE recording the write: a get+reset in between misses
	 * the bit but also leaves the page alone, so the write is reported by
	 * the next get.  The writer is woken only once the bit is set, so a get
	 * it makes after its write returns always sees that write.
	 */
	ww_k_uffd_wp(st->uffd, page, size, false, true);
	bit = bit_of(e->bits, page);
	bits_update(e->bits, bit, bit + 1, true);
	ww_k_uffd_wake(st->uffd, page, size);
}

static void *fault_thread(void *arg)
{
	struct sync_state *st = arg;
	struct uffd_msg msgs[MSG_BATCH];
	struct pollfd pfd[2] = {
		{ .fd = st->uffd, .events = POLLIN },
		{ .fd = st->stopfd, .events = POLLIN },
	};

	for (;;) {
		ssize_t n, i;

		if (poll(pfd, 2, -1) < 0)
			continue;       /* EINTR; nothing else is expected */
		if (pfd[1].revents)
			return NULL;
		n = ww_k_uffd_read(st->uffd, msgs, MSG_BATCH);
		if (n <= 0)
			continue;       /* -EAGAIN: a fault was woken before we read it */
		pthread_mutex_lock(&st->plock);
		for (i = 0; i < n; i++)
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT)
				resolve_fault(st, msgs[i].arg.pagefault.address);
		pthread_mutex_unlock(&st->plock);
	}
}

/* ---- pre-faulting, for kernels without UFFD_FEATURE_WP_UNPOPULATED ---- */

/*
 * Before Linux 5.14: read one byte of each page through process_vm_readv(),
 * which faults pages in like a read but fails with EFAULT instead of raising
 * SIGSEGV on memory the caller cannot read.
 */
static int touch_pages(uintptr_t start, size_t len)
{
	char sink[TOUCH_BATCH];
	struct iovec local = { .iov_base = sink, .iov_len = sizeof(sink) };
	struct iovec remote[TOUCH_BATCH];
	size_t n = len / ww_page_size(), done = 0, i, k;

	while (done < n) {
		k = n - done < TOUCH_BATCH ? n - done : TOUCH_BATCH;
		for (i = 0; i < k; i++) {
			remote[i].iov_base = (void *)(start + (done + i) * ww_page_size());
			remote[i].iov_len = 1;
		}
		if (process_vm_readv(getpid(), &local, 1, remote, k, 0) != (ssize_t)k)
			return -EFAULT;
		done += k;
	}
	return 0;
}

/*
 * Make never-touched pages present (the zero page for anonymous memory) so
 * that UFFDIO_WRITEPROTECT has a pte to mark.  Reads only: no content, no
 * protected page and no written bit changes.
 */
static int prefault(struct sync_state *st, uintptr_t start, size_t len)
{
	int ret = -EINVAL;

	if (st->populate) {
		do
			ret = madvise((void *)start, len, MADV_POPULATE_READ) ? -errno : 0;
		while (ret == -EINTR);
	}
	/* EINVAL: Linux < 5.14, or a mapping populate refuses (PROT_NONE). */
	if (ret == -EINVAL)
		ret = touch_pages(start, len);
	/* EFAULT: memory the process cannot read cannot be pre-faulted. */
	return ret == -EFAULT ? -EOPNOTSUPP : ret;
}

/* ---- ops ---- */

/* A protect ioctl finding no VMA registered with us: the memory was replaced. */
static int wp_err(int ret)
{
	return ret == -ENOENT ? -EFAULT : ret;
}

static int sync_probe(char *why, size_t whylen)
{
	uint64_t features = 0, ioctls = 0;
	enum ww_uffd_how how;
	void *page;
	int fd, ret = ww_k_uffd_probe(&features, why, whylen);

	if (ret)
		return ret;
	if (!(features & UFFD_FEATURE_PAGEFAULT_FLAG_WP)) {
		ww_why(why, whylen, "kernel lacks userfaultfd write-protect (needs Linux >= 5.7)");
		return -EOPNOTSUPP;
	}
	/* Old kernels advertise the flag but refuse MODE_WP: register a scratch page. */
	fd = ww_k_uffd_open(true, &how);
	if (fd < 0) {
		ww_why(why, whylen, "userfaultfd refused: %s", strerror(-fd));
		return -EOPNOTSUPP;
	}
	ret = ww_k_uffd_api(fd, 0, NULL, NULL);
	page = map_zeroed(ww_page_size());
	if (!ret && !page)
		ret = -ENOMEM;
	if (!ret)
		ret = ww_k_uffd_register(fd, (uintptr_t)page, ww_page_size(),
					 UFFDIO_REGISTER_MODE_WP, &ioctls);
	if (!ret && !(ioctls & (1ULL << _UFFDIO_WRITEPROTECT)))
		ret = -EOPNOTSUPP;
	if (page)
		munmap(page, ww_page_size());
	close(fd);
	if (ret) {
		ww_why(why, whylen, "kernel cannot write-protect anonymous memory with "
		       "userfaultfd (%s; needs Linux >= 5.7)", strerror(-ret));
		return -EOPNOTSUPP;
	}
	return 0;
}

static void sync_free(struct sync_state *st)
{
	if (st->stopfd >= 0)
		close(st->stopfd);
	if (st->uffd >= 0)
		close(st->uffd);
	if (st->tab)
		munmap(st->tab, st->captab * sizeof(st->tab[0]));
	pthread_mutex_destroy(&st->plock);
	munmap(st, sizeof(*st));
}

static int sync_open(struct ww_tracker *t)
{
	uint64_t have = 0, want;
	enum ww_uffd_how how;
	struct sync_state *st;
	sigset_t all, old;
	int ret;

	ret = ww_k_uffd_features(&have, NULL);
	if (ret)
		return ret;
	/* Not WP_ASYNC: faults must reach the thread to be recorded. */
	want = have & (UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_WP_UNPOPULATED);
	if (ww_uffd_sync_debug & WW_UFFD_SYNC_DEBUG_NO_UNPOPULATED)
		want &= ~(uint64_t)UFFD_FEATURE_WP_UNPOPULATED;
	st = map_zeroed(sizeof(*st));
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->plock, NULL);
	st->stopfd = -1;
	st->unpopulated = want & UFFD_FEATURE_WP_UNPOPULATED;
	st->populate = !(ww_uffd_sync_debug & WW_UFFD_SYNC_DEBUG_NO_POPULATE);
	/* Non-blocking: poll() on a blocking userfaultfd reports an error. */
	st->uffd = ww_k_uffd_open(true, &how);
	if (st->uffd < 0) {
		ret = st->uffd;
		goto fail;
	}
	ret = ww_k_uffd_api(st->uffd, want, NULL, NULL);
	if (ret)
		goto fail;
	st->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (st->stopfd < 0) {
		ret = -errno;
		goto fail;
	}
	/* The thread takes no signal: the application's handlers run elsewhere. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&st->thread, NULL, fault_thread, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto fail;
	pthread_setname_np(st->thread, "ww-uffd-sync");
	t->uffd = st->uffd;
	t->uffd_user_mode_only = how == WW_UFFD_USER_ONLY;
	t->priv = st;
	return 0;
fail:
	sync_free(st);
	return ret;
}

static void sync_close(struct ww_tracker *t)
{
	struct sync_state *st = t->priv;
	uint64_t one = 1;

	/*
	 * Every range was unwatched, which unprotected it and so woke any
	 * writer still blocked in a fault: the thread can stop now.
	 */
	while (write(st->stopfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(st->thread, NULL);
	sync_free(st);
	t->uffd = -1;
	t->priv = NULL;
}

static int sync_watch(struct ww_tracker *t, struct ww_range *r)
{
	struct sync_state *st = t->priv;
	size_t len = r->end - r->start;
	uint64_t ioctls = 0;
	struct sync_bits *b;
	int ret;

	b = bits_alloc(r->start, len, r->pagesize);
	if (!b)
		return -ENOMEM;
	ret = ww_k_uffd_register(st->uffd, r->start, len, UFFDIO_REGISTER_MODE_WP, &ioctls);
	if (ret) {
		bits_free(b);
		/* EINVAL: a memory type sync write-protect cannot handle (file pages). */
		return ret == -EINVAL ? -EOPNOTSUPP : ret;     /* EBUSY, EPERM as they are */
	}
	if (!(ioctls & (1ULL << _UFFDIO_WRITEPROTECT))) {
		ret = -EOPNOTSUPP;
		goto unregister;
	}
	/* Published before protected: every fault of this range finds it. */
	ret = publish(st, r->start, r->end, b);
	if (ret)
		goto unregister;
	if (!st->unpopulated && !r->hugetlb) {
		ret = prefault(st, r->start, len);
		if (ret)
			goto unpublish;
	}
	ret = ww_k_uffd_wp(st->uffd, r->start, len, true, false);
	if (ret)
		goto unpublish;
	r->priv = b;
	return 0;
unpublish:
	ww_k_uffd_wp(st->uffd, r->start, len, false, false);   /* a partial protect */
	unpublish(st, r->start);
unregister:
	ww_k_uffd_unregister(st->uffd, r->start, len);
	bits_free(b);
	return ret;
}

static int sync_unwatch(struct ww_tracker *t, struct ww_range *r, uintptr_t start,
			uintptr_t end, bool gone)
{
	struct sync_state *st = t->priv;
	struct sync_bits *b = r->priv;
	int ret = 0, ret2;

	/*
	 * gone: the address may hold a newer mapping, maybe registered with
	 * another tracker's userfaultfd, which UFFDIO_WRITEPROTECT would act on.
	 * What is left of ours stays registered until close; a fault there
	 * still gets resolved by the thread (as outside every range).
	 */
	if (!gone) {
		/* Unprotect first: it wakes any writer blocked in a fault here. */
		ret = ww_k_uffd_wp(st->uffd, start, end - start, false, false);
		ret2 = ww_k_uffd_unregister(st->uffd, start, end - start);
		ret = ret ? ret : ret2;
	}
	if (start == r->start && end == r->end) {
		unpublish(st, r->start);
		bits_free(b);
		r->priv = NULL;
	} else {
		/* The core splits before unwatching part of a range; just forget the part. */
		bits_update(b, bit_of(b, start), bit_of(b, end), false);
	}
	return ret;
}

static int sync_split(struct ww_tracker *t, struct ww_range *r, struct ww_range *tail)
{
	struct sync_state *st = t->priv;
	struct sync_bits *b = r->priv, *nb;
	struct sync_entry e = { .start = tail->start, .end = r->end };
	size_t i;
	int ret;

	nb = bits_alloc(tail->start, r->end - tail->start, r->pagesize);
	if (!nb)
		return -ENOMEM;
	e.bits = nb;
	/* Under plock the thread cannot set a bit of the tail between copy and publish. */
	pthread_mutex_lock(&st->plock);
	ret = tab_reserve(st, st->ntab + 1);
	if (!ret) {
		bits_copy(nb, b, bit_of(b, tail->start));
		i = tab_search(st, r->start);
		st->tab[i].end = tail->start;
		tab_insert_at(st, i + 1, &e);
	}
	pthread_mutex_unlock(&st->plock);
	if (ret) {
		bits_free(nb);
		return ret;
	}
	tail->priv = nb;
	return 0;
}

/* Clear the bits of [start, end) THEN protect it; on failure nothing may be lost. */
static int rearm(struct sync_state *st, struct sync_bits *b, uintptr_t start, uintptr_t end)
{
	int ret;

	bits_update(b, bit_of(b, start), bit_of(b, end), false);
	ret = ww_k_uffd_wp(st->uffd, start, end - start, true, false);
	if (ret)
		bits_update(b, bit_of(b, start), bit_of(b, end), true);
	return wp_err(ret);
}

static ssize_t sync_scan(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end,
			 struct ww_region *out, size_t max_out, uint64_t max_pages,
			 bool reset, uintptr_t *walk_end)
{
	struct sync_state *st = t->priv;
	struct sync_bits *b = r->priv;
	size_t i = bit_of(b, start), last = bit_of(b, end), n = 0, k;
	uint64_t pages = 0;
	int ret;

	*walk_end = end;
	while (i < last) {
		size_t s = bits_find(b, i, last, true), e;

		if (s == last)
			break;
		if (n == max_out || pages == max_pages) {
			*walk_end = addr_of(b, s);
			break;
		}
		e = bits_find(b, s + 1, last, false);
		if (e - s > max_pages - pages)
			e = s + (max_pages - pages);
		out[n].start = addr_of(b, s);
		out[n].end = addr_of(b, e);
		n++;
		pages += e - s;
		i = e;
	}
	/*
	 * Bits are only ever cleared under t->lock, so every bit of a reported
	 * run is still set: rearm() resets exactly what is reported.
	 */
	for (k = 0; reset && k < n; k++) {
		ret = rearm(st, b, out[k].start, out[k].end);
		if (ret) {
			/* The caller drops these results: mark the runs reset so far again. */
			while (k--)
				bits_update(b, bit_of(b, out[k].start), bit_of(b, out[k].end), true);
			return ret;
		}
	}
	return (ssize_t)n;
}

static int sync_reset(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	struct sync_state *st = t->priv;
	int ret;

	/* Pages zapped since the watch (MADV_DONTNEED) lost their protection. */
	if (!st->unpopulated && !r->hugetlb) {
		ret = prefault(st, start, end - start);
		if (ret)
			return ret;
	}
	return rearm(st, r->priv, start, end);
}

static int sync_prepare_write(struct ww_tracker *t, struct ww_range *r, uintptr_t start,
			      uintptr_t end)
{
	struct sync_state *st = t->priv;
	struct sync_bits *b = r->priv;
	int ret;

	/* As the fault thread does: unprotect, mark, and only then wake blocked writers. */
	ret = ww_k_uffd_wp(st->uffd, start, end - start, false, true);
	if (ret)
		return wp_err(ret);
	bits_update(b, bit_of(b, start), bit_of(b, end), true);
	return ww_k_uffd_wake(st->uffd, start, end - start);
}

const struct ww_backend_ops ww_uffd_sync_ops = {
	.id = WW_BACKEND_UFFD_SYNC,
	.name = "uffd-sync",
	.probe = sync_probe,
	.open = sync_open,
	.close = sync_close,
	.watch = sync_watch,
	.unwatch = sync_unwatch,
	.split = sync_split,
	.scan = sync_scan,
	.reset = sync_reset,
	.prepare_write = sync_prepare_write,
};
