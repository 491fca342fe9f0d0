/* SPDX-License-Identifier: MIT */
/*
 * writewatch track against a workload that writes a known set of pages
 * into a mapping of its own (guarded on both sides, so no other memory
 * shares its VMA): the per-interval written_pages of that mapping add up to
 * exactly the set, its distinct count ends equal to it, and the --json
 * fields are there.  With -- CMD the tool exits with the command's status;
 * with PID it ends when the process does.  Against a process it may not
 * trace, it says why in one line.  `writewatch bench --measure remote`
 * runs and prints its table.
 *
 * The workload is this program, re-run with RT_WORKLOAD set: it waits until
 * its region is armed, writes the set, waits until the tool has collected
 * and re-armed those pages, and exits: no timing involved.  Armed means its
 * canary, the last page (one of the set), written before, shows the uffd-wp
 * bit: a hole can show the bit from registration alone, before the
 * protection comes, and write-protection runs up the range, so the last
 * page protected means all are.  The canary's first write may be reported
 * too (a page twice, never none), so the sum may be one above the set.
 */
#include <sys/stat.h>

#include "cli_util.h"

#define NPAGES 64
#define EXIT_STATUS 7

static const int set[] = { 0, 1, 2, 9, 17, 31, 32, 33, 40, 63 };
#define NSET ((int)(sizeof(set) / sizeof(set[0])))

/* Pages of [base, base+npages) of this process with the uffd-wp bit. */
static int own_wp(const char *base, const int *idx, int n)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), count = 0;

	for (int i = 0; fd >= 0 && i < n; i++) {
		uint64_t e = 0;
		uintptr_t page = (uintptr_t)base / TT_PAGE + (size_t)idx[i];

		if (pread(fd, &e, 8, (off_t)(page * 8)) == 8)
			count += e >> 57 & 1;
	}
	if (fd >= 0)
		close(fd);
	return count;
}

