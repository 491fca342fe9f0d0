/* SPDX-License-Identifier: MIT */
/*
 * writewatch pages PID --json on a child holding the known layout of
 * pagemap_layout.h gives the exact page counts per mapping: present, zero,
 * file and guard pages, the three pages of a 1 TiB sparse reservation, and
 * in a range the child tracks with the backend under test, "tracked" and
 * exactly the pages written (uffd-async) or written: null (the other
 * backends do not arm async write-protect).  The table form has a row per
 * mapping and a total; "pages self" works; a bad PID is a usage error, a
 * missing process a failure.
 */
#include "cli_util.h"
#include "pagemap_layout.h"

#define TRACK_PAGES 16
#define TRACK_WRITTEN 5

struct addrs {
	uint64_t anon, file, sparse, track;
	int guards, tracked;
};

/* The child: build the layout, track a range, say where, wait to be killed. */
static void child(int wfd)
{
	struct pl_layout l;
	struct addrs a;
	struct ww_tracker *t = NULL;
	size_t pg = TT_PAGE, i;
	char *m;

	pl_build(&l);
	m = pl_map_alone(TRACK_PAGES * pg, 0);
	tt_check(m, "mmap: %s", strerror(errno));
	madvise(m, TRACK_PAGES * pg, MADV_NOHUGEPAGE);
	memset(m, 1, TRACK_PAGES * pg);
	a.tracked = ww_open(&t, WW_BACKEND_AUTO, 0) == 0 && ww_watch(t, m, TRACK_PAGES * pg) == 0 &&
		    ww_backend_id(t) == WW_BACKEND_UFFD_ASYNC;
	for (i = 0; i < TRACK_WRITTEN; i++)
		m[i * 2 * pg] = 2;
	a.anon = (uintptr_t)l.anon;
	a.file = (uintptr_t)l.file;
	a.sparse = (uintptr_t)l.sparse;
	a.track = (uintptr_t)m;
	a.guards = l.guards;
	if (write(wfd, &a, sizeof(a)) != sizeof(a))
		_exit(1);
	for (;;)
		pause();
}

/* The mapping object in the "mappings" array that starts at addr. */
static const char *find_map(const char *out, uint64_t addr)
{
	const char *p = json_get(out, "mappings");

	tt_check(p && *p == '[', "pages --json: no mappings array");
	p = json_ws(p + 1);
	while (*p == '{') {
		const char *s = json_get(p, "start");

		if (s && strtoull(s + 1, NULL, 16) == addr)
			return p;
		p = json_ws(json_value(p, 0));
		if (*p == ',')
			p = json_ws(p + 1);
	}
	tt_fail("pages --json: no mapping starts at %#llx", (unsigned long long)addr);
}

/*
 * pages.<cat> summed over the mappings inside [addr, addr + len) (the
 * mprotect backend splits a tracked range into many): a count, or -1 when
 * every one says null.
 */
static long long cat_in(const char *out, uint64_t addr, uint64_t len, const char *name)
{
	const char *p = json_ws(find_map(out, addr));
	long long sum = -1;

	while (*p == '{' && strtoull(json_get(p, "start") + 1, NULL, 16) < addr + len) {
		const char *v = json_get(json_get(p, "pages"), name);

		tt_check(v, "pages --json: a mapping has no pages.%s", name);
		if (strncmp(v, "null", 4))
			sum = (sum < 0 ? 0 : sum) + atoll(v);
		p = json_ws(json_value(p, 0));
		if (*p == ',')
			p = json_ws(p + 1);
	}
	return sum;
}

/* pages.<cat> of the one mapping at addr. */
static long long cat(const char *out, uint64_t addr, const char *name)
{
	return cat_in(out, addr, 1, name);
}

