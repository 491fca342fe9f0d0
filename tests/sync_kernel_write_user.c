/*
 * uffd-sync for an unprivileged caller (vm.unprivileged_userfaultfd=0, no
 * /dev/userfaultfd access): the backend falls back to a UFFD_USER_MODE_ONLY
 * userfaultfd, so a write the kernel makes into a protected page fails with
 * EFAULT (documented); user writes are tracked as usual, and
 * ww_prepare_write() makes a buffer writable by the kernel.
 *
 * As root the program copies itself into a fresh 0755 directory and runs the
 * copy as nobody through setpriv(1) with --child.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include "sync_util.h"

#define NPAGES 4

static int child(void)
{
	struct ww_tracker *t = tt_open();
	struct ww_probe p = { .size = sizeof(p) };
	unsigned char truth[NPAGES] = { 0 };
	char *mem = tt_map(NPAGES * TT_PAGE);
	char data[2 * TT_PAGE];
	int fds[2];

	tt_ok(ww_probe(&p));
	if (!p.uffd_user_mode_only)
		tt_skip("uid %d gets a full userfaultfd here (vm.unprivileged_userfaultfd=1?)",
			(int)getuid());
	memset(data, 'k', sizeof(data));
	tt_check(!pipe(fds), "pipe: %s", strerror(errno));
	mem[0] = 1;
	tt_ok(ww_watch(t, mem, NPAGES * TT_PAGE));

	/* A kernel write into protected memory: EFAULT, nothing written or reported. */
	tt_check(write(fds[1], data, sizeof(data)) == (ssize_t)sizeof(data), "pipe write");
	errno = 0;
	tt_check(read(fds[0], mem + 10, sizeof(data)) == -1 && errno == EFAULT,
		 "read(2) into protected memory: want EFAULT, got %s", strerror(errno));
	tt_check(mem[10] == 0 && mem[0] == 1, "a failed read(2) changed memory");
	tt_expect_written(t, mem, NPAGES, truth, "after the failed read(2)");

	/* User writes still go through the fault thread. */
	mem[3 * TT_PAGE] = 1;
	truth[3] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "user write");

	/* prepare_write: the same read succeeds, and the buffer reads as written. */
	tt_ok(ww_prepare_write(t, mem, 3 * TT_PAGE));
	tt_check(read(fds[0], mem + 10, sizeof(data)) == (ssize_t)sizeof(data),
		 "read(2) after prepare_write: %s", strerror(errno));
	tt_check(!memcmp(mem + 10, data, sizeof(data)), "read(2) data");
	truth[0] = truth[1] = truth[2] = 1;
	tt_expect_written(t, mem, NPAGES, truth, "after prepare_write + read(2)");

	/* A reset re-protects: kernel writes fail again. */
	tt_ok(ww_reset(t, mem, NPAGES * TT_PAGE));
	tt_check(write(fds[1], data, 1) == 1, "pipe write");
	errno = 0;
	tt_check(read(fds[0], mem + TT_PAGE, 1) == -1 && errno == EFAULT,
		 "read(2) after reset: want EFAULT, got %s", strerror(errno));
	ww_close(t);
	return 0;
}

static const char *find_setpriv(void)
{
	static const char *const paths[] = { "/usr/bin/setpriv", "/bin/setpriv",
					      "/usr/sbin/setpriv", "/sbin/setpriv" };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	tt_check(in >= 0, "open %s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	tt_check(out >= 0, "create %s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		tt_check(write(out, buf, (size_t)n) == n, "write %s: %s", to, strerror(errno));
	tt_check(n == 0, "read %s: %s", from, strerror(errno));
	close(in);
	tt_check(!close(out), "close %s", to);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/ww-sync-user-XXXXXX", copy[64];
	const char *setpriv;
	int status;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();
	ww_close(sync_open());                  /* skips unless uffd-sync is usable */
	if (geteuid())
		return child();                 /* already unprivileged */
	setpriv = find_setpriv();
	if (!setpriv)
		tt_skip("setpriv(1) not installed: cannot run the test as nobody");
	tt_check(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
	tt_check(!chmod(dir, 0755), "chmod: %s", strerror(errno));
	snprintf(copy, sizeof(copy), "%s/sync_kernel_write_user", dir);
	copy_file("/proc/self/exe", copy);
	fflush(NULL);
	pid = fork();
	tt_check(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		execl(setpriv, "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
		      copy, "--child", (char *)NULL);
		fprintf(stderr, "FAIL: exec %s: %s\n", setpriv, strerror(errno));
		_exit(1);
	}
	tt_check(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	unlink(copy);
	rmdir(dir);
	tt_check(WIFEXITED(status), "child as nobody died (status 0x%x)", status);
	if (WEXITSTATUS(status) == TT_SKIP_CODE)
		tt_skip("the child running as nobody skipped (reason above)");
	tt_check(WEXITSTATUS(status) == 0, "child as nobody failed (exit %d)", WEXITSTATUS(status));
	return 0;
}
