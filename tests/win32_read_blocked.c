/* SPDX-License-Identifier: MIT */
/*
 * Win32 layer: a read(2) already blocked on an empty pipe when its buffer is
 * reset.  Windows completes such a read (a pending ReadFile) and reports the
 * page it wrote.  Here:
 *
 * - uffd-async, and uffd-sync with a full userfaultfd: the same.
 * - mprotect, and uffd-sync with a user-mode-only userfaultfd (as nobody):
 *   the reset re-protects the buffer under the sleeping read, so when the
 *   data arrives the kernel cannot write it and read(2) fails with EFAULT;
 *   nothing is written or reported (documented in writewatch_win32(3):
 *   call ww_win32_prepare_io() again after a reset, before the read).
 *
 * The buffer is prepared first (ww_win32_prepare_io), so the read is
 * possible on every backend until the reset.  The reset happens only once
 * /proc says the reader sleeps inside read(2), so nothing depends on timing.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "win32_tt.h"

#define NP 4

static char *base;
static int fds[2];
static atomic_int reader_tid;
static ssize_t reader_ret;
static int reader_errno;

static void *reader(void *arg)
{
	atomic_store(&reader_tid, (int)gettid());
	reader_ret = read(fds[0], base + WPG / 2, WPG);
	reader_errno = errno;
	return NULL;
}

/* 1 once thread tid sleeps in read(2); skips if /proc cannot tell. */
static int sleeps_in_read(int tid)
{
	char path[64], buf[64] = "";
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		tt_skip("%s: %s: cannot tell when the reader sleeps", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	/* "running" while on a CPU; the syscall number while it sleeps in one. */
	return sscanf(buf, "%ld", &nr) == 1 && nr == SYS_read;
}

static int kernel_writes_fail(void)
{
	struct ww_probe p = { .size = sizeof(p) };

	if (!strcmp(ww_win32_backend(), "mprotect"))
		return 1;
	tt_check(!ww_probe(&p), "ww_probe");
	return !strcmp(ww_win32_backend(), "uffd-sync") && p.uffd_user_mode_only;
}

int main(void)
{
	const SIZE_T size = NP * WPG;
	char data[64];
	pthread_t th;
	double deadline;
	int refused;

	base = wt_alloc(NULL, size, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
	refused = kernel_writes_fail();
	tt_check(!pipe(fds), "pipe: %s", strerror(errno));
	tt_check(ww_win32_prepare_io(base, 2 * WPG), "prepare_io: %u", (unsigned)GetLastError());
	wt_expect_pages(0, base, size, "prepared", 0, 1);
	tt_check(!pthread_create(&th, NULL, reader, NULL), "pthread_create");

	deadline = tt_now() + 60;
	while (!atomic_load(&reader_tid) || !sleeps_in_read(atomic_load(&reader_tid))) {
		tt_check(tt_now() < deadline, "the reader never slept in read(2)");
		sched_yield();
	}
	wt_expect_pages(WRITE_WATCH_FLAG_RESET, base, size, "reset under the read", 0, 1);

	memset(data, 'r', sizeof(data));
	tt_check(write(fds[1], data, sizeof(data)) == (ssize_t)sizeof(data), "pipe write");
	tt_check(!pthread_join(th, NULL), "pthread_join");
	if (refused) {
		tt_check(reader_ret == -1 && reader_errno == EFAULT,
			 "%s: the blocked read returned %zd (%s), want EFAULT", ww_win32_backend(),
			 reader_ret, reader_ret < 0 ? strerror(reader_errno) : "ok");
		tt_check(base[WPG / 2] == 0, "a failed read changed memory");
		wt_expect_none(0, base, size, "nothing written");
	} else {
		tt_check(reader_ret == (ssize_t)sizeof(data), "the blocked read returned %zd (%s)",
			 reader_ret, reader_ret < 0 ? strerror(reader_errno) : "short");
		tt_check(!memcmp(base + WPG / 2, data, sizeof(data)), "data not read");
		wt_expect_pages(0, base, size, "the page the read wrote", 0);
	}
	close(fds[0]);
	close(fds[1]);
	VirtualFree(base, 0, MEM_RELEASE);
	return 0;
}
