/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: the last error is per thread, as on Windows: SetLastError
 * and a failing call in one thread do not change another thread's value,
 * and a new thread starts at 0.
 */
#include <pthread.h>

#include "win32_tt.h"

static pthread_barrier_t bar;

static void *thread_main(void *arg)
{
	void *res[4];
	ULONG_PTR count = 4;

	tt_check(GetLastError() == 0, "a new thread starts with last error %u",
		 (unsigned)GetLastError());
	SetLastError(777);
	pthread_barrier_wait(&bar);     /* main sets its own value and fails a call */
	pthread_barrier_wait(&bar);
	tt_check(GetLastError() == 777, "thread's last error changed to %u by main",
		 (unsigned)GetLastError());
	/* Fail in this thread with a different error. */
	tt_check(GetWriteWatch(0, arg, 16 * TT_PAGE, res, &count, NULL) == ~0u, "must fail");
	tt_check(GetLastError() == ERROR_NOACCESS, "thread error %u", (unsigned)GetLastError());
	pthread_barrier_wait(&bar);
	return NULL;
}

int main(void)
{
	char *base = wt_alloc(NULL, 16 * TT_PAGE, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
			      PAGE_READWRITE);
	pthread_t th;

	pthread_barrier_init(&bar, NULL, 2);
	SetLastError(5);
	tt_check(!pthread_create(&th, NULL, thread_main, base), "pthread_create");
	pthread_barrier_wait(&bar);
	tt_check(GetLastError() == 5, "main's last error changed to %u", (unsigned)GetLastError());
	wt_fails(ResetWriteWatch(base, 0), ~0u, ERROR_INVALID_PARAMETER);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	tt_check(GetLastError() == ERROR_INVALID_PARAMETER, "main's last error changed to %u",
		 (unsigned)GetLastError());
	pthread_join(th, NULL);
	SetLastError(ERROR_SUCCESS);
	tt_check(GetLastError() == 0, "SetLastError(0)");
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
