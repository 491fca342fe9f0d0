/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the remote_* tests: a child process (the target) that maps a
 * region and writes pages of it when told to over a pipe, and a tracker of
 * it opened from the parent.  The target never links a tracker of its own:
 * everything the parent sees comes through ww_open_pid().
 */
#ifndef REMOTE_TT_H
#define REMOTE_TT_H

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "tt.h"

enum { RT_WRITE = 1, RT_CHECK, RT_EXIT, RT_MUNMAP, RT_EXEC };

struct rt_msg {
	int op;
	long arg;
};

struct rt_child {
	pid_t pid;
	int to, from;           /* command pipe, answer pipe */
	char *base;             /* the region, in the child's address space */
	size_t npages;
};

static inline void rt_write_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(3);
}

static inline int rt_read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/*
 * The target's loop: write page arg (RT_WRITE, one byte per write so the
 * counts can be checked), check that every page holds what it wrote
 * (RT_CHECK: answers the number of bad pages), exit with status arg.
 */
static inline void rt_child_loop(char *mem, size_t npages, int in, int out)
{
	unsigned char *count = calloc(npages, 1);
	struct rt_msg m;

	while (!rt_read_all(in, &m, sizeof(m))) {
		long res = 0;

		if (m.op == RT_WRITE && m.arg >= 0 && (size_t)m.arg < npages) {
			count[m.arg]++;
			mem[(size_t)m.arg * TT_PAGE + 17] = (char)count[m.arg];
		} else if (m.op == RT_CHECK) {
			for (size_t i = 0; i < npages; i++)
				res += mem[i * TT_PAGE + 17] != (char)count[i];
		} else if (m.op == RT_MUNMAP) {
			res = munmap(mem, npages * TT_PAGE) ? -errno : 0;
		} else if (m.op == RT_EXIT) {
			_exit((int)m.arg);
		} else if (m.op == RT_EXEC) {
			/* Answer first: exec does not return to answer after. */
			rt_write_all(out, &res, sizeof(res));
			execl("/bin/sleep", "sleep", "60", (char *)NULL);
			_exit(5);
		}
		rt_write_all(out, &res, sizeof(res));
	}
	_exit(2);
}

/* Run in the target before its loop (with its region mapped); nonzero: exit with it. */
typedef int (*rt_setup_fn)(char *mem, size_t npages);

/* Start a target with a region of npages private anonymous pages. */
static inline void rt_spawn_setup(struct rt_child *c, size_t npages, rt_setup_fn setup)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		tt_fail("pipe: %s", strerror(errno));
	c->npages = npages;
	c->pid = fork();
	if (c->pid < 0)
		tt_fail("fork: %s", strerror(errno));
	if (!c->pid) {
		char *mem = mmap(NULL, npages * TT_PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int err;

		if (mem == MAP_FAILED)
			_exit(4);
		close(to[1]);
		close(from[0]);
		/* Last before the loop: a seccomp filter may forbid what came before. */
		err = setup ? setup(mem, npages) : 0;
		if (err)
			_exit(err);
		rt_write_all(from[1], &mem, sizeof(mem));
		rt_child_loop(mem, npages, to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	c->to = to[1];
	c->from = from[0];
	if (rt_read_all(c->from, &c->base, sizeof(c->base))) {
		int st = 0;

		waitpid(c->pid, &st, 0);
		tt_fail("target did not start (status %#x)", st);
	}
}

static inline void rt_spawn(struct rt_child *c, size_t npages)
{
	rt_spawn_setup(c, npages, NULL);
}

/* Send one command and wait for its answer. */
static inline long rt_cmd(struct rt_child *c, int op, long arg)
{
	struct rt_msg m = { .op = op, .arg = arg };
	long res;

	rt_write_all(c->to, &m, sizeof(m));
	if (rt_read_all(c->from, &res, sizeof(res)))
		tt_fail("target %d stopped answering (op %d)", (int)c->pid, op);
	return res;
}

/* Tell the target to exit with status 0 and return how it ended (waitpid status). */
static inline int rt_finish(struct rt_child *c)
{
	struct rt_msg m = { .op = RT_EXIT, .arg = 0 };
	int st;

	rt_write_all(c->to, &m, sizeof(m));
	while (waitpid(c->pid, &st, 0) < 0)
		if (errno != EINTR)
			tt_fail("waitpid: %s", strerror(errno));
	close(c->to);
	close(c->from);
	return st;
}

static inline void rt_expect_clean_exit(struct rt_child *c)
{
	int st = rt_finish(c);

	tt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "target ended with status %#x", st);
}

/* A tracker of process pid; skips where this machine cannot track another process. */
static inline struct ww_tracker *rt_open(pid_t pid)
{
	struct ww_tracker *t = NULL;
	int ret = ww_open_pid(&t, pid, WW_BACKEND_AUTO, 0);

	if (ret == -EOPNOTSUPP)
		tt_skip("uffd-async (needed to track another process) is not available here");
	if (ret == -EPERM && getuid() == geteuid())
		tt_skip("ptrace of an own child is not permitted here (Yama or a seccomp filter)");
	if (ret)
		tt_fail("ww_open_pid(%d): %s", (int)pid, strerror(-ret));
	return t;
}

/* Written pages of the target's region (no reset), as a count; idx[] gets their indexes. */
static inline ssize_t rt_written(struct ww_tracker *t, struct rt_child *c, size_t *idx,
				 unsigned flags)
{
	void **pages = calloc(c->npages, sizeof(void *));
	ssize_t n = ww_get(t, c->base, c->npages * TT_PAGE, pages, c->npages, flags);

	for (ssize_t i = 0; i < n; i++)
		idx[i] = (size_t)((char *)pages[i] - c->base) / TT_PAGE;
	free(pages);
	return n;
}

/* Descriptors of process pid that are userfaultfds (from /proc/PID/fd). */
static inline int rt_uffd_fds(pid_t pid)
{
	char path[64], link[128];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = 0;
		n += strstr(link, "userfaultfd") != NULL;
	}
	return n;
}

/* Open descriptors of this process. */
static inline int rt_own_fds(void)
{
	char path[64];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* Pages of [base, base+npages) in pid whose pagemap entry has the uffd-wp bit (57). */
static inline long rt_wp_pages(pid_t pid, const char *base, size_t npages)
{
	char path[64];
	uint64_t *e = calloc(npages, sizeof(*e));
	long n = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, e, npages * 8, (off_t)((uintptr_t)base / TT_PAGE * 8)) !=
			      (ssize_t)(npages * 8))
		tt_fail("pagemap of %d: %s", (int)pid, strerror(errno));
	close(fd);
	for (size_t i = 0; i < npages; i++)
		n += e[i] >> 57 & 1;
	free(e);
	return n;
}

/* Does the VMA of pid holding addr carry VmFlag "uw" (registered for uffd write-protect)? */
static inline int rt_vma_uffd_wp(pid_t pid, const char *addr)
{
	char path[64], line[512];
	int inside = 0, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		tt_fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (inside && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, " uw") != NULL;
	}
	fclose(f);
	return found;
}

/* First line of /proc/PID/comm into buf ("" if it cannot be read). */
static inline void rt_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = 0;
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

#endif /* REMOTE_TT_H */
