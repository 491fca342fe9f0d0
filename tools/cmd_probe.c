/* SPDX-License-Identifier: MIT */
/*
 * writewatch probe: what this machine offers, as ww_probe() and
 * ww_probe_backend() see it, and why: which backend WW_BACKEND_AUTO opens
 * (WRITEWATCH_BACKEND included), each backend's availability, why a
 * userfaultfd is user-mode-only here, PAGEMAP_SCAN, THP, hugetlb and
 * vm.max_map_count.  Text for people, --json for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "writewatch.h"
#include "measure.h"
#include "cli.h"

static const char *const uffd_feature_names[] = {
	"PAGEFAULT_FLAG_WP", "EVENT_FORK", "EVENT_REMAP", "EVENT_REMOVE",
	"MISSING_HUGETLBFS", "MISSING_SHMEM", "EVENT_UNMAP", "SIGBUS",
	"THREAD_ID", "MINOR_HUGETLBFS", "MINOR_SHMEM", "EXACT_ADDRESS",
	"WP_HUGETLBFS_SHMEM", "WP_UNPOPULATED", "POISON", "WP_ASYNC",
	"MOVE",
};

static const char *const category_names[] = {
	"WPALLOWED", "WRITTEN", "FILE", "PRESENT", "SWAPPED", "PFNZERO", "HUGE",
	"SOFT_DIRTY", "GUARD",
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define FIRST_BACKEND WW_BACKEND_UFFD_ASYNC

/* Everything probe prints. */
struct facts {
	struct ww_probe p;
	struct ww_backend_info bi[WW_BACKEND_COUNT];
	char auto_why[256];             /* why AUTO opens what it opens */
	char umo_why[400];              /* why userfaultfds are user-mode-only here, or not */
	int available;                  /* backends that open */
};

static const char *thp_name(long v)
{
	switch (v) {
	case 0: return "never";
	case 1: return "madvise";
	case 2: return "always";
	default: return "unknown";
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: writewatch probe [--json]\n"
		"Show what this machine offers for write tracking: which backend\n"
		"WW_BACKEND_AUTO opens and why (WRITEWATCH_BACKEND included), each backend\n"
		"(available, or why not), userfaultfd features and why they are user-mode-only\n"
		"for this caller, PAGEMAP_SCAN categories, transparent huge pages, hugetlb,\n"
		"vm.max_map_count and the base page size.\n\n"
		"  --json      one JSON object instead of text\n"
		"  -h, --help  this help\n\n"
		"Exit status: 0 ok, 1 output failed, 2 usage error, 3 no backend is available.\n");
}

/* Why ww_open(WW_BACKEND_AUTO) opens p->chosen (or nothing). */
static void auto_reason(const struct ww_probe *p, char *buf, size_t len)
{
	const char *env = p->env_backend;

	if (!env[0] || !strcmp(env, "auto"))
		snprintf(buf, len, p->best == WW_BACKEND_AUTO ? "no backend opens here" :
			 "the first of uffd-async, uffd-sync, mprotect that opens here (%s)",
			 env[0] ? "WRITEWATCH_BACKEND=auto" : "WRITEWATCH_BACKEND unset");
	else if (p->env_error == -EINVAL)
		snprintf(buf, len, "WRITEWATCH_BACKEND=%s names no backend (uffd-async, uffd-sync, "
			 "mprotect or auto): ww_open(AUTO) fails with EINVAL", env);
	else if (p->env_error)
		snprintf(buf, len, "WRITEWATCH_BACKEND=%s cannot open here (below): ww_open(AUTO) "
			 "fails rather than pick another", env);
	else
		snprintf(buf, len, "named by WRITEWATCH_BACKEND=%s", env);
}

/* Does this process hold CAP_SYS_PTRACE (bit 19 of CapEff)? */
static bool has_cap_sys_ptrace(void)
{
	unsigned long long caps;

	return !wb_status_scan("CapEff: %llx", &caps) && (caps >> 19 & 1);
}

/* "/dev/userfaultfd (crw------- root:root)", or "absent". */
static void dev_uffd_desc(char *buf, size_t len)
{
	struct stat st;
	struct passwd *pw;
	struct group *gr;

	if (stat("/dev/userfaultfd", &st)) {
		snprintf(buf, len, "/dev/userfaultfd is absent");
		return;
	}
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	snprintf(buf, len, "/dev/userfaultfd (mode %04o, %s:%s)", st.st_mode & 07777,
		 pw ? pw->pw_name : "?", gr ? gr->gr_name : "?");
}

