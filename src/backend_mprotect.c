/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: watched pages are made read-only; a process-wide
 * SIGSEGV handler takes the write fault, makes the page writable again and
 * records it in the range's written-bitmap.  Works on any kernel; it is
 * also the baseline every benchmark compares against (Wine, Boehm GC ...).
 *
 * Shared state.  The handler may run in any thread at any moment, including
 * in a thread that holds t->lock or is inside malloc, so it takes no lock and
 * allocates nothing.  It finds the owning range in one global table of
 * MP_SLOTS slots shared by every tracker of the process.  A slot publishes a
 * struct mp_state (bounds, the watch-time protections, the bitmap) with an
 * atomic pointer store; the handler scans the slots in use (up to mp_hwm).
 *
 * Memory reclamation: a handler "pins" a slot (an SRCU-like pair of per-slot
 * counters selected by the slot's epoch parity) before it dereferences the
 * state, then re-reads the slot to validate what it found.  Whoever
 * unpublishes or shrinks a state first changes the slot (sequentially
 * consistent store), then flips the epoch twice, each time waiting for the
 * counter of the previous parity to drain.  A handler that pinned before the
 * change is waited for; one that pinned after it sees the change when it
 * validates and backs off.  New handlers always pin the current parity, so
 * the wait ends even while other threads keep faulting in the same range.
 * Only then is the state unmapped.  States are mmap'd (never malloc'd): they
 * are never inside a watched heap range, and freeing them gives the memory
 * back; the slot table itself is mapped once and never freed.
 *
 * Lost-write freedom (the contract's order):
 *   fault:      (1) mprotect the page writable, (2) THEN set its bit;
 *   get+reset:  (1) atomically clear the bits it reports, (2) THEN re-protect
 *               exactly those pages, one mprotect per contiguous run.
 * A page is writable with its bit clear only inside a fault path about to
 * set the bit, or between (1) and (2) of a get that is reporting it anyway.
 *
 * Application protections: at watch time /proc/self/maps gives each page's
 * protection ("segments").  Pages that were not writable are never touched:
 * their faults belong to the application and are passed on to the handler
 * that was installed before ours (or to the default action).  Writable pages
 * are re-protected as (prot & ~PROT_WRITE) and restored to prot on unwatch.
 *
 * Changing coverage races with faults that already happened: a thread may
 * fault on a protected page, and before its handler runs another thread
 * restores the page and unpublishes the range (and maybe watches it again);
 * a split moves a tail to another slot.  Every change of coverage bumps
 * mp_gen (before taking coverage away, after adding it).  A handler that
 * finds no owner asks /proc/self/maps, once some range has been unwatched in
 * this process, whether the page has become writable meanwhile (then the
 * write is simply retried); it passes the fault on only after a look during
 * which mp_gen did not move.  Invariant making that sound: a page we
 * protected is always covered by a published slot (publish before protect,
 * restore before unpublish, publish the tail before shrinking the head).
 *
 * fork(): the child gets back the watch-time protections of every range
 * (pthread_atfork child handler) and the table is emptied there: the child's
 * memory works with no handler at all, and the child may watch anew.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"
#include "kernel.h"

/* Watched ranges across all mprotect trackers of a process (a split takes one more). */
#define MP_SLOTS 16384

/* One run of pages that had the same protection at watch time. */
struct mp_seg {
	uintptr_t start;
	uintptr_t end;
	int prot;               /* PROT_* at watch time */
};

/* Per-range state, read by the handler while its slot is pinned. */
struct mp_state {
	uintptr_t base;         /* address of bit 0; never changes */
	_Atomic uintptr_t lo;   /* the part still watched: [lo, hi) */
	_Atomic uintptr_t hi;
	size_t pagesize;
	unsigned shift;         /* log2(pagesize) */
	int slot;               /* index in the table, -1 once orphaned by fork */
	size_t nsegs;
	const struct mp_seg *segs;      /* sorted, cover [base, base + npages pages) */
	_Atomic uint64_t *bits;         /* written-bitmap, one bit a page */
	size_t npages;
	size_t maplen;          /* bytes of the mapping holding this state */
};

struct mp_slot {
	_Atomic(struct mp_state *) st;
	_Atomic uintptr_t lo;   /* copies of st->lo/hi: a filter read before pinning */
	_Atomic uintptr_t hi;
	_Atomic unsigned epoch;
	_Atomic unsigned pins[2];
	bool used;              /* under mp_lock: allocated (maybe not yet published) */
};

static _Atomic(struct mp_slot *) mp_slots;
static _Atomic unsigned mp_hwm;                 /* slots [0, mp_hwm) may be in use */
static _Atomic unsigned long mp_gen;            /* bumped at every change of coverage */
static _Atomic int mp_restored;                 /* some range was unwatched: see mp_retry() */
static pthread_mutex_t mp_lock = PTHREAD_MUTEX_INITIALIZER;    /* slot allocation only */

static struct sigaction mp_old;                 /* the SIGSEGV action before ours */
static _Atomic int mp_old_fired;                /* mp_old had SA_RESETHAND and ran once */
static pthread_once_t mp_once = PTHREAD_ONCE_INIT;
static int mp_init_err;

/* ---- bitmap and segments (async-signal-safe) ---- */

static size_t mp_index(const struct mp_state *st, uintptr_t addr)
{
	return (addr - st->base) >> st->shift;
}

/* Set (set=true) or clear the bits of pages [a, b). */
static void mp_bits_update(struct mp_state *st, uintptr_t a, uintptr_t b, bool set)
{
	size_t i = mp_index(st, a), last = mp_index(st, b);

	while (i < last) {
		size_t w = i / 64, lim = (w + 1) * 64 < last ? (w + 1) * 64 : last;
		unsigned n = (unsigned)(lim - i);
		uint64_t mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << (i % 64);

		if (set)
			atomic_fetch_or(&st->bits[w], mask);
		else
			atomic_fetch_and(&st->bits[w], ~mask);
		i = lim;
	}
}

/* The segment holding addr (which lies in [base, base + npages pages)). */
static const struct mp_seg *mp_seg_find(const struct mp_state *st, uintptr_t addr)
{
	size_t lo = 0, hi = st->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->segs[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->nsegs && st->segs[lo].start <= addr ? &st->segs[lo] : NULL;
}

/* ---- the fault path (async-signal-safe: atomics and mprotect only) ---- */

/* Take a write fault at addr if st owns it; st is pinned. */
static bool mp_fault(struct mp_state *st, uintptr_t addr)
{
	uintptr_t lo = atomic_load(&st->lo), hi = atomic_load(&st->hi);
	uintptr_t page, a, b;
	const struct mp_seg *seg;
	int ret;

	if (addr < lo || addr >= hi)
		return false;
	page = ww_align_down(addr, st->pagesize);
	seg = mp_seg_find(st, page);
	if (!seg || !(seg->prot & PROT_WRITE))
		return false;           /* the application's own read-only page */
	if (!ww_k_mprotect(page, st->pagesize, seg->prot)) {
		mp_bits_update(st, page, page + st->pagesize, true);
		return true;
	}
	/*
	 * Making one page writable splits its VMA in three; past
	 * vm.max_map_count that fails with ENOMEM.  Unprotecting the whole
	 * segment merges instead; report all its pages (over-reporting is
	 * allowed, losing a write is not).
	 */
	a = seg->start > lo ? seg->start : lo;
	b = seg->end < hi ? seg->end : hi;
	ret = ww_k_mprotect(a, b - a, seg->prot);
	mp_bits_update(st, a, b, true);
	return !ret;
}

/* Find the range owning addr and take the fault; false if none owns it. */
static bool mp_claim(uintptr_t addr)
{
	struct mp_slot *slots = atomic_load(&mp_slots);
	unsigned n = atomic_load(&mp_hwm), i;

	for (i = 0; slots && i < n; i++) {
		struct mp_slot *s = &slots[i];
		struct mp_state *st;
		unsigned e;
		bool done = false;

		if (addr < atomic_load(&s->lo) || addr >= atomic_load(&s->hi))
			continue;
		st = atomic_load(&s->st);
		if (!st)
			continue;
		e = atomic_load(&s->epoch) & 1;
		atomic_fetch_add(&s->pins[e], 1);
		/* Pinned: st cannot be freed now, unless it was unpublished before the pin. */
		if (atomic_load(&s->st) == st)
			done = mp_fault(st, addr);
		atomic_fetch_sub(&s->pins[e], 1);
		if (done)
			return true;
	}
	return false;
}

static uintptr_t mp_hex(const char **p)
{
	uintptr_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (uintptr_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uintptr_t)(c - 'a' + 10);
		else
			return v;
	}
}

/*
 * 1 if addr lies in a writable mapping now, 0 if not, -1 if unknown.
 * Reads /proc/self/maps with open/read only (async-signal-safe), keeping the
 * head of each line in a small buffer.
 */
static int mp_writable_now(uintptr_t addr)
{
	char buf[1024], head[64];
	size_t hl = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), ret = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (ret < 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && ret < 0; i++) {
			const char *p = head;
			uintptr_t lo, hi;

			if (buf[i] != '\n') {
				if (hl < sizeof(head) - 1)
					head[hl++] = buf[i];
				continue;
			}
			head[hl] = 0;
			hl = 0;
			lo = mp_hex(&p);
			if (*p++ != '-')
				continue;
			hi = mp_hex(&p);
			if (*p++ != ' ' || strlen(p) < 4)
				continue;
			if (addr >= lo && addr < hi)
				ret = p[1] == 'w';
			else if (lo > addr)
				ret = 0;
		}
	}
	close(fd);
	return ret;
}

