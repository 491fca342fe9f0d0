/* SPDX-License-Identifier: MIT */
/*
 * writewatch probe says what AUTO opens and why, WRITEWATCH_BACKEND included
 * (a valid one, an invalid one), every backend with errno names, why a
 * userfaultfd is user-mode-only or not (as nobody too, when the test runs as
 * root), vm.max_map_count and the base page size; --json is one valid
 * object with the same facts; --help works.
 */
#include <pwd.h>
#include <sys/stat.h>

#include "cli_util.h"

static const char *const names[] = { "uffd-async", "uffd-sync", "mprotect" };

static void check_backend(const char *backends, const char *name)
{
	const char *b = json_get(backends, name), *avail, *err;

	tt_check(b, "probe --json: backends has no \"%s\"", name);
	avail = json_get(b, "available");
	tt_check(avail, "probe --json: backends.%s has no \"available\"", name);
	if (!strncmp(avail, "false", 5)) {
		tt_check(json_get(b, "reason") && *json_get(b, "reason") == '"',
			 "probe --json: unavailable %s gives no reason", name);
		err = json_get(b, "error");
		tt_check(err && !strncmp(err, "\"E", 2), "probe --json: %s error is not an errno name",
			 name);
	} else {
		tt_check(!strncmp(avail, "true", 4), "probe --json: backends.%s.available not a boolean",
			 name);
	}
}

static void check_json(void)
{
	const char *args[] = { "probe", "--json", NULL };
	struct cli_how how = { .env = "WRITEWATCH_BACKEND=" };
	struct cli_out r = cli_run_how(60, &how, args);
	const char *v, *a;
	int i;

	tt_check(r.status == 0, "probe --json: exit %d, stderr: %s", r.status, r.err);
	tt_check(json_valid(r.out), "probe --json: output is not valid JSON:\n%s", r.out);
	tt_check(json_get(r.out, "kernel_release") && *json_get(r.out, "kernel_release") == '"',
		 "probe --json: no kernel_release string");
	a = json_get(r.out, "auto");
	tt_check(a && json_get(a, "chosen") && json_get(a, "why") && json_get(a, "env_backend"),
		 "probe --json: no auto object with chosen, why, env_backend:\n%s", r.out);
	v = json_get(r.out, "backends");
	tt_check(v && *v == '{', "probe --json: no \"backends\" object");
	for (i = 0; i < 3; i++)
		check_backend(v, names[i]);
	v = json_get(r.out, "uffd");
	tt_check(v && json_get(v, "why") && json_get(v, "unprivileged_userfaultfd") &&
		 json_get(v, "dev_userfaultfd"), "probe --json: uffd lacks why and its causes");
	v = json_get(r.out, "base_page_size");
	tt_check(v && atol(v) == sysconf(_SC_PAGESIZE), "probe --json: base_page_size is not %ld",
		 sysconf(_SC_PAGESIZE));
	tt_check(json_get(r.out, "max_map_count"), "probe --json: no max_map_count");
	v = json_get(r.out, "pagemap_scan");
	v = v ? json_get(v, "hole_written") : NULL;
	tt_check(v && (atoi(v) == 0 || atoi(v) == 1 || atoi(v) == -1),
		 "probe --json: pagemap_scan.hole_written missing or not -1, 0 or 1");
	cli_free(&r);
}

/* probe's text with WRITEWATCH_BACKEND set as env says ("NAME=" unsets it). */
static struct cli_out text(const char *env)
{
	const char *args[] = { "probe", NULL };
	struct cli_how how = { .env = env };
	struct cli_out r = cli_run_how(60, &how, args);

	tt_check(r.status == 0, "probe (%s): exit %d, stderr: %s", env, r.status, r.err);
	return r;
}

