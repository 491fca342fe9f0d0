/*
 * uffd-sync: a reset is not undone by a stale fault message (issue 8 item 9).
 *
 * N threads store to one protected page P at once.  Each queues a fault
 * message; the fault thread may read several in one batch, and resolving
 * the first wakes every writer.  The main thread then resets, and the later
 * messages of that batch must not unprotect P again and mark it written.
 *
 * Each round: the writers store to P and finish; get+reset must report P;
 * then the main thread writes the sentinel page Q, whose fault the thread
 * can only resolve after every message read before it, so any stale message
 * has been handled by the time the write returns; a get must then report
 * exactly Q.  The pass/fail check does not depend on the scheduler.  To make
 * the old race likely (not to pass), the fault thread runs at SCHED_IDLE on
 * the main thread's CPU, and the writers on the other CPUs; on a loaded
 * machine that starves the fault thread and rounds get slow, so the test
 * runs until it has done MIN_ROUNDS rounds of which WANT_DUP_ROUNDS had
 * several messages for P in one batch (ww_uffd_sync_debug_dups), or for
 * BOUND_S seconds, and says how many it did; with no such round it skips,
 * having not exercised the case.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "sync_util.h"
#include "../src/uffd_sync_debug.h"

#define NWRITERS 4
#define MIN_ROUNDS 10000
#define WANT_DUP_ROUNDS 2000
#define BOUND_S 60.0

static char *mem;
static pthread_barrier_t start_bar, end_bar;
static atomic_bool stop;

static void *writer(void *arg)
{
	size_t slot = (size_t)(uintptr_t)arg;

	for (;;) {
		pthread_barrier_wait(&start_bar);
		if (atomic_load(&stop))
			return NULL;
		mem[slot * 64] = 1;
		pthread_barrier_wait(&end_bar);
	}
}

/* Fault thread at idle priority on CPU 0 with the main thread; writers elsewhere. */
static void make_race_likely(cpu_set_t *writers_cpus)
{
	struct sched_param idle = { 0 };
	pid_t tid = sync_fault_thread_tid();
	cpu_set_t cpu0;
	int cpu;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	CPU_ZERO(writers_cpus);
	for (cpu = 1; cpu < CPU_SETSIZE && cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++)
		CPU_SET(cpu, writers_cpus);
	if (!CPU_COUNT(writers_cpus))
		CPU_SET(0, writers_cpus);
	tt_check(tid > 0, "no thread named ww-uffd-sync");
	/* Best effort: these only make the old race likely. */
	if (sched_setscheduler(tid, SCHED_IDLE, &idle))
		fprintf(stderr, "note: SCHED_IDLE for the fault thread: %s\n", strerror(errno));
	if (sched_setaffinity(tid, sizeof(cpu0), &cpu0) || sched_setaffinity(0, sizeof(cpu0), &cpu0))
		fprintf(stderr, "note: CPU affinity: %s\n", strerror(errno));
}

/* One round; returns true when several messages for P came in one batch. */
static bool round_once(struct ww_tracker *t, unsigned long r)
{
	unsigned long dups = atomic_load(&ww_uffd_sync_debug_dups);
	void *pages[2];
	ssize_t n;

	pthread_barrier_wait(&start_bar);
	pthread_barrier_wait(&end_bar);         /* every writer has stored to P */
	tt_ret(ww_get(t, mem, 2 * TT_PAGE, pages, 2, WW_GET_RESET), 1);
	tt_check(pages[0] == mem, "round %lu: get+reset did not report P", r);
	mem[TT_PAGE] = 1;                       /* Q: its fault follows every earlier message */
	n = ww_get(t, mem, 2 * TT_PAGE, pages, 2, 0);
	tt_check(n >= 0, "round %lu: ww_get: %s", r, strerror((int)-n));
	tt_check(n == 1 && pages[0] == mem + TT_PAGE,
		 "round %lu: P reported after a reset with nothing written since (%zd pages)", r, n);
	tt_ok(ww_reset(t, mem, 2 * TT_PAGE));
	return atomic_load(&ww_uffd_sync_debug_dups) != dups;
}

int main(void)
{
	struct ww_tracker *t = sync_open();
	pthread_t th[NWRITERS];
	unsigned long rounds = 0, dup_rounds = 0;
	cpu_set_t wcpus;
	double t0 = tt_now();
	size_t i;

	sync_hang_guard(150);          /* the bound, a slow last round, under run.sh's 180 s */
	mem = tt_map(2 * TT_PAGE);
	tt_ok(ww_watch(t, mem, 2 * TT_PAGE));
	make_race_likely(&wcpus);
	pthread_barrier_init(&start_bar, NULL, NWRITERS + 1);
	pthread_barrier_init(&end_bar, NULL, NWRITERS + 1);
	for (i = 0; i < NWRITERS; i++) {
		tt_check(!pthread_create(&th[i], NULL, writer, (void *)(uintptr_t)i), "pthread_create");
		pthread_setaffinity_np(th[i], sizeof(wcpus), &wcpus);
	}
	while ((rounds < MIN_ROUNDS || dup_rounds < WANT_DUP_ROUNDS) && tt_now() - t0 < BOUND_S)
		dup_rounds += round_once(t, rounds++);
	atomic_store(&stop, true);
	pthread_barrier_wait(&start_bar);
	for (i = 0; i < NWRITERS; i++)
		pthread_join(th[i], NULL);
	ww_close(t);
	fprintf(stderr, "%lu rounds, %lu with several fault messages for P in one batch, %.1f s\n",
		rounds, dup_rounds, tt_now() - t0);
	if (!dup_rounds)
		tt_skip("no round queued several fault messages for one page in %.0f s "
			"(needs several CPUs or a preemptible fault thread)", BOUND_S);
	return 0;
}