/*
 * Nobody owns addr now.  True if the faulting write should simply be
 * retried: the page may have been ours when the write faulted, and an
 * unwatch has made it writable since.
 */
static bool mp_retry(uintptr_t addr)
{
	if (!atomic_load(&mp_restored))
		return false;
	return mp_writable_now(addr) == 1;
}

/* x86: the page-fault error code says whether the access was a write. */
static bool mp_write_fault(const void *ctx)
{
#if defined(__x86_64__) || defined(__i386__)
	const ucontext_t *uc = ctx;

	return uc->uc_mcontext.gregs[REG_ERR] & 2;
#else
	(void)ctx;
	return true;            /* unknown: assume a write */
#endif
}

/* Pass a fault that is not ours to the action installed before ours. */
static void mp_chain(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction *old = &mp_old;
	void (*h)(int) = old->sa_handler;
	sigset_t prev;

	if ((old->sa_flags & SA_RESETHAND) && atomic_exchange(&mp_old_fired, 1))
		h = SIG_DFL;
	if (h == SIG_IGN && si->si_code <= 0)
		return;                 /* an ignored kill()/raise() */
	if (h == SIG_DFL || h == SIG_IGN) {
		/*
		 * As if we were not here: default action.  A fault re-executes
		 * the instruction and dies of it (with the right core dump); a
		 * signal sent by kill()/raise() must be sent again.
		 */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigemptyset(&dfl.sa_mask);
		sigaction(sig, &dfl, NULL);
		if (si->si_code <= 0)
			raise(sig);
		return;
	}
	/*
	 * The kernel would have blocked old->sa_mask during the old handler;
	 * SIGSEGV itself stays unblocked (our action has SA_NODEFER) so that
	 * the old handler may write watched memory.
	 */
	pthread_sigmask(SIG_BLOCK, &old->sa_mask, &prev);
	if (old->sa_flags & SA_SIGINFO)
		old->sa_sigaction(sig, si, ctx);
	else
		h(sig);
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
}

