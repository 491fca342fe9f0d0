/* SPDX-License-Identifier: MIT */
/*
 * A measuring child killed by a signal is reported as killed by that signal.
 * bench runs a long measurement (10000 repetitions); the test SIGKILLs every
 * measuring child the tool forks, as the OOM killer would, until the tool
 * ends.  Every
 * row must then fail with "killed by signal 9 (SIGKILL)", never "timed out".
 * Nothing depends on timing: the test waits for each child to appear.
 */
#include <dirent.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>

#include "cli_util.h"

/*
 * A measuring child of the tool: named "ww-measure", or (as tools before
 * the name did) a forked "writewatch", with an address space of its own.
 * Nothing else: a sanitizer's helper must be left alone (LeakSanitizer's
 * tracer at exit shares the tool's address space, and the tool waits for
 * it forever when it is killed).
 */
static bool measuring_child(pid_t pid, pid_t tool, const char *stat)
{
	if (strstr(stat, " (ww-measure) "))
		return true;
	return strstr(stat, " (writewatch) ") &&
	       syscall(SYS_kcmp, pid, tool, KCMP_VM, 0, 0) > 0;
}

/* Kill every measuring child of ppid; returns how many. */
static int kill_children(pid_t ppid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		tt_fail("/proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		char path[64], buf[512], *close_paren;
		int pid = atoi(e->d_name), parent = 0;
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		/* "pid (comm) state ppid ...": comm may hold spaces and parentheses. */
		if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')) &&
		    sscanf(close_paren + 1, " %*c %d", &parent) == 1 && parent == ppid &&
		    measuring_child(pid, ppid, buf))
			n += !kill(pid, SIGKILL);
		fclose(f);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	const char *b = cli_backend();
	const char *args[] = { "bench", "--backends", b, "--measure", "first-write", "--pattern",
			       "dense", "--size", "64M", "--fraction", "1", "--reps", "10000",
			       "--no-nice", "-q", NULL };
	struct cli_proc p;
	struct cli_out r;
	int killed = 0;

	cli_find_tool(argc, argv);
	p = cli_start(120, NULL, args);
	while (cli_pump(&p, 10))
		killed += kill_children(p.pid);
	r = cli_wait(&p);
	if (r.status == 3)
		tt_skip("backend %s not available here: %s", b, r.err);
	tt_check(killed > 0, "no measuring child was seen (exit %d):\n%s\nstderr: %s", r.status,
		 r.out, r.err);
	tt_check(r.status == 1, "exit %d after its children were killed, want 1; stderr: %s",
		 r.status, r.err);
	tt_check(strstr(r.out, "killed by signal 9 (SIGKILL)"),
		 "the killed measurements are not reported as killed by SIGKILL:\n%s", r.out);
	tt_check(!strstr(r.out, "timed out"), "a killed measurement is reported as a timeout:\n%s",
		 r.out);
	cli_free(&r);
	return 0;
}
