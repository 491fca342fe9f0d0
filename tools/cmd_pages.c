/* SPDX-License-Identifier: MIT */
/*
 * writewatch pages (PID | self) [--json]: the page map of a process per
 * mapping, through PAGEMAP_SCAN categories: present, swapped, zero page,
 * huge, file-backed, written since tracking began (in mappings armed for
 * async write-protect), soft-dirty and guard pages where the kernel has
 * them.  One scan per mapping that asks only for populated pages, so
 * terabytes of reserved, never-touched address space cost next to nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writewatch.h"
#include "measure.h"
#include "cli.h"
#include "maps.h"

enum { C_PRESENT, C_SWAPPED, C_ZERO, C_HUGE, C_FILE, C_WRITTEN, C_SOFT_DIRTY, C_GUARD, C_N };

static const struct {
	const char *json, *head;
	uint32_t bit;
} cols[C_N] = {
	[C_PRESENT] = { "present", "Present", WW_PAGE_IS_PRESENT },
	[C_SWAPPED] = { "swapped", "Swapped", WW_PAGE_IS_SWAPPED },
	[C_ZERO] = { "zero", "Zero", WW_PAGE_IS_PFNZERO },
	[C_HUGE] = { "huge", "Huge", WW_PAGE_IS_HUGE },
	[C_FILE] = { "file", "File", WW_PAGE_IS_FILE },
	[C_WRITTEN] = { "written", "Written", WW_PAGE_IS_WRITTEN },
	[C_SOFT_DIRTY] = { "soft_dirty", "SoftDirty", WW_PAGE_IS_SOFT_DIRTY },
	[C_GUARD] = { "guard", "Guard", WW_PAGE_IS_GUARD },
};

struct counts {
	uint64_t pages[C_N];    /* base pages */
	bool tracked;           /* some page is WPALLOWED: "written" means something */
};

struct pages_ctx {
	struct ww_pagemap *pm;
	uint32_t cats;
	size_t page;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: writewatch pages (PID | self) [--json]\n"
		"The page map of a process per mapping, from PAGEMAP_SCAN: pages present,\n"
		"swapped, mapping the zero page, huge, file-backed, written since tracking\n"
		"began (mappings armed for async write-protect), soft-dirty and guards\n"
		"where the kernel reports them.  Needs the right to ptrace-read PID.\n"
		"  --json      one JSON object instead of the table\n");
}

/* Count one run's pages into c. */
static void add_run(struct counts *c, const struct ww_page_run *r, size_t page)
{
	uint64_t n = (r->end - r->start) / page;
	int i;

	if (r->categories & WW_PAGE_IS_WPALLOWED)
		c->tracked = true;
	for (i = 0; i < C_N; i++) {
		if (!(r->categories & cols[i].bit))
			continue;
		/* Outside async write-protect every page reads as written: no meaning. */
		if (i == C_WRITTEN && !(r->categories & WW_PAGE_IS_WPALLOWED))
			continue;
		c->pages[i] += n;
	}
}

/* Scan one mapping: only populated pages and guards are asked for. */
static int scan_map(struct pages_ctx *x, const struct tool_map *m, struct counts *c)
{
	static struct ww_page_run runs[512];
	uint32_t anyof = (WW_PAGE_IS_PRESENT | WW_PAGE_IS_SWAPPED | WW_PAGE_IS_GUARD) & x->cats;
	uint64_t cur = m->start, next;

	memset(c, 0, sizeof(*c));
	while (cur < m->end) {
		ssize_t n = ww_pagemap_scan(x->pm, cur, m->end, anyof, x->cats, runs, 512, &next), i;

		/* The mapping went away or changed between maps and the scan. */
		if (n == -ENOENT || n == -EFAULT)
			return 0;
		if (n < 0)
			return (int)n;
		for (i = 0; i < n; i++)
			add_run(c, &runs[i], x->page);
		if (next <= cur)
			break;
		cur = next;
	}
	return 0;
}

static bool col_shown(const struct pages_ctx *x, int i)
{
	return (x->cats & cols[i].bit) != 0;
}

static void text_row(const struct pages_ctx *x, const struct counts *c, const char *addr,
		     uint64_t bytes, const char *perms, const char *label)
{
	int i;

	printf("%-16s %10" PRIu64 " %-4s", addr, bytes / 1024, perms);
	for (i = 0; i < C_N; i++) {
		if (!col_shown(x, i))
			continue;
		if (i == C_WRITTEN && !c->tracked)
			printf(" %9s", "-");
		else
			printf(" %9" PRIu64, c->pages[i] * x->page / 1024);
	}
	printf("  %s\n", label);
}

static void json_counts(const struct pages_ctx *x, const struct counts *c)
{
	int i;

	printf("{");
	for (i = 0; i < C_N; i++) {
		printf("%s\"%s\": ", i ? ", " : "", cols[i].json);
		if (!col_shown(x, i) || (i == C_WRITTEN && !c->tracked))
			printf("null");
		else
			printf("%" PRIu64, c->pages[i]);
	}
	printf("}");
}

static void json_map(const struct pages_ctx *x, const struct tool_map *m,
		     const struct counts *c, bool first)
{
	printf("%s\n    {\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"size\": %"
	       PRIu64 ", \"perms\": \"%s\", \"name\": ", first ? "" : ",", m->start, m->end,
	       m->end - m->start, m->perms);
	wb_json_str(stdout, m->name);
	printf(", \"tracked\": %s, \"pages\": ", c->tracked ? "true" : "false");
	json_counts(x, c);
	printf("}");
}