static void mp_on_segv(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;
	uintptr_t addr = (uintptr_t)si->si_addr;

	if (si->si_code == SEGV_ACCERR && mp_write_fault(ctx)) {
		/*
		 * Chain only after a look at a table that did not change
		 * meanwhile: a range may move to another slot (split), or be
		 * unwatched and watched again, while we look.
		 */
		for (;;) {
			unsigned long gen = atomic_load(&mp_gen);

			if (mp_claim(addr) || mp_retry(addr)) {
				errno = saved;
				return;
			}
			if (atomic_load(&mp_gen) == gen)
				break;
		}
	}
	errno = saved;
	mp_chain(sig, si, ctx);
	errno = saved;
}

/* ---- slot table (normal context) ---- */

/* Wait until no handler that could have seen the old value of a slot is running. */
static void mp_drain(struct mp_slot *s)
{
	int k;

	for (k = 0; k < 2; k++) {
		unsigned e = atomic_fetch_add(&s->epoch, 1) & 1;

		while (atomic_load(&s->pins[e]))
			sched_yield();
	}
}

/* Does [a, b) overlap a range some tracker watches?  mp_lock held. */
static bool mp_busy(uintptr_t a, uintptr_t b)
{
	struct mp_slot *slots = atomic_load(&mp_slots);
	unsigned n = atomic_load(&mp_hwm), i;

	for (i = 0; i < n; i++)
		if (slots[i].used && atomic_load(&slots[i].lo) < b && atomic_load(&slots[i].hi) > a)
			return true;
	return false;
}

