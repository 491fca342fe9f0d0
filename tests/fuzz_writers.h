/* SPDX-License-Identifier: MIT */
/*
 * Writer threads for tests/fuzz_model.c.  They are created once, before any
 * memory is watched (so no thread stack is mapped while the test runs), and
 * write a small set of pages while they are active.  Around every store a
 * writer bumps the page's started and finished counters, so the checker can
 * tell which writes must have been seen and which may race, whatever the
 * scheduler does.
 */
#ifndef FUZZ_WRITERS_H
#define FUZZ_WRITERS_H

#include <pthread.h>
#include <sched.h>

#include "fuzz_model.h"

#define FZ_WRITERS      2
#define FZ_WSET         8

static struct {
	pthread_t th[FZ_WRITERS];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool active;            /* under lock: writers should run */
	unsigned long gen;      /* under lock: episodes started */
	int running;            /* under lock: writers inside their write loop */
	_Atomic bool go;        /* read in the write loop */
	size_t set[FZ_WSET];
	size_t nset;
	_Atomic long at[FZ_WRITERS];    /* page each writer is storing to, -1 none: for a hang */
} fw = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void fz_writer_loop(unsigned id)
{
	unsigned long k = id;

	while (atomic_load_explicit(&fw.go, memory_order_acquire)) {
		size_t i = fw.set[k % fw.nset];
		volatile char *p = (volatile char *)fz_addr(i) + (k * 64) % g.page;

		atomic_store(&fw.at[id], (long)i);
		atomic_fetch_add(&g.started[i], 1);
		*p = (char)k;
		atomic_fetch_add(&g.finished[i], 1);
		atomic_store(&fw.at[id], -1);
		if (++k % 64 == 0)
			sched_yield();  /* a loaded 2-CPU machine: leave room for the checker */
	}
}

static void *fz_writer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	unsigned long seen = 0;

	pthread_mutex_lock(&fw.lock);
	for (;;) {
		/* Each episode once: a writer that woke late for one waits for the next. */
		while (!fw.active || fw.gen == seen)
			pthread_cond_wait(&fw.cond, &fw.lock);
		seen = fw.gen;
		fw.running++;
		pthread_mutex_unlock(&fw.lock);
		fz_writer_loop(id);
		pthread_mutex_lock(&fw.lock);
		fw.running--;
		pthread_cond_broadcast(&fw.cond);
	}
	return NULL;
}

static void fz_writers_init(void)
{
	for (unsigned i = 0; i < FZ_WRITERS; i++)
		atomic_store(&fw.at[i], -1);
	for (unsigned i = 0; i < FZ_WRITERS; i++)
		if (pthread_create(&fw.th[i], NULL, fz_writer, (void *)(uintptr_t)i))
			tt_fail("pthread_create");
}

static bool fz_writers_active(void)
{
	return fw.nset != 0;
}

/* Start writing set[0..n) (pages the fuzzer keeps writable while it runs). */
static void fz_writers_start(const size_t *set, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		fw.set[j] = set[j];
		g.pg[set[j]].writer = 1;
	}
	fw.nset = n;
	pthread_mutex_lock(&fw.lock);
	atomic_store(&fw.go, true);
	fw.gen++;
	fw.active = true;
	pthread_cond_broadcast(&fw.cond);
	pthread_mutex_unlock(&fw.lock);
}

/* Stop, and wait until no writer is inside a store (a hang here is a lost wake-up). */
static void fz_writers_stop(void)
{
	if (!fz_writers_active())
		return;
	atomic_store(&fw.go, false);
	pthread_mutex_lock(&fw.lock);
	fw.active = false;
	while (fw.running)
		pthread_cond_wait(&fw.cond, &fw.lock);
	pthread_mutex_unlock(&fw.lock);
	for (size_t j = 0; j < fw.nset; j++)
		g.pg[fw.set[j]].writer = 0;
	fw.nset = 0;
}

#endif /* FUZZ_WRITERS_H */
