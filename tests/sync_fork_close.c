/*
 * uffd-sync: ww_close() of a tracker inherited over fork() leaves no
 * descriptor behind in the child (issue 8 follow-up: the fault thread's
 * wake-up eventfd stayed open until exit).  The tracker holds just its
 * userfaultfd, which the child's ww_close() closes; the child's copy of the
 * parent's thread does not exist, so nothing else could close anything.
 */
#include <sys/wait.h>

#include "sync_util.h"

/* Open descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	tt_check(d != NULL, "opendir /proc/self/fd: %s", strerror(errno));
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int main(void)
{
	int before = count_fds(), status;
	struct ww_tracker *t = sync_open();
	char *mem = tt_map(4 * TT_PAGE);
	pid_t pid;

	tt_ok(ww_watch(t, mem, 4 * TT_PAGE));
	mem[0] = 1;
	fflush(NULL);
	pid = fork();
	tt_check(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		ww_close(t);
		mem[TT_PAGE] = 2;               /* the child's memory is its own */
		if (count_fds() != before) {
			fprintf(stderr, "FAIL: %d descriptors open after ww_close in the child, "
				"%d before ww_open\n", count_fds(), before);
			_exit(1);
		}
		_exit(0);
	}
	tt_check(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	tt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed (status 0x%x)", status);
	mem[2 * TT_PAGE] = 3;                   /* the parent still tracks */
	tt_ret(ww_get(t, mem, 4 * TT_PAGE, (void *[4]){ 0 }, 4, 0), 2);
	ww_close(t);
	return 0;
}