/* Publish st in a free slot; -EBUSY if another range overlaps it. */
static int mp_publish(struct mp_state *st, bool check_busy)
{
	struct mp_slot *slots = atomic_load(&mp_slots);
	uintptr_t lo = atomic_load(&st->lo), hi = atomic_load(&st->hi);
	unsigned i;
	int ret = -ENOSPC;

	pthread_mutex_lock(&mp_lock);
	if (check_busy && mp_busy(lo, hi)) {
		pthread_mutex_unlock(&mp_lock);
		return -EBUSY;
	}
	for (i = 0; i < MP_SLOTS; i++) {
		struct mp_slot *s = &slots[i];

		if (s->used)
			continue;
		s->used = true;
		st->slot = (int)i;
		atomic_store(&s->lo, lo);
		atomic_store(&s->hi, hi);
		atomic_store(&s->st, st);
		if (atomic_load(&mp_hwm) <= i)
			atomic_store(&mp_hwm, i + 1);
		atomic_fetch_add(&mp_gen, 1);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&mp_lock);
	return ret;
}

/* Shrink the claimable part of st to [lo, hi) and wait out handlers that saw more. */
static void mp_shrink(struct mp_state *st, uintptr_t lo, uintptr_t hi)
{
	struct mp_slot *s = &atomic_load(&mp_slots)[st->slot];

	atomic_fetch_add(&mp_gen, 1);
	atomic_store(&st->lo, lo);
	atomic_store(&st->hi, hi);
	atomic_store(&s->lo, lo);
	atomic_store(&s->hi, hi);
	mp_drain(s);
}

/* Unpublish st, wait for the handlers using it, free it. */
static void mp_release(struct mp_state *st)
{
	if (st->slot >= 0) {
		struct mp_slot *s = &atomic_load(&mp_slots)[st->slot];

		atomic_fetch_add(&mp_gen, 1);
		atomic_store(&s->st, NULL);
		atomic_store(&s->lo, 0);
		atomic_store(&s->hi, 0);
		mp_drain(s);
		pthread_mutex_lock(&mp_lock);
		s->used = false;
		pthread_mutex_unlock(&mp_lock);
	}
	munmap(st, st->maplen);
}

/* ---- state ---- */

static struct mp_state *mp_state_new(uintptr_t start, uintptr_t end, size_t pagesize,
				     const struct mp_seg *segs, size_t nsegs)
{
	size_t npages = (end - start) / pagesize;
	size_t words = (npages + 63) / 64;
	size_t segoff = ww_align_up(sizeof(struct mp_state), 64);
	size_t bitoff = ww_align_up(segoff + nsegs * sizeof(*segs), 64);
	size_t len = ww_align_up(bitoff + words * sizeof(uint64_t), ww_page_size());
	struct mp_state *st;
	char *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	st = (struct mp_state *)mem;
	st->base = start;
	atomic_init(&st->lo, start);
	atomic_init(&st->hi, end);
	st->pagesize = pagesize;
	st->shift = (unsigned)__builtin_ctzl(pagesize);
	st->slot = -1;
	st->nsegs = nsegs;
	memcpy(mem + segoff, segs, nsegs * sizeof(*segs));
	st->segs = (const struct mp_seg *)(mem + segoff);
	st->bits = (_Atomic uint64_t *)(mem + bitoff);
	st->npages = npages;
	st->maplen = len;
	return st;
}

