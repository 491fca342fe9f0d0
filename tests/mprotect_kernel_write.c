/* SPDX-License-Identifier: MIT */
/*
 * mprotect backend: the kernel cannot write into a protected page (no
 * signal is raised for a write made inside a system call), so read(2) from
 * a pipe into a watched, reset buffer fails with EFAULT and consumes
 * nothing.  ww_prepare_write() on the buffer first makes the read succeed,
 * and reports the buffer's pages as written.
 */
#include "mprotect_tt.h"

#define NP 4

int main(void)
{
	struct ww_tracker *t;
	char data[2 * TT_PAGE], *buf;
	void *pages[NP];
	int fds[2];
	ssize_t n;
	size_t i;

	mt_require_mprotect();
	t = tt_open();
	buf = mt_map_isolated(NP * TT_PAGE);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 1);
	tt_check(pipe(fds) == 0, "pipe: %s", strerror(errno));
	tt_check(write(fds[1], data, sizeof(data)) == (ssize_t)sizeof(data), "write to pipe");

	tt_ok(ww_watch(t, buf, NP * TT_PAGE));
	buf[TT_PAGE] = 9;               /* a user write: page 1 is writable until the reset */
	tt_ok(ww_reset(t, buf, NP * TT_PAGE));

	/* Protected buffer: EFAULT, and the data stays in the pipe. */
	errno = 0;
	n = read(fds[0], buf, sizeof(data));
	tt_check(n == -1 && errno == EFAULT, "read into a protected buffer: %zd (%s), want EFAULT",
		 n, strerror(errno));
	tt_ret(ww_get(t, buf, NP * TT_PAGE, pages, NP, 0), 0);

	/* prepare_write: the read succeeds and the pages it wrote are reported. */
	tt_ok(ww_prepare_write(t, buf, 2 * TT_PAGE));
	n = read(fds[0], buf, sizeof(data));
	tt_check(n == (ssize_t)sizeof(data), "read after prepare_write: %zd (%s)", n,
		 strerror(errno));
	tt_check(!memcmp(buf, data, sizeof(data)), "read after prepare_write: wrong data");
	tt_ret(ww_get(t, buf, NP * TT_PAGE, pages, NP, WW_GET_RESET), 2);
	tt_check(pages[0] == buf && pages[1] == buf + TT_PAGE, "reported %p %p, want %p %p",
		 pages[0], pages[1], (void *)buf, (void *)(buf + TT_PAGE));

	/* The get+reset protected them again: the next read fails again. */
	tt_check(write(fds[1], data, TT_PAGE) == (ssize_t)TT_PAGE, "write to pipe");
	errno = 0;
	n = read(fds[0], buf + TT_PAGE, TT_PAGE);
	tt_check(n == -1 && errno == EFAULT, "read after get+reset: %zd (%s), want EFAULT", n,
		 strerror(errno));
	/* ... while a page the program wrote itself is writable until its next reset. */
	buf[2 * TT_PAGE] = 1;
	n = read(fds[0], buf + 2 * TT_PAGE, TT_PAGE);
	tt_check(n == (ssize_t)TT_PAGE, "read into a page written since the reset: %zd (%s)", n,
		 strerror(errno));
	tt_ret(ww_get(t, buf, NP * TT_PAGE, pages, NP, 0), 1);
	tt_check(pages[0] == buf + 2 * TT_PAGE, "reported %p", pages[0]);

	/* After unwatch the kernel writes freely. */
	tt_ok(ww_unwatch(t, buf, NP * TT_PAGE));
	tt_check(write(fds[1], data, TT_PAGE) == (ssize_t)TT_PAGE, "write to pipe");
	tt_check(read(fds[0], buf + 3 * TT_PAGE, TT_PAGE) == (ssize_t)TT_PAGE, "read after unwatch: %s",
		 strerror(errno));
	close(fds[0]);
	close(fds[1]);
	ww_close(t);
	return 0;
}
