/* SPDX-License-Identifier: MIT */
/*
 * The measuring child: fork, run, send the result back through a pipe, and
 * say what happened when no result came (a signal, the timeout, an exit).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"

/* Read (out false) or write all len bytes, retrying on EINTR; the bytes moved. */
static size_t move_full(int fd, void *buf, size_t len, bool out)
{
	size_t at = 0;

	while (at < len) {
		ssize_t n = out ? write(fd, (char *)buf + at, len - at) :
			    read(fd, (char *)buf + at, len - at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		at += (size_t)n;
	}
	return at;
}

/*
 * Why the child gave no result.  Its timeout is an alarm() in the child, so
 * SIGALRM (and only SIGALRM) means it ran out of time; any other signal came
 * from elsewhere (SIGKILL: the OOM killer, or a person) or from a crash.
 */
static int child_reason(int status, int timeout_s, char *why, size_t whylen)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig == SIGALRM && timeout_s > 0) {
			snprintf(why, whylen, "timed out after %d s", timeout_s);
			return -ETIMEDOUT;
		}
		snprintf(why, whylen, "killed by signal %d (SIG%s)", sig,
			 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		return -EINTR;
	}
	snprintf(why, whylen, "measuring child exited with status %d without a result",
		 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -EIO;
}

int wb_child_run(wb_child_fn fn, void *arg, void *out, size_t len, int timeout_s,
		 char *why, size_t whylen)
{
	int fds[2], status;
	size_t got;
	pid_t pid;

	if (getenv("WB_NOFORK")) {
		fn(arg, out);
		return 0;
	}
	if (pipe(fds)) {
		int err = -errno;

		snprintf(why, whylen, "pipe: %s", wb_errname(err));
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		snprintf(why, whylen, "fork: %s", wb_errname(err));
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (!pid) {
		/* Named, so that ps shows (and a person can kill) a measurement. */
		prctl(PR_SET_NAME, "ww-measure");
		close(fds[0]);
		if (timeout_s > 0)
			alarm((unsigned)timeout_s);
		fn(arg, out);
		fflush(NULL);
		_exit(move_full(fds[1], out, len, true) == len ? 0 : 1);
	}
	close(fds[1]);
	got = move_full(fds[0], out, len, false);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == len)
		return 0;
	return child_reason(status, timeout_s, why, whylen);
}