/* mprotect() failed with ret over [a, b): -EFAULT if the memory is gone. */
static int mp_err(int ret, uintptr_t a, uintptr_t b)
{
	if (ret == -ENOMEM && ww_k_mapped(a, b - a))
		return -EFAULT;
	return ret;
}

/*
 * Set the watch-time protection of the writable pages of [a, b): with
 * writable, as they were; else without PROT_WRITE.  One mprotect per
 * segment part.  Stops at the first failure.
 */
static int mp_protect(struct mp_state *st, uintptr_t a, uintptr_t b, bool writable)
{
	const struct mp_seg *seg = mp_seg_find(st, a);
	const struct mp_seg *last = st->segs + st->nsegs;

	for (; seg && seg < last && seg->start < b; seg++) {
		uintptr_t s = seg->start > a ? seg->start : a;
		uintptr_t e = seg->end < b ? seg->end : b;
		int ret;

		if (!(seg->prot & PROT_WRITE))
			continue;
		ret = ww_k_mprotect(s, e - s, writable ? seg->prot : seg->prot & ~PROT_WRITE);
		if (ret)
			return mp_err(ret, s, e);
	}
	return 0;
}

/* ---- learning protections ---- */

/* Whole file into a malloc'd buffer (NUL-terminated). */
static int mp_slurp(const char *path, char **out)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		int ret = fd < 0 ? -errno : -ENOMEM;

		free(buf);
		if (fd >= 0)
			close(fd);
		return ret;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int ret = -errno;

			free(buf);
			close(fd);
			return ret;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	*out = buf;
	return 0;
}

/* Parse "lo-hi perms" at the start of line; false if it is not a mapping line. */
static bool mp_parse_line(const char *line, uintptr_t *lo, uintptr_t *hi, int *prot)
{
	const char *p = line;

	*lo = mp_hex(&p);
	if (p == line || *p++ != '-')
		return false;
	*hi = mp_hex(&p);
	if (*p++ != ' ' || !p[0] || !p[1] || !p[2])
		return false;
	*prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
		(p[2] == 'x' ? PROT_EXEC : 0);
	return true;
}

/*
 * Any non-writable VMA over [a, b) without VM_MAYWRITE ("mw" in smaps)?
 * Such memory can never be written (read-only file mapping): -EPERM, as the
 * userfaultfd backends answer.
 */
static int mp_check_maywrite(uintptr_t a, uintptr_t b)
{
	char *buf, *line;
	bool inside = false, checking = false;
	int ret = mp_slurp("/proc/self/smaps", &buf);

	if (ret)
		return ret;
	for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		uintptr_t lo, hi;
		int prot;

		if (mp_parse_line(line, &lo, &hi, &prot)) {
			inside = lo < b && hi > a;
			checking = inside && !(prot & PROT_WRITE);
			continue;
		}
		if (checking && !strncmp(line, "VmFlags:", 8)) {
			char *nl = strchr(line, '\n');

			if (nl)
				*nl = 0;
			if (!strstr(line, " mw"))
				ret = -EPERM;
			if (nl)
				*nl = '\n';
			checking = false;
		}
	}
	free(buf);
	return ret;
}

