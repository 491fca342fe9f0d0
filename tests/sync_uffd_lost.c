/*
 * uffd-sync: the userfaultfd replaced behind the library's back (issue 8
 * item 2: the fault thread must never spin when poll()/read() keep failing).
 * dup2() of /dev/null over the tracker's userfaultfd releases it once the
 * fault thread's poll() lets go of it, which drops every protection: that
 * write and later ones cannot be seen.  The old thread then saw poll()
 * report input and read() return nothing, again and again, at full speed,
 * and ww_get() went on answering as if nothing was lost.  Now
 * the thread stops reading, every call over the ranges fails with -EIO, and
 * unwatch and close still work.  The CPU check cannot be passed by luck:
 * the fixed thread sleeps and uses no CPU at all.
 */
#include <limits.h>

#include "sync_util.h"

#define NPAGES 4

/* The descriptor of this process's (only) userfaultfd. */
static int find_uffd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int fd = -1;

	tt_check(d != NULL, "opendir /proc/self/fd: %s", strerror(errno));
	while (fd < 0 && (de = readdir(d))) {
		char path[PATH_MAX], target[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, "anon_inode:[userfaultfd]"))
			fd = atoi(de->d_name);
	}
	closedir(d);
	tt_check(fd >= 0, "no userfaultfd among this process's descriptors");
	return fd;
}

int main(void)
{
	struct ww_tracker *t = sync_open();
	char *mem = tt_map(NPAGES * TT_PAGE);
	struct timespec settle = { .tv_nsec = 500 * 1000 * 1000 };
	void *pages[NPAGES];
	unsigned long long ticks;
	double t0;
	pid_t tid;
	ssize_t n;
	int null_fd;

	sync_hang_guard(120);
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));
	mem[0] = 1;
	tid = sync_fault_thread_tid();
	tt_check(tid > 0, "no thread named ww-uffd-sync");
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	tt_check(null_fd >= 0, "open /dev/null: %s", strerror(errno));
	tt_check(dup2(null_fd, find_uffd()) >= 0, "dup2: %s", strerror(errno));
	close(null_fd);
	/*
	 * The thread's poll() still holds the old file, so the userfaultfd
	 * lives on until the thread next wakes: a write wakes it.  The write
	 * must return, and it is not seen, so no get may answer as if fine.
	 */
	mem[TT_PAGE] = 5;
	t0 = tt_now();
	while ((n = ww_get(t, mem, NPAGES * TT_PAGE, pages, NPAGES, 0)) >= 0) {
		tt_check(tt_now() - t0 < 60, "ww_get still answers %zd 60 s after the "
			 "userfaultfd was lost: writes are missed silently", n);
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	tt_ret(n, -EIO);
	tt_ret(ww_reset(t, mem, NPAGES * TT_PAGE), -EIO);

	ticks = sync_thread_ticks(tid);
	nanosleep(&settle, NULL);
	ticks = sync_thread_ticks(tid) - ticks;
	tt_check(ticks <= 2, "the fault thread used %llu clock ticks in 0.5 s: it spins", ticks);

	mem[2 * TT_PAGE] = 2;                   /* no protection is left */
	tt_ok(ww_unwatch(t, mem, NPAGES * TT_PAGE));
	ww_close(t);
	tt_check(mem[0] == 1 && mem[2 * TT_PAGE] == 2, "contents");
	munmap(mem, NPAGES * TT_PAGE);
	return 0;
}
