/*
 * An unprivileged caller (vm.unprivileged_userfaultfd=0, no capabilities)
 * gets a working tracker on the backend under test.  As root, the test
 * re-runs itself as nobody through setpriv; it skips without root or setpriv.
 * On uffd-async, kernel writes are still recorded with a user-mode-only
 * userfaultfd (async faults never reach the userfaultfd handler).
 */
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "tt.h"

static int child(void)
{
	struct ww_tracker *t;
	char *mem = tt_map(16 * TT_PAGE);
	void *pages[16];
	int p[2];

	tt_check(geteuid() != 0, "still root");
	t = tt_open();
	tt_ok(ww_watch(t, mem, 16 * TT_PAGE));
	mem[4 * TT_PAGE] = 1;
	tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, WW_GET_RESET), 1);
	tt_check(pages[0] == mem + 4 * TT_PAGE, "page 4");
	if (!strcmp(ww_backend_name(t), "uffd-async")) {
		tt_check(pipe(p) == 0 && write(p[1], "abc", 3) == 3, "pipe");
		tt_ret(read(p[0], mem + 9 * TT_PAGE, 3), 3);
		tt_ret(ww_get(t, mem, 16 * TT_PAGE, pages, 16, 0), 1);
		tt_check(pages[0] == mem + 9 * TT_PAGE, "kernel write to page 9");
	}
	ww_close(t);
	mem[0] = 1;
	return 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/ww-unpriv-XXXXXX", copy[256], cmd[600];
	int status;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
	if (geteuid() != 0)
		return child();         /* already unprivileged: test directly */
	if (access("/usr/bin/setpriv", X_OK))
		tt_skip("setpriv (util-linux) not installed");
	/* nobody must be able to reach the binary: copy it to a fresh 0755 directory. */
	tt_check(mkdtemp(dir) && chmod(dir, 0755) == 0, "mkdtemp");
	snprintf(copy, sizeof(copy), "%s/core_unprivileged", dir);
	snprintf(cmd, sizeof(cmd), "cp /proc/%d/exe %s && chmod 755 %s", (int)getpid(), copy, copy);
	tt_check(system(cmd) == 0, "copy test binary");
	pid = fork();
	tt_check(pid >= 0, "fork");
	if (!pid) {
		execl("/usr/bin/setpriv", "setpriv", "--reuid=nobody", "--regid=nogroup",
		      "--clear-groups", copy, "--child", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	unlink(copy);
	rmdir(dir);
	if (WIFEXITED(status) && WEXITSTATUS(status) == TT_SKIP_CODE)
		return TT_SKIP_CODE;
	tt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "unprivileged run failed (status 0x%x)", status);
	return 0;
}
