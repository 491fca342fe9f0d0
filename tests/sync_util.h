/* SPDX-License-Identifier: MIT */
/* Helpers shared by the uffd-sync backend tests (tests/sync_*.c). */
#ifndef SYNC_UTIL_H
#define SYNC_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tt.h"

/* These tests concern the uffd-sync backend only. */
static inline struct ww_tracker *sync_open(void)
{
	if (!tt_backend_is("uffd-sync"))
		tt_skip("uffd-sync backend test (backend under test: %s)", tt_backend());
	return tt_open();
}

/* Pages of [addr, addr + npages pages) whose pte (or marker) carries the uffd-wp bit. */
static inline size_t sync_wp_pages(const void *addr, size_t npages)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t i, n = 0;

	if (fd < 0)
		tt_fail("open /proc/self/pagemap: %s", strerror(errno));
	for (i = 0; i < npages; i++) {
		uint64_t e;
		off_t off = (off_t)(((uintptr_t)addr / TT_PAGE + i) * sizeof(e));

		if (pread(fd, &e, sizeof(e), off) != sizeof(e))
			tt_fail("read /proc/self/pagemap: %s", strerror(errno));
		n += (e >> 57) & 1;
	}
	close(fd);
	return n;
}

static inline void sync_hung(int sig)
{
	static const char msg[] = "FAIL: hang guard fired (a write-protect fault never resolved?)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	exit(1);                /* not _exit: atexit handlers restore system settings */
}

/* A write-protect fault that is never resolved hangs: fail instead of waiting for run.sh. */
static inline void sync_hang_guard(unsigned int seconds)
{
	signal(SIGALRM, sync_hung);
	alarm(seconds);
}

#endif /* SYNC_UTIL_H */