/* Why the userfaultfds this caller gets are user-mode-only, or see kernel faults. */
static void uffd_reason(const struct ww_probe *p, char *buf, size_t len)
{
	char dev[128];

	dev_uffd_desc(dev, sizeof(dev));
	if (p->uffd_error) {
		snprintf(buf, len, "no userfaultfd for this process: %s", wb_errname(p->uffd_error));
	} else if (p->uffd_user_mode_only) {
		snprintf(buf, len, "user-mode-only for this caller: vm.unprivileged_userfaultfd=%d "
			 "gives kernel-mode faults only to CAP_SYS_PTRACE, and %s%s; so uffd-sync "
			 "cannot see kernel writes (read(2) into a watched buffer gets EFAULT)",
			 p->unprivileged_userfaultfd, dev,
			 p->dev_userfaultfd == 0 ? " does not open for this user" : "");
	} else if (p->unprivileged_userfaultfd == 1) {
		snprintf(buf, len, "kernel-mode faults included: vm.unprivileged_userfaultfd=1");
	} else if (has_cap_sys_ptrace()) {
		snprintf(buf, len, "kernel-mode faults included: this process has CAP_SYS_PTRACE");
	} else {
		snprintf(buf, len, "kernel-mode faults included: %s opens for this user", dev);
	}
}

static int gather(struct facts *x)
{
	int b, ret;

	memset(x, 0, sizeof(*x));
	x->p.size = sizeof(x->p);
	ret = ww_probe(&x->p);
	if (ret)
		return ret;
	for (b = FIRST_BACKEND; b < WW_BACKEND_COUNT; b++) {
		x->bi[b].size = sizeof(x->bi[b]);
		ret = ww_probe_backend((enum ww_backend)b, &x->bi[b]);
		if (ret)
			return ret;
		x->available += x->bi[b].available != 0;
	}
	auto_reason(&x->p, x->auto_why, sizeof(x->auto_why));
	uffd_reason(&x->p, x->umo_why, sizeof(x->umo_why));
	return 0;
}

/* Names of the set bits of v, space-separated or as JSON strings (unknown bits as "bitN"). */
static void bit_names(FILE *f, uint64_t v, const char *const *names, size_t n, bool json)
{
	bool first = true;
	int bit;

	for (bit = 0; bit < 64; bit++) {
		if (!(v & (1ULL << bit)))
			continue;
		fprintf(f, json ? "%s\"" : "%s", json ? (first ? "" : ", ") : " ");
		if ((size_t)bit < n)
			fputs(names[bit], f);
		else
			fprintf(f, "bit%d", bit);
		if (json)
			fputc('"', f);
		first = false;
	}
}

static const char *chosen_name(const struct ww_probe *p)
{
	return p->chosen == WW_BACKEND_AUTO ? "none" : ww_backend_str(p->chosen);
}

static void text_backends(const struct facts *x)
{
	int b;

	printf("backends\n");
	for (b = FIRST_BACKEND; b < WW_BACKEND_COUNT; b++) {
		const struct ww_backend_info *bi = &x->bi[b];

		if (bi->available)
			printf("  %-12s  available\n", ww_backend_str((enum ww_backend)b));
		else
			printf("  %-12s  not available [%s]: %s\n", ww_backend_str((enum ww_backend)b),
			       wb_errname(bi->error), bi->reason[0] ? bi->reason : "no reason given");
	}
}

/* What a page-table hole (a whole block without its page table) reads as. */
static const char *hole_text(int written)
{
	if (written == 1)
		return "a page-table hole reads as written (dropped THPs are reported)";
	if (written == 0)
		return "a page-table hole is skipped: uffd-async looks for holes with a second scan";
	return "whether a page-table hole reads as written is unknown: uffd-async looks for holes";
}

static void text_kernel(const struct ww_probe *p, const struct facts *x)
{
	if (p->uffd_features) {
		printf("userfaultfd     features 0x%" PRIx64 ":", p->uffd_features);
		bit_names(stdout, p->uffd_features, uffd_feature_names, NELEMS(uffd_feature_names),
			  false);
		putchar('\n');
	}
	printf("%s%s\n", p->uffd_features ? "                " : "userfaultfd     ", x->umo_why);
	if (p->pagemap_scan) {
		printf("PAGEMAP_SCAN    yes, categories:");
		bit_names(stdout, p->pagemap_categories, category_names, NELEMS(category_names), false);
		putchar('\n');
		printf("                %s\n", hole_text(p->pagemap_hole_written));
	} else {
		printf("PAGEMAP_SCAN    no (needs Linux >= 6.7)\n");
	}
}