static void header(const struct pages_ctx *x, pid_t pid)
{
	int i;

	if (x->json) {
		printf("{\"pid\": %d, \"page_size\": %zu, \"categories\": [", (int)pid, x->page);
		const char *sep = "";

		for (i = 0; i < C_N; i++) {
			if (!col_shown(x, i))
				continue;
			printf("%s\"%s\"", sep, cols[i].json);
			sep = ", ";
		}
		printf("], \"mappings\": [");
		return;
	}
	printf("%-16s %10s %-4s", "Address", "Kbytes", "Mode");
	for (i = 0; i < C_N; i++)
		if (col_shown(x, i))
			printf(" %9s", cols[i].head);
	printf("  Mapping  (page counts in KiB; Written: '-' where not tracked)\n");
}

static void total_add(struct counts *t, const struct counts *c)
{
	int i;

	for (i = 0; i < C_N; i++)
		t->pages[i] += c->pages[i];
	t->tracked |= c->tracked;
}

static int report(struct pages_ctx *x, pid_t pid, const struct tool_maps *m)
{
	struct counts c, total;
	uint64_t size = 0;
	char addr[32];
	size_t i;
	int ret;

	memset(&total, 0, sizeof(total));
	header(x, pid);
	for (i = 0; i < m->n; i++) {
		ret = scan_map(x, &m->v[i], &c);
		if (ret)
			return ret;
		total_add(&total, &c);
		size += m->v[i].end - m->v[i].start;
		if (x->json) {
			json_map(x, &m->v[i], &c, i == 0);
			continue;
		}
		snprintf(addr, sizeof(addr), "%" PRIx64, m->v[i].start);
		text_row(x, &c, addr, m->v[i].end - m->v[i].start, m->v[i].perms,
			 tool_map_label(&m->v[i]));
	}
	if (x->json) {
		printf("\n  ], \"total\": {\"size\": %" PRIu64 ", \"pages\": ", size);
		json_counts(x, &total);
		printf("}}\n");
	} else {
		text_row(x, &total, "total", size, "", "");
	}
	return 0;
}

static int opt_json(void *ctx, int c, const char *arg)
{
	((struct pages_ctx *)ctx)->json = true;
	return -1;
}

/* "self" or a positive decimal pid. */
static int parse_pid(const char *s, pid_t *pid)
{
	int v;

	if (!strcmp(s, "self")) {
		*pid = 0;
		return 0;
	}
	if (cli_parse_int(s, 1, 1 << 30, &v))
		return -EINVAL;
	*pid = v;
	return 0;
}

/*
 * The kernel takes PAGE_IS_SOFT_DIRTY from 6.8 on even when it is built
 * without soft-dirty tracking (no page is ever soft-dirty then).  A kernel
 * with it marks new VMAs VM_SOFTDIRTY, which smaps shows as "sd".
 */
static bool kernel_has_soft_dirty(void)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool sd = false;

	if (!f)
		return false;
	while (!sd && fgets(line, sizeof(line), f))
		sd = !strncmp(line, "VmFlags:", 8) && strstr(line, " sd");
	fclose(f);
	return sd;
}

static int open_target(struct pages_ctx *x, pid_t pid, struct tool_maps *m)
{
	int ret = ww_pagemap_open(&x->pm, pid, 0);

	if (ret == -EOPNOTSUPP)
		return cli_report(CLI_NOTAVAIL, "pages", "the kernel lacks PAGEMAP_SCAN "
				  "(Linux >= 6.7)");
	if (ret == -ENOENT || ret == -ESRCH)
		return cli_error("pages", "no process %d", (int)pid);
	if (ret)
		return cli_error("pages", "cannot read the page map of %d: %s (reading another "
				 "process's needs the right to ptrace it)", (int)pid, wb_errname(ret));
	ww_pagemap_categories(x->pm, &x->cats);
	if (!kernel_has_soft_dirty())
		x->cats &= ~WW_PAGE_IS_SOFT_DIRTY;
	ret = tool_maps_read(pid, m);
	if (ret) {
		ww_pagemap_close(x->pm);
		return cli_error("pages", "reading the mappings of %d: %s", (int)pid,
				 wb_errname(ret));
	}
	return -1;
}

int cmd_pages(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pages_ctx x = { .page = (size_t)sysconf(_SC_PAGESIZE) };
	struct tool_maps m;
	pid_t pid;
	int first, ret = cli_parse_operands("pages", argc, argv, ":h", opts, usage, opt_json, &x,
					    &first);

	if (ret >= 0)
		return ret;
	if (argc - first != 1)
		return cli_usage_error("pages", "give one PID or 'self'");
	if (parse_pid(argv[first], &pid))
		return cli_usage_error("pages", "'%s' is not a PID or 'self'", argv[first]);
	ret = open_target(&x, pid, &m);
	if (ret >= 0)
		return ret;
	ret = report(&x, pid ? pid : getpid(), &m);
	tool_maps_free(&m);
	ww_pagemap_close(x.pm);
	if (ret)
		return cli_error("pages", "PAGEMAP_SCAN: %s", wb_errname(ret));
	return cli_finish_output("pages", CLI_OK);
}
