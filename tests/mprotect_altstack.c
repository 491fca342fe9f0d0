/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: the SIGSEGV handler runs on the thread's alternate
 * signal stack (SA_ONSTACK).  A thread's own stack is watched while it
 * runs; its writes to it fault, and the kernel could not push a signal
 * frame onto that (protected) stack: with an alternate stack the handler
 * runs there, the thread goes on, and its stack pages are reported.
 *
 * The top of the stack is left alone: glibc keeps the thread's descriptor
 * and TLS there, including its rseq area, which the kernel itself updates
 * on the way back to user mode; a protected rseq area kills the process
 * (a documented limit: never watch a thread's TLS on this backend).
 */
#include <pthread.h>
#include <signal.h>
#include "mprotect_tt.h"

#define STACK_SIZE (1024 * 1024)
#define ALT_SIZE (64 * 1024)
#define TOP_SKIP (64 * 1024)     /* descriptor, TLS and the first frames */

static pthread_barrier_t ready, watched;
static volatile unsigned long sum;

static void *worker(void *arg)
{
	stack_t ss = { .ss_sp = tt_map(ALT_SIZE), .ss_size = ALT_SIZE };
	volatile char buf[256 * 1024];
	size_t i;

	(void)arg;
	if (sigaltstack(&ss, NULL))
		return (void *)1;
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&watched); /* from here on, every stack write faults */
	for (i = 0; i < sizeof(buf); i += 512)
		buf[i] = (char)i;
	for (i = 0; i < sizeof(buf); i += 512)
		sum += (unsigned char)buf[i];
	return NULL;
}

int main(void)
{
	struct ww_tracker *t;
	pthread_attr_t attr;
	pthread_t th;
	char *stack;
	void *ret = (void *)2;
	ssize_t n;

	mt_require_mprotect();
	t = tt_open();
	stack = mt_map_isolated(STACK_SIZE);
	pthread_barrier_init(&ready, NULL, 2);
	pthread_barrier_init(&watched, NULL, 2);
	pthread_attr_init(&attr);
	tt_check(!pthread_attr_setstack(&attr, stack, STACK_SIZE), "pthread_attr_setstack");
	tt_check(!pthread_create(&th, &attr, worker, NULL), "pthread_create");
	pthread_barrier_wait(&ready);
	tt_ok(ww_watch(t, stack, STACK_SIZE - TOP_SKIP));
	pthread_barrier_wait(&watched);
	pthread_join(th, &ret);
	tt_check(ret == NULL, "worker failed (%p)", ret);
	{
		size_t max = STACK_SIZE / TT_PAGE;
		void **out = calloc(max, sizeof(*out));

		tt_check(out != NULL, "out of memory");
		n = ww_get(t, stack, STACK_SIZE - TOP_SKIP, out, max, 0);
		free(out);
	}
	tt_check(n >= 32, "%zd stack pages reported, the worker wrote at least 32", n);
	ww_close(t);
	return 0;
}