static void print_text(const struct facts *x)
{
	const struct ww_probe *p = &x->p;

	printf("writewatch %s on Linux %s\n", ww_version(), p->kernel_release);
	printf("AUTO opens      %s: %s\n", chosen_name(p), x->auto_why);
	if (p->env_backend[0])
		printf("                without WRITEWATCH_BACKEND: %s\n",
		       p->best == WW_BACKEND_AUTO ? "none" : ww_backend_str(p->best));
	text_backends(x);
	text_kernel(p, x);
	printf("THP             %s (tracked per base page: the kernel splits a huge page on a "
	       "tracked write)\n", thp_name(p->thp_enabled));
	if (p->hugetlb_default_size)
		printf("hugetlb         default page %ld KiB, %ld free (tracked per huge page)\n",
		       p->hugetlb_default_size / 1024, p->hugetlb_free_pages);
	else
		printf("hugetlb         none configured\n");
	printf("vm.max_map_count %ld (mprotect splits a mapping per run of written pages)\n",
	       p->max_map_count);
	printf("base page       %ld bytes\n", p->base_page_size);
}

static void json_backends(const struct facts *x)
{
	int b;

	printf("  \"backends\": {");
	for (b = FIRST_BACKEND; b < WW_BACKEND_COUNT; b++) {
		const struct ww_backend_info *bi = &x->bi[b];

		printf("%s\n    \"%s\": {\"available\": %s", b > FIRST_BACKEND ? "," : "",
		       ww_backend_str((enum ww_backend)b), bi->available ? "true" : "false");
		if (!bi->available) {
			printf(", \"error\": ");
			wb_json_str(stdout, wb_errname(bi->error));
			printf(", \"reason\": ");
			wb_json_str(stdout, bi->reason);
		}
		putchar('}');
	}
	printf("\n  },\n");
}

static void json_uffd(const struct facts *x)
{
	const struct ww_probe *p = &x->p;

	printf("  \"uffd\": {\"features\": %" PRIu64 ", \"feature_names\": [", p->uffd_features);
	bit_names(stdout, p->uffd_features, uffd_feature_names, NELEMS(uffd_feature_names), true);
	printf("], \"error\": ");
	if (p->uffd_error)
		wb_json_str(stdout, wb_errname(p->uffd_error));
	else
		printf("null");
	printf(", \"user_mode_only\": %s, \"unprivileged_userfaultfd\": %d, "
	       "\"dev_userfaultfd\": \"%s\", \"why\": ", p->uffd_user_mode_only ? "true" : "false",
	       p->unprivileged_userfaultfd, p->dev_userfaultfd == 1 ? "opens" :
	       p->dev_userfaultfd == 0 ? "refused" : "absent");
	wb_json_str(stdout, x->umo_why);
	printf("},\n");
}

static void json_auto(const struct ww_probe *p, const struct facts *x)
{
	printf("  \"best\": \"%s\",\n  \"auto\": {\"chosen\": ",
	       p->best == WW_BACKEND_AUTO ? "none" : ww_backend_str(p->best));
	wb_json_str(stdout, chosen_name(p));
	printf(", \"env_backend\": ");
	if (p->env_backend[0])
		wb_json_str(stdout, p->env_backend);
	else
		printf("null");
	printf(", \"env_error\": ");
	if (p->env_error)
		wb_json_str(stdout, wb_errname(p->env_error));
	else
		printf("null");
	printf(", \"why\": ");
	wb_json_str(stdout, x->auto_why);
	printf("},\n");
}

static void print_json(const struct facts *x)
{
	const struct ww_probe *p = &x->p;

	printf("{\n  \"version\": ");
	wb_json_str(stdout, ww_version());
	printf(",\n  \"kernel_release\": ");
	wb_json_str(stdout, p->kernel_release);
	printf(",\n");
	json_auto(p, x);
	json_backends(x);
	json_uffd(x);
	printf("  \"pagemap_scan\": {\"present\": %s, \"categories\": [",
	       p->pagemap_scan ? "true" : "false");
	bit_names(stdout, p->pagemap_categories, category_names, NELEMS(category_names), true);
	printf("], \"hole_written\": %d},\n  \"thp\": \"%s\",\n",
	       p->pagemap_hole_written < 0 ? -1 : p->pagemap_hole_written, thp_name(p->thp_enabled));
	printf("  \"hugetlb\": {\"default_size\": %ld, \"free_pages\": %ld},\n",
	       p->hugetlb_default_size, p->hugetlb_free_pages);
	printf("  \"max_map_count\": %ld,\n  \"base_page_size\": %ld\n}\n", p->max_map_count,
	       p->base_page_size);
}

static int opt_json(void *ctx, int c, const char *arg)
{
	*(bool *)ctx = true;    /* --json, the only option */
	return -1;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct facts x;
	bool json = false;
	int ret = cli_parse("probe", argc, argv, ":h", opts, usage, opt_json, &json);

	if (ret >= 0)
		return ret;
	ret = gather(&x);
	if (ret)
		return cli_error("probe", "ww_probe: %s", wb_errname(ret));
	if (json)
		print_json(&x);
	else
		print_text(&x);
	return cli_finish_output("probe", x.available ? CLI_OK : CLI_NOTAVAIL);
}
