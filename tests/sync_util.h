/* SPDX-License-Identifier: MIT */
/* Helpers shared by the uffd-sync backend tests (tests/sync_*.c). */
#ifndef SYNC_UTIL_H
#define SYNC_UTIL_H

#include <dirent.h>
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

/* Thread id of the backend's fault thread (named ww-uffd-sync), or -1. */
static inline pid_t sync_fault_thread_tid(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	pid_t tid = -1;

	tt_check(d != NULL, "opendir /proc/self/task: %s", strerror(errno));
	while (tid < 0 && (de = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "ww-uffd-sync\n"))
			tid = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return tid;
}

/* Clock ticks of CPU time thread tid has used (utime + stime). */
static inline unsigned long long sync_thread_ticks(pid_t tid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	tt_check(f && fgets(buf, sizeof(buf), f), "read %s: %s", path, strerror(errno));
	fclose(f);
	p = strrchr(buf, ')');          /* the name may hold spaces */
	tt_check(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			     &ut, &st) == 2, "parse %s", path);
	return ut + st;
}

#endif /* SYNC_UTIL_H */
