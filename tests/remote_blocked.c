/* SPDX-License-Identifier: MIT */
/*
 * The thread that ww_open_pid() interrupts is blocked in a system call:
 * read(2) on an empty pipe, then nanosleep(2).  Each call completes as if
 * nothing had happened: read returns the bytes written later, nanosleep
 * returns 0 after at least its full time (it went on through
 * restart_syscall, not from the start and not with EINTR).  A target
 * stopped by SIGSTOP is tracked too and stays stopped until SIGCONT.
 */
#include <sys/syscall.h>
#include <time.h>

#include "remote_tt.h"

#define SLEEP_S 2

/* The system call pid's main thread is blocked in, from /proc/PID/syscall (-1: running). */
static long in_syscall(pid_t pid)
{
	char path[64], buf[64] = "";
	FILE *f;
	long nr = -2;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			nr = strncmp(buf, "running", 7) ? strtol(buf, NULL, 10) : -1;
		fclose(f);
	}
	return nr;
}

static void wait_in(pid_t pid, long nr1, long nr2)
{
	long nr;

	while ((nr = in_syscall(pid)) != nr1 && nr != nr2)
		usleep(1000);
}

struct report {
	long read_ret;
	char byte;
	long sleep_ret;
	int sleep_errno;
	double slept;
};

static void target(int data, int out)
{
	struct report r = { 0 };
	struct timespec req = { SLEEP_S, 0 }, a, b;

	r.read_ret = read(data, &r.byte, 1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	r.sleep_ret = nanosleep(&req, NULL);
	r.sleep_errno = errno;
	clock_gettime(CLOCK_MONOTONIC, &b);
	r.slept = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
	rt_write_all(out, &r, sizeof(r));
	_exit(0);
}

/* State letter of pid from /proc/PID/stat. */
static char state_of(pid_t pid)
{
	char path[64], buf[256] = "", *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : '?';
}

/*
 * The system call pid sleeps in once it is asleep again after our detach,
 * or -1 if it ran to its end first.  Right after the detach its wake-up may
 * still be in flight: /proc then shows the registers it stopped with (the
 * interrupted call's number) with the task not yet running, so only a
 * reading taken between two that say it sleeps ('S') counts.
 */
static long asleep_in(pid_t pid)
{
	double deadline = tt_now() + 60;

	while (tt_now() < deadline) {
		char before = state_of(pid);
		long nr = in_syscall(pid);

		if (before == 'S' && nr >= 0 && state_of(pid) == 'S')
			return nr;
		if (before == 'Z' || before == '?')
			return -1;
		usleep(200);
	}
	tt_fail("the target neither slept again nor ended in 60 s");
}

static void stopped_case(void)
{
	struct rt_child c;
	struct ww_tracker *t;
	size_t idx[4];

	rt_spawn(&c, 4);
	tt_ok(kill(c.pid, SIGSTOP));
	while (state_of(c.pid) != 'T')
		usleep(1000);
	t = rt_open(c.pid);
	tt_ok(ww_watch(t, c.base, 4 * TT_PAGE));
	tt_ret(rt_written(t, &c, idx, 0), 0);
	ww_close(t);
	/* Back in its group stop once we let go. */
	while (state_of(c.pid) != 'T')
		usleep(1000);
	tt_ok(kill(c.pid, SIGCONT));
	rt_cmd(&c, RT_WRITE, 1);
	tt_ret(rt_cmd(&c, RT_CHECK, 0), 0);
	rt_expect_clean_exit(&c);
}

int main(void)
{
	struct ww_tracker *t;
	struct report r;
	int data[2], out[2], st;
	pid_t pid;

	if (pipe(data) || pipe(out))
		tt_fail("pipe: %s", strerror(errno));
	pid = fork();
	if (!pid)
		target(data[0], out[1]);
	close(out[1]);

	wait_in(pid, SYS_read, SYS_read);
	t = rt_open(pid);
	ww_close(t);
	rt_write_all(data[1], "x", 1);

	/* nanosleep is clock_nanosleep in glibc; after our stop it runs as restart_syscall. */
	wait_in(pid, SYS_clock_nanosleep, SYS_nanosleep);
	t = rt_open(pid);
#ifdef SYS_restart_syscall
	/* Still asleep: the interrupted sleep went on through restart_syscall. */
	{
		long nr = asleep_in(pid);

		tt_check(nr == SYS_restart_syscall || nr == -1,
			 "after the injection the target sleeps in syscall %ld", nr);
	}
#endif
	ww_close(t);

	tt_check(!rt_read_all(out[0], &r, sizeof(r)), "target died");
	tt_check(r.read_ret == 1 && r.byte == 'x', "read returned %ld", r.read_ret);
	tt_check(r.sleep_ret == 0, "nanosleep returned %ld (%s)", r.sleep_ret,
		 strerror(r.sleep_errno));
	tt_check(r.slept >= SLEEP_S - 0.001, "slept %.3f s of %d", r.slept, SLEEP_S);
	tt_ret(waitpid(pid, &st, 0), pid);
	tt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "target status %#x", st);
	stopped_case();
	return 0;
}