static void check_json(const char *out, const struct addrs *a)
{
	tt_check(json_valid(out), "pages --json: not valid JSON:\n%s", out);
	tt_ret(atol(json_get(out, "page_size")), TT_PAGE);
	tt_ret(cat(out, a->anon, "present"), PL_WRITTEN + PL_READ);
	tt_ret(cat(out, a->anon, "zero"), PL_READ);
	tt_ret(cat(out, a->anon, "file"), 0);
	tt_ret(cat(out, a->anon, "written"), -1);
	if (cat(out, a->anon, "guard") >= 0)
		tt_ret(cat(out, a->anon, "guard"), a->guards);
	tt_ret(cat(out, a->file, "present"), PL_FILE_WRITTEN);
	tt_ret(cat(out, a->file, "file"), PL_FILE_WRITTEN);
	tt_ret(cat(out, a->sparse, "present"), PL_SPARSE_WRITTEN);
	tt_ret(atoll(json_get(find_map(out, a->sparse), "size")), PL_SPARSE_LEN);
	tt_ret(cat_in(out, a->track, TRACK_PAGES * TT_PAGE, "present"), TRACK_PAGES);
	tt_ret(cat_in(out, a->track, TRACK_PAGES * TT_PAGE, "written"),
	       a->tracked ? TRACK_WRITTEN : -1);
	tt_check(!strncmp(json_get(find_map(out, a->track), "tracked"),
			  a->tracked ? "true" : "false", 4), "pages --json: wrong tracked");
}

static void check_other(pid_t pid, uint64_t anon)
{
	char p[32], hex[32];
	const char *text[] = { "pages", p, NULL }, *self[] = { "pages", "self", NULL };
	const char *bad[] = { "pages", "12x", NULL }, *none[] = { "pages", NULL };
	const char *gone[] = { "pages", "1073741823", NULL };
	struct cli_out r;

	snprintf(p, sizeof(p), "%d", (int)pid);
	snprintf(hex, sizeof(hex), "\n%llx ", (unsigned long long)anon);
	r = cli_run(60, text);
	tt_check(r.status == 0 && strstr(r.out, hex) && strstr(r.out, "\ntotal "),
		 "pages PID: exit %d, no row at %s or no total:\n%s%s", r.status, hex + 1, r.out,
		 r.err);
	cli_free(&r);
	r = cli_run(60, self);
	tt_check(r.status == 0 && strstr(r.out, "[stack]"), "pages self: exit %d:\n%s%s",
		 r.status, r.out, r.err);
	cli_free(&r);
	r = cli_run(60, bad);
	tt_check(r.status == 2, "pages 12x: exit %d, want 2", r.status);
	cli_free(&r);
	r = cli_run(60, none);
	tt_check(r.status == 2, "pages without PID: exit %d, want 2", r.status);
	cli_free(&r);
	r = cli_run(60, gone);
	tt_check(r.status == 1 && strstr(r.err, "no process"), "pages of no process: exit %d: %s",
		 r.status, r.err);
	cli_free(&r);
}

int main(int argc, char **argv)
{
	struct ww_pagemap *pm;
	struct addrs a;
	struct cli_out r;
	char pidbuf[32];
	const char *args[] = { "pages", pidbuf, "--json", NULL };
	int fds[2], ret = ww_pagemap_open(&pm, 0, 0);
	pid_t pid;

	if (ret == -EOPNOTSUPP)
		tt_skip("kernel without PAGEMAP_SCAN (Linux >= 6.7)");
	ww_pagemap_close(pm);
	cli_find_tool(argc, argv);
	tt_check(!pipe(fds), "pipe: %s", strerror(errno));
	pid = fork();
	tt_check(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		close(fds[0]);
		child(fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &a, sizeof(a)) != sizeof(a)) {
		waitpid(pid, &ret, 0);
		exit(WIFEXITED(ret) ? WEXITSTATUS(ret) : 1);   /* the child said why */
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	r = cli_run(60, args);
	tt_check(r.status == 0, "pages --json: exit %d: %s", r.status, r.err);
	check_json(r.out, &a);
	cli_free(&r);
	check_other(pid, a.anon);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