static void check_text(void)
{
	struct cli_out r = text("WRITEWATCH_BACKEND=");
	int i;

	for (i = 0; i < 3; i++)
		tt_check(strstr(r.out, names[i]), "probe: text does not name %s:\n%s", names[i], r.out);
	tt_check(strstr(r.out, "AUTO opens") && strstr(r.out, "WRITEWATCH_BACKEND unset"),
		 "probe: no AUTO line saying why:\n%s", r.out);
	tt_check(strstr(r.out, "PAGEMAP_SCAN") && strstr(r.out, "vm.max_map_count") &&
		 strstr(r.out, "base page"), "probe: PAGEMAP_SCAN, vm.max_map_count or base page "
		 "missing:\n%s", r.out);
	tt_check(strstr(r.out, "user-mode-only") || strstr(r.out, "kernel-mode faults included") ||
		 strstr(r.out, "no userfaultfd"), "probe: no word on the userfaultfd mode:\n%s", r.out);
	tt_check(!strstr(r.out, "not available") || strstr(r.out, "not available [E"),
		 "probe: an unavailable backend without its errno name:\n%s", r.out);
	cli_free(&r);

	r = text("WRITEWATCH_BACKEND=bogus");
	tt_check(strstr(r.out, "AUTO opens      none: WRITEWATCH_BACKEND=bogus") &&
		 strstr(r.out, "EINVAL"), "probe: an invalid WRITEWATCH_BACKEND is not explained:\n%s",
		 r.out);
	cli_free(&r);

	r = text("WRITEWATCH_BACKEND=mprotect");
	tt_check(strstr(r.out, "AUTO opens      mprotect: named by WRITEWATCH_BACKEND=mprotect"),
		 "probe: a set WRITEWATCH_BACKEND is not what AUTO opens:\n%s", r.out);
	cli_free(&r);
}

/* As nobody with vm.unprivileged_userfaultfd=0, probe says why uffds are user-mode-only. */
static void check_nobody(void)
{
	const char *args[] = { "probe", NULL };
	struct passwd *pw = getpwnam("nobody");
	char dir[] = "/tmp/cli_probe.XXXXXX", copy[PATH_MAX], cmd[PATH_MAX * 2 + 16];
	FILE *f = fopen("/proc/sys/vm/unprivileged_userfaultfd", "re");
	struct cli_how how;
	struct cli_out r;
	int unpriv = -1;

	if (f) {
		if (fscanf(f, "%d", &unpriv) != 1)
			unpriv = -1;
		fclose(f);
	}
	if (geteuid() || !pw || unpriv != 0)
		return;         /* not root, no nobody, or unprivileged uffds are full ones */
	/* nobody must reach the binary: a copy in a fresh 0755 directory. */
	tt_check(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	snprintf(copy, sizeof(copy), "%s/writewatch", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", cli_tool, copy);
	tt_check(!system(cmd) && !chmod(dir, 0755), "copying the tool failed");
	snprintf(cli_tool, sizeof(cli_tool), "%s", copy);
	how = (struct cli_how){ .set_ids = true, .uid = pw->pw_uid, .gid = pw->pw_gid };
	r = cli_run_how(60, &how, args);
	unlink(copy);
	rmdir(dir);
	tt_check(r.status == 0, "probe as nobody: exit %d, stderr: %s", r.status, r.err);
	tt_check(strstr(r.out, "user-mode-only for this caller: vm.unprivileged_userfaultfd=0"),
		 "probe as nobody: no reason for user-mode-only userfaultfds:\n%s", r.out);
	cli_free(&r);
}

int main(int argc, char **argv)
{
	const char *help[] = { "probe", "--help", NULL };
	struct cli_out r;

	cli_find_tool(argc, argv);
	check_json();
	check_text();
	r = cli_run(60, help);
	tt_check(r.status == 0 && strstr(r.out, "Usage: writewatch probe"),
		 "probe --help: exit %d, output:\n%s", r.status, r.out);
	cli_free(&r);
	check_nobody();
	return 0;
}