/* Segments of [a, b) from /proc/self/maps: equal neighbours merged, no holes. */
static int mp_learn(uintptr_t a, uintptr_t b, struct mp_seg **out, size_t *nout)
{
	struct mp_seg *segs = NULL;
	size_t n = 0, cap = 0;
	uintptr_t at = a;
	bool readonly = false;
	char *buf, *line;
	int ret = mp_slurp("/proc/self/maps", &buf);

	if (ret)
		return ret;
	for (line = buf; line && *line && at < b;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		uintptr_t lo, hi;
		int prot;

		if (!mp_parse_line(line, &lo, &hi, &prot) || hi <= at)
			continue;
		if (lo > at || lo >= b)
			break;          /* a hole */
		hi = hi < b ? hi : b;
		readonly |= !(prot & PROT_WRITE);
		if (n && segs[n - 1].prot == prot) {
			segs[n - 1].end = hi;
		} else {
			if (n == cap) {
				struct mp_seg *ns = realloc(segs, (cap ? cap * 2 : 8) * sizeof(*ns));

				if (!ns) {
					ret = -ENOMEM;
					break;
				}
				segs = ns;
				cap = cap ? cap * 2 : 8;
			}
			segs[n++] = (struct mp_seg){ .start = at, .end = hi, .prot = prot };
		}
		at = hi;
	}
	free(buf);
	if (!ret && at < b)
		ret = -ENOMEM;
	if (!ret && readonly)
		ret = mp_check_maywrite(a, b);
	if (ret) {
		free(segs);
		return ret;
	}
	*out = segs;
	*nout = n;
	return 0;
}

/* ---- process-wide setup ---- */

/* In a fork child: give back every range's protections and forget them all. */
static void mp_atfork_child(void)
{
	struct mp_slot *slots = atomic_load(&mp_slots);
	unsigned n = atomic_load(&mp_hwm), i;

	pthread_mutex_init(&mp_lock, NULL);
	for (i = 0; i < n; i++) {
		struct mp_slot *s = &slots[i];
		struct mp_state *st = atomic_load(&s->st);

		/* The threads that held pins did not come along. */
		atomic_store(&s->pins[0], 0);
		atomic_store(&s->pins[1], 0);
		/* A range that could not be given back stays served by the handler. */
		if (st && mp_protect(st, atomic_load(&st->lo), atomic_load(&st->hi), true))
			continue;
		if (st)
			st->slot = -1;  /* the child's copy of the tracker forgets it */
		atomic_store(&s->st, NULL);
		atomic_store(&s->lo, 0);
		atomic_store(&s->hi, 0);
		s->used = false;
	}
}

static int mp_install(void)
{
	struct sigaction sa = { .sa_sigaction = mp_on_segv };

	/*
	 * SA_ONSTACK: run on the thread's alternate stack when it has one
	 * (a write to a watched stack page cannot push a frame on that stack).
	 * SA_NODEFER: a handler we chain to may itself write watched memory.
	 * SA_RESTART: a fault inside a library call must not turn into EINTR.
	 */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	atomic_store(&mp_old_fired, 0);
	return sigaction(SIGSEGV, &sa, &mp_old) ? -errno : 0;
}