static int workload(void)
{
	int all[NPAGES];
	char *g = mmap(NULL, (NPAGES + 2) * TT_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *base = g + TT_PAGE;

	if (g == MAP_FAILED || mprotect(base, NPAGES * TT_PAGE, PROT_READ | PROT_WRITE))
		return 90;
	for (int i = 0; i < NPAGES; i++)
		all[i] = i;
	fprintf(stderr, "REGION %p\n", (void *)base);
	base[(size_t)(NPAGES - 1) * TT_PAGE] = 1;      /* the canary (in the set) */
	while (own_wp(base, all, NPAGES) < NPAGES)
		usleep(1000);           /* until the tool has watched it, canary and all */
	for (int i = 0; i < NSET; i++)
		base[(size_t)set[i] * TT_PAGE] = 1;
	while (own_wp(base, set, NSET) < NSET)
		usleep(1000);           /* until the tool has collected them */
	return EXIT_STATUS;
}

/* Sum of written_pages and the last distinct_pages of the mapping at region. */
static void check_json(const char *out, uintptr_t region)
{
	long sum = 0, distinct = -1, lines = 0;
	char want[32];

	snprintf(want, sizeof(want), "\"0x%lx\"", (unsigned long)region);
	for (const char *line = out; *line; line = strchr(line, '\n') + 1) {
		char *one = strndup(line, strcspn(line, "\n"));
		const char *maps, *p;

		tt_check(json_valid(one), "not JSON: %s", one);
		tt_check(json_get(one, "t") && json_get(one, "written_pages") &&
			 json_get(one, "distinct_pages") && (maps = json_get(one, "mappings")) &&
			 *maps == '[', "fields missing: %s", one);
		for (p = json_ws(maps + 1); *p == '{';) {
			const char *end = json_value(p, 0), *start = json_get(p, "start");

			tt_check(json_get(p, "name") && json_get(p, "end") && start &&
				 json_get(p, "written_pages"), "mapping fields missing: %s", one);
			if (!strncmp(start, want, strlen(want))) {
				sum += strtol(json_get(p, "written_pages"), NULL, 10);
				distinct = strtol(json_get(p, "distinct_pages"), NULL, 10);
				tt_check(!strncmp(json_get(p, "name"), "\"[anon]\"", 8), "name of the region");
			}
			p = json_ws(end);
			if (*p == ',')
				p = json_ws(p + 1);
		}
		free(one);
		lines++;
		if (!strchr(line, '\n'))
			break;
	}
	tt_check(lines >= 1, "no interval printed");
	tt_check(sum == NSET || sum == NSET + 1, "the region's written_pages add up to %ld, %d "
		 "written", sum, NSET);
	tt_check(distinct == NSET, "the region's distinct_pages is %ld, %d written", distinct, NSET);
}

static uintptr_t region_of(const char *err)
{
	const char *r = strstr(err, "REGION ");

	tt_check(r, "the workload did not start: %s", err);
	return (uintptr_t)strtoull(r + 7, NULL, 16);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("RT_WORKLOAD"))
		return workload();
	cli_find_tool(argc, argv);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	tt_check(n > 0, "readlink: %s", strerror(errno));
	self[n] = 0;
	setenv("RT_WORKLOAD", "1", 1);

	/* -- CMD: the command's status, the exact pages. */
	{
		const char *args[] = { "track", "--interval", "20", "--json", "--", self, NULL };
		struct cli_out r = cli_run(120, args);

		if (r.status == 3)
			tt_skip("this machine cannot track another process: %s", r.err);
		tt_check(r.status == EXIT_STATUS, "exit %d, want the command's %d: %s", r.status,
			 EXIT_STATUS, r.err);
		check_json(r.out, region_of(r.err));
		cli_free(&r);
	}
	/* PID: ends when the process does. */
	{
		int p[2], st;
		pid_t pid;
		char buf[128] = "", pidarg[16];

		if (pipe(p))
			tt_fail("pipe: %s", strerror(errno));
		pid = fork();
		if (!pid) {
			dup2(p[1], 2);
			execl(self, self, (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		for (size_t got = 0; !strchr(buf, '\n') && got < sizeof(buf) - 1;) {
			ssize_t k = read(p[0], buf + got, sizeof(buf) - 1 - got);

			tt_check(k > 0, "the workload did not start");
			got += (size_t)k;
		}
		snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
		const char *args[] = { "track", "--interval", "20", "--json", pidarg, NULL };
		struct cli_out r = cli_run(120, args);

		tt_check(r.status == 0, "track PID: exit %d: %s", r.status, r.err);
		check_json(r.out, region_of(buf));
		tt_ret(waitpid(pid, &st, 0), pid);
		tt_check(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_STATUS, "workload status %#x", st);
		cli_free(&r);
		close(p[0]);
	}
	unsetenv("RT_WORKLOAD");
	/* Someone else's process: one line saying why. */
	{
		struct stat sb;
		const char *args[] = { "track", "1", NULL };
		struct cli_how how = { .uid = 65534, .gid = 65534, .set_ids = geteuid() == 0 };

		if (!stat("/proc/1", &sb) && sb.st_uid != (how.set_ids ? 65534 : geteuid())) {
			struct cli_out r = cli_run_how(60, &how, args);

			tt_check(r.status == 1 && strstr(r.err, "no right to trace process 1") &&
				 cli_count_lines(r.err) == 1, "track 1: exit %d: %s", r.status, r.err);
			cli_free(&r);
		}
	}
	/* The benchmark of remote tracking runs and prints its table (no figure checked). */
	{
		const char *args[] = { "bench", "--measure", "remote", "--quick", "--reps", "1",
				       "--markdown", "--no-nice", NULL };
		struct cli_out r = cli_run(600, args);

		tt_check(r.status == 0 && strstr(r.out, "| first write to a tracked page") &&
			 strstr(r.out, "remote (ww_open_pid)") && strstr(r.out, "ww_open_pid"),
			 "bench --measure remote: exit %d: %s%s", r.status, r.out, r.err);
		cli_free(&r);
	}
	/* Usage errors. */
	{
		const char *a1[] = { "track", NULL }, *a2[] = { "track", "--", NULL },
			   *a3[] = { "track", "12", "--", "true", NULL },
			   *a4[] = { "track", "--interval", "0", "1", NULL };
		const char *const *all[] = { a1, a2, a3, a4 };

		for (int i = 0; i < 4; i++) {
			struct cli_out r = cli_run(60, all[i]);

			tt_check(r.status == 2, "usage case %d: exit %d", i, r.status);
			cli_free(&r);
		}
	}
	return 0;
}
