/* SPDX-License-Identifier: MIT */
/*
 * writewatch probe: --json is one valid JSON object naming all three
 * backends, each with a boolean "available" (and a reason when false); the
 * text form names them too; --help works.
 */
#include "cli_util.h"

static void check_backend(const char *backends, const char *name)
{
	const char *b = json_get(backends, name), *avail;

	tt_check(b, "probe --json: backends has no \"%s\"", name);
	avail = json_get(b, "available");
	tt_check(avail, "probe --json: backends.%s has no \"available\"", name);
	if (!strncmp(avail, "false", 5))
		tt_check(json_get(b, "reason") && *json_get(b, "reason") == '"',
			 "probe --json: unavailable %s gives no reason", name);
	else
		tt_check(!strncmp(avail, "true", 4), "probe --json: backends.%s.available not a boolean",
			 name);
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "uffd-async", "uffd-sync", "mprotect" };
	const char *json[] = { "probe", "--json", NULL };
	const char *text[] = { "probe", NULL };
	const char *help[] = { "probe", "--help", NULL };
	struct cli_out r;
	const char *v;
	int i;

	cli_find_tool(argc, argv);

	r = cli_run(60, json);
	tt_check(r.status == 0, "probe --json: exit %d, stderr: %s", r.status, r.err);
	tt_check(json_valid(r.out), "probe --json: output is not valid JSON:\n%s", r.out);
	tt_check(json_get(r.out, "kernel_release") && *json_get(r.out, "kernel_release") == '"',
		 "probe --json: no kernel_release string");
	v = json_get(r.out, "best");
	tt_check(v && *v == '"', "probe --json: no \"best\" string");
	v = json_get(r.out, "backends");
	tt_check(v && *v == '{', "probe --json: no \"backends\" object");
	for (i = 0; i < 3; i++)
		check_backend(v, names[i]);
	v = json_get(r.out, "pagemap_scan");
	tt_check(v && json_get(v, "present") && json_get(v, "categories"),
		 "probe --json: pagemap_scan lacks present/categories");
	tt_check(json_get(r.out, "uffd") && json_get(r.out, "thp") && json_get(r.out, "hugetlb"),
		 "probe --json: uffd, thp or hugetlb missing");
	cli_free(&r);

	r = cli_run(60, text);
	tt_check(r.status == 0, "probe: exit %d, stderr: %s", r.status, r.err);
	for (i = 0; i < 3; i++)
		tt_check(strstr(r.out, names[i]), "probe: text does not name %s:\n%s", names[i], r.out);
	tt_check(strstr(r.out, "PAGEMAP_SCAN") && strstr(r.out, "kernel"),
		 "probe: text lacks the kernel or PAGEMAP_SCAN line:\n%s", r.out);
	cli_free(&r);

	r = cli_run(60, help);
	tt_check(r.status == 0 && strstr(r.out, "Usage: writewatch probe"),
		 "probe --help: exit %d, output:\n%s", r.status, r.out);
	cli_free(&r);
	return 0;
}