static void mp_init(void)
{
	void *slots = mmap(NULL, MP_SLOTS * sizeof(struct mp_slot), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (slots == MAP_FAILED) {
		mp_init_err = -ENOMEM;
		return;
	}
	atomic_store(&mp_slots, slots);
	mp_init_err = mp_install();
	if (!mp_init_err)
		pthread_atfork(NULL, NULL, mp_atfork_child);
}

/*
 * Our handler must be in place before anything is protected.  If the
 * program has put SIGSEGV back to SIG_DFL or SIG_IGN since (a fork child
 * that resets its signals, or our own chaining to a default action),
 * install it again.  A handler the program installed over ours is left
 * alone: it may chain to ours, and chaining back to it would loop.
 */
static int mp_ensure_handler(void)
{
	struct sigaction cur;
	int ret = 0;

	pthread_once(&mp_once, mp_init);
	if (mp_init_err)
		return mp_init_err;
	pthread_mutex_lock(&mp_lock);
	if (!sigaction(SIGSEGV, NULL, &cur) &&
	    (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN))
		ret = mp_install();
	pthread_mutex_unlock(&mp_lock);
	return ret;
}

/* ---- backend operations ---- */

static int mp_probe(char *why, size_t whylen)
{
	return 0;               /* mprotect and signals: every kernel */
}

static int mp_open(struct ww_tracker *t)
{
	return mp_ensure_handler();
}

static void mp_close(struct ww_tracker *t)
{
	/* Nothing per tracker; the handler stays installed (others may chain to it). */
}

static int mp_watch(struct ww_tracker *t, struct ww_range *r)
{
	struct mp_seg *segs;
	struct mp_state *st;
	size_t nsegs;
	int ret = mp_ensure_handler();

	if (!ret)
		ret = mp_learn(r->start, r->end, &segs, &nsegs);
	if (ret)
		return ret;
	st = mp_state_new(r->start, r->end, r->pagesize, segs, nsegs);
	free(segs);
	if (!st)
		return -ENOMEM;
	/* Published before any page is protected: its faults must find an owner. */
	ret = mp_publish(st, true);
	if (ret) {
		munmap(st, st->maplen);
		return ret;
	}
	ret = mp_protect(st, r->start, r->end, false);
	if (ret) {
		mp_protect(st, r->start, r->end, true);
		atomic_store(&mp_restored, 1);
		mp_release(st);
		return ret;
	}
	r->priv = st;
	return 0;
}

static int mp_unwatch(struct ww_tracker *t, struct ww_range *r,
		      uintptr_t start, uintptr_t end, bool gone)
{
	struct mp_state *st = r->priv;
	uintptr_t lo, hi;
	int ret;

	if (!st)
		return 0;
	lo = atomic_load(&st->lo);
	hi = atomic_load(&st->hi);
	if (start > lo && end < hi)
		return -EINVAL;         /* a hole: the core splits first */
	if (!gone && st->slot >= 0) {
		/* Writable again before unpublishing, so no fault can miss its owner. */
		ret = mp_protect(st, start, end, true);
		if (ret) {
			/* Some pages may be writable now: never leave them with a clear bit. */
			mp_bits_update(st, start, end, true);
			return ret;
		}
		atomic_store(&mp_restored, 1);
	}
	if (start <= lo && end >= hi) {
		mp_release(st);
		r->priv = NULL;
	} else if (st->slot >= 0) {
		if (start <= lo)
			mp_shrink(st, end, hi);
		else
			mp_shrink(st, lo, start);
	}
	return 0;
}

static int mp_split(struct ww_tracker *t, struct ww_range *r, struct ww_range *tail)
{
	struct mp_state *st = r->priv, *nst;
	const struct mp_seg *seg = mp_seg_find(st, tail->start);
	size_t nsegs = (size_t)(st->segs + st->nsegs - seg), i;
	struct mp_seg *segs = malloc(nsegs * sizeof(*segs));
	uintptr_t cut = tail->start;
	int ret;

	if (!segs)
		return -ENOMEM;
	memcpy(segs, seg, nsegs * sizeof(*segs));
	segs[0].start = cut;
	nst = mp_state_new(cut, tail->end, st->pagesize, segs, nsegs);
	free(segs);
	if (!nst)
		return -ENOMEM;
	/* The tail is claimable by both states for a moment; then only by nst. */
	ret = mp_publish(nst, false);
	if (ret) {
		munmap(nst, nst->maplen);
		return ret;
	}
	mp_shrink(st, atomic_load(&st->lo), cut);
	/* No handler can set a tail bit in st any more: move them. */
	for (i = 0; i < nst->npages; i++) {
		size_t j = mp_index(st, cut) + i;
		uint64_t bit = 1ULL << (j % 64);

		if (atomic_load(&st->bits[j / 64]) & bit) {
			atomic_fetch_and(&st->bits[j / 64], ~bit);
			atomic_fetch_or(&nst->bits[i / 64], 1ULL << (i % 64));
		}
	}
	tail->priv = nst;
	return 0;
}

/* Re-protect the runs just reported; on failure mark them written again. */
static int mp_rearm_runs(struct mp_state *st, const struct ww_region *runs, size_t n)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = mp_protect(st, runs[i].start, runs[i].end, false);
	if (ret)
		for (i = 0; i < n; i++)
			mp_bits_update(st, runs[i].start, runs[i].end, true);
	return ret;
}

