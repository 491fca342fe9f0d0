/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend, the fault path: the process-wide SIGSEGV handler and
 * the table of published ranges it searches.  Everything the handler runs
 * is async-signal-safe: atomics, mprotect(), and /proc reads through
 * procmaps.c's stack buffers.
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
 * Only then is the state unmapped.  The slot table is mapped once and never
 * freed.
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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "arch.h"
#include "internal.h"
#include "kernel.h"
#include "mprotect.h"
#include "mprotect_debug.h"
#include "procmaps.h"

/* Watched ranges across all mprotect trackers of a process (a split takes one more). */
#define MP_SLOTS 16384

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
unsigned int ww_mp_debug;                       /* test hooks: src/mprotect_debug.h */
static _Atomic int mp_restored;                 /* some range was unwatched: see mp_retry() */
static pthread_mutex_t mp_lock = PTHREAD_MUTEX_INITIALIZER;    /* slot allocation only */

static struct sigaction mp_old;                 /* the SIGSEGV action before ours */
static _Atomic int mp_old_fired;                /* mp_old had SA_RESETHAND and ran once */
static pthread_once_t mp_once = PTHREAD_ONCE_INIT;
static int mp_init_err;

/* ---- the fault path (async-signal-safe) ---- */

/* Take a write fault at addr if st owns it; st is pinned. */
static bool mp_fault(struct mp_state *st, uintptr_t addr)
{
	uintptr_t lo = atomic_load(&st->lo), hi = atomic_load(&st->hi);
	uintptr_t page, a, b;
	const struct ww_vma *seg;
	int ret;

	if (addr < lo || addr >= hi)
		return false;
	page = ww_align_down(addr, st->pagesize);
	seg = mp_seg_find(st, page);
	if (!seg || !(seg->prot & PROT_WRITE))
		return false;           /* the application's own read-only page */
	/*
	 * Mark, unprotect, mark again.  The first mark: once the page is
	 * writable another thread's store goes through without faulting, and a
	 * get after that store must see the page.  The second: a reset may
	 * clear the bit and protect the page between the first mark and our
	 * unprotect, which then leaves the page writable; its bit must be set.
	 */
	mp_bits(st, page, page + st->pagesize, true);
	if (!ww_k_mprotect(page, st->pagesize, seg->prot)) {
		if (ww_mp_debug & WW_MP_DEBUG_SLOW_FAULT)
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
		mp_bits(st, page, page + st->pagesize, true);
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
	mp_bits(st, a, b, true);
	ret = ww_k_mprotect(a, b - a, seg->prot);
	mp_bits(st, a, b, true);
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

static int mp_writable_cb(const struct ww_vma *v, void *arg)
{
	(void)arg;
	return v->prot & PROT_WRITE ? 1 : 2;
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
	return ww_vmas_each(addr, addr + 1, 0, mp_writable_cb, NULL) == 1;
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

	if (si->si_code == SEGV_ACCERR && ww_arch_write_fault(ctx)) {
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

int ww_mp_publish(struct mp_state *st, bool check_busy)
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

void ww_mp_shrink(struct mp_state *st, uintptr_t lo, uintptr_t hi)
{
	struct mp_slot *s = &atomic_load(&mp_slots)[st->slot];

	atomic_fetch_add(&mp_gen, 1);
	atomic_store(&st->lo, lo);
	atomic_store(&st->hi, hi);
	atomic_store(&s->lo, lo);
	atomic_store(&s->hi, hi);
	mp_drain(s);
}

void ww_mp_release(struct mp_state *st)
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

void ww_mp_note_restored(void)
{
	atomic_store(&mp_restored, 1);
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
		if (st && ww_mp_protect(st, atomic_load(&st->lo), atomic_load(&st->hi), true))
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
int ww_mp_ensure_handler(void)
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