/*
 * Re-protect what a get-and-reset over [a, b) reported.  Each mprotect()
 * of a run costs a VMA split and merge (microseconds); one mprotect over the
 * whole walk costs a page-table walk of it (about a nanosecond a page) and
 * merges the VMAs back, which is what a plain mprotect tracker does.  With
 * many runs per page walked, the whole walk is cheaper.  It also protects
 * pages that were not reported: a write racing with that lands on a page
 * whose bit its fault sets (after making it writable, before or after our
 * call), so it is reported by a later get, never lost.
 */
#define MP_WHOLE_WALK_PAGES_PER_RUN 2048

static int mp_rearm(struct mp_state *st, uintptr_t a, uintptr_t b,
		    const struct ww_region *runs, size_t n)
{
	size_t i;
	int ret;

	if (n * MP_WHOLE_WALK_PAGES_PER_RUN < ((b - a) >> st->shift))
		return mp_rearm_runs(st, runs, n);
	ret = mp_protect(st, a, b, false);
	if (ret)
		for (i = 0; i < n; i++)
			mp_bits_update(st, runs[i].start, runs[i].end, true);
	return ret;
}

static ssize_t mp_scan(struct ww_tracker *t, struct ww_range *r,
		       uintptr_t start, uintptr_t end,
		       struct ww_region *out, size_t max_out, uint64_t max_pages,
		       bool reset, uintptr_t *walk_end)
{
	struct mp_state *st = r->priv;
	size_t i = mp_index(st, start), last = mp_index(st, end), n = 0;
	uint64_t pages = 0;
	uintptr_t stop = end;
	int ret;

	while (i < last) {
		size_t w = i / 64, lim = (w + 1) * 64 < last ? (w + 1) * 64 : last;
		unsigned nb = (unsigned)(lim - i);
		uint64_t range = (nb == 64 ? ~0ULL : ((1ULL << nb) - 1)) << (i % 64);
		uint64_t set = atomic_load(&st->bits[w]) & range, took = 0;
		bool full = false;

		while (set) {
			unsigned b = (unsigned)__builtin_ctzll(set);
			uintptr_t addr = st->base + ((w * 64 + b) << st->shift);

			if (pages >= max_pages ||
			    ((!n || out[n - 1].end != addr) && n >= max_out)) {
				stop = addr;
				full = true;
				break;
			}
			if (n && out[n - 1].end == addr)
				out[n - 1].end = addr + st->pagesize;
			else
				out[n++] = (struct ww_region){ addr, addr + st->pagesize };
			pages++;
			took |= 1ULL << b;
			set &= set - 1;
		}
		/* Only this thread clears bits (t->lock): what it saw set is still set. */
		if (reset && took)
			atomic_fetch_and(&st->bits[w], ~took);
		if (full)
			break;
		i = lim;
	}
	if (reset && n) {
		ret = mp_rearm(st, start, stop, out, n);
		if (ret)
			return ret;
	}
	*walk_end = stop;
	return (ssize_t)n;
}

static int mp_reset(struct ww_tracker *t, struct ww_range *r, uintptr_t start, uintptr_t end)
{
	struct mp_state *st = r->priv;
	int ret;

	mp_bits_update(st, start, end, false);
	/*
	 * All of it, not only the pages whose bit was set: also re-arms pages
	 * the application made writable itself (see the notes).
	 */
	ret = mp_protect(st, start, end, false);
	if (ret)
		mp_bits_update(st, start, end, true);
	return ret;
}

static int mp_prepare_write(struct ww_tracker *t, struct ww_range *r,
			    uintptr_t start, uintptr_t end)
{
	struct mp_state *st = r->priv;
	int ret = mp_protect(st, start, end, true);

	/* Writable first, then written: even after a failure (part may be writable). */
	mp_bits_update(st, start, end, true);
	return ret;
}

const struct ww_backend_ops ww_mprotect_ops = {
	.id = WW_BACKEND_MPROTECT,
	.name = "mprotect",
	.probe = mp_probe,
	.open = mp_open,
	.close = mp_close,
	.watch = mp_watch,
	.unwatch = mp_unwatch,
	.split = mp_split,
	.scan = mp_scan,
	.reset = mp_reset,
	.prepare_write = mp_prepare_write,
};
