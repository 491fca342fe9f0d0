/* SPDX-License-Identifier: MIT */
/*
 * writewatch probe: what this machine offers, as ww_probe() sees it.  Text
 * for people, --json for scripts (one object; every backend named, with
 * "available" and, when not, "error" and "reason").
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "writewatch.h"
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
		"Show what this machine offers for write tracking: the kernel, each backend\n"
		"(available, or why not), userfaultfd features, PAGEMAP_SCAN categories,\n"
		"transparent huge pages and hugetlb.\n\n"
		"  --json      one JSON object instead of text\n"
		"  -h, --help  this help\n\n"
		"Exit status: 0 ok, 2 usage error, 3 no backend is available.\n");
}

/* Names of the set bits of v, space-separated (unknown bits as "bitN"). */
static void bit_names(FILE *f, uint64_t v, const char *const *names, size_t n, bool json)
{
	bool first = true;
	int bit;

	for (bit = 0; bit < 64; bit++) {
		char tmp[16];
		const char *name;

		if (!(v & (1ULL << bit)))
			continue;
		if ((size_t)bit < n) {
			name = names[bit];
		} else {
			snprintf(tmp, sizeof(tmp), "bit%d", bit);
			name = tmp;
		}
		if (json)
			fprintf(f, "%s\"%s\"", first ? "" : ", ", name);
		else
			fprintf(f, " %s", name);
		first = false;
	}
}

static void print_text(const struct ww_probe *p)
{
	int b;

	printf("writewatch %s\n", ww_version());
	printf("kernel          %s\n", p->kernel_release);
	printf("best backend    %s (what WW_BACKEND_AUTO picks without WRITEWATCH_BACKEND)\n",
	       ww_backend_str(p->best));
	printf("backends\n");
	for (b = WW_BACKEND_UFFD_ASYNC; b < WW_BACKEND_COUNT; b++) {
		const struct ww_backend_info *bi = &p->backends[b];

		if (bi->available)
			printf("  %-12s  available\n", ww_backend_str((enum ww_backend)b));
		else
			printf("  %-12s  not available: %s (%s)\n", ww_backend_str((enum ww_backend)b),
			       bi->reason[0] ? bi->reason : "no reason given",
			       strerror(bi->error < 0 ? -bi->error : bi->error));
	}
	if (p->uffd_features) {
		printf("userfaultfd     features 0x%" PRIx64 ":", p->uffd_features);
		bit_names(stdout, p->uffd_features, uffd_feature_names, NELEMS(uffd_feature_names), false);
		printf("\n                %s\n", p->uffd_user_mode_only ?
		       "user-mode only for this caller (kernel-mode writes not seen by uffd-sync)" :
		       "kernel-mode faults included");
	} else {
		printf("userfaultfd     not usable by this process\n");
	}
	if (p->pagemap_scan) {
		printf("PAGEMAP_SCAN    yes, categories:");
		bit_names(stdout, p->pagemap_categories, category_names, NELEMS(category_names), false);
		putchar('\n');
	} else {
		printf("PAGEMAP_SCAN    no (needs Linux >= 6.7)\n");
	}
	printf("THP             %s (tracked per 4 KiB: the kernel splits a huge page on a tracked write)\n",
	       thp_name(p->thp_enabled));
	if (p->hugetlb_default_size)
		printf("hugetlb         default page %ld KiB, %ld free (tracked per huge page)\n",
		       p->hugetlb_default_size / 1024, p->hugetlb_free_pages);
	else
		printf("hugetlb         none configured\n");
}

static void print_json(const struct ww_probe *p)
{
	int b;

	printf("{\n  \"version\": ");
	wb_json_str(stdout, ww_version());
	printf(",\n  \"kernel_release\": ");
	wb_json_str(stdout, p->kernel_release);
	printf(",\n  \"best\": \"%s\",\n  \"backends\": {", ww_backend_str(p->best));
	for (b = WW_BACKEND_UFFD_ASYNC; b < WW_BACKEND_COUNT; b++) {
		const struct ww_backend_info *bi = &p->backends[b];

		printf("%s\n    \"%s\": {\"available\": %s", b > WW_BACKEND_UFFD_ASYNC ? "," : "",
		       ww_backend_str((enum ww_backend)b), bi->available ? "true" : "false");
		if (!bi->available) {
			printf(", \"error\": ");
			wb_json_str(stdout, strerror(bi->error < 0 ? -bi->error : bi->error));
			printf(", \"reason\": ");
			wb_json_str(stdout, bi->reason);
		}
		putchar('}');
	}
	printf("\n  },\n  \"uffd\": {\"features\": %" PRIu64 ", \"feature_names\": [", p->uffd_features);
	bit_names(stdout, p->uffd_features, uffd_feature_names, NELEMS(uffd_feature_names), true);
	printf("], \"user_mode_only\": %s},\n", p->uffd_user_mode_only ? "true" : "false");
	printf("  \"pagemap_scan\": {\"present\": %s, \"categories\": [",
	       p->pagemap_scan ? "true" : "false");
	bit_names(stdout, p->pagemap_categories, category_names, NELEMS(category_names), true);
	printf("]},\n  \"thp\": \"%s\",\n", thp_name(p->thp_enabled));
	printf("  \"hugetlb\": {\"default_size\": %ld, \"free_pages\": %ld}\n}\n",
	       p->hugetlb_default_size, p->hugetlb_free_pages);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ww_probe p;
	bool json = false;
	int c, ret, b, avail = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			return cli_usage_error("probe", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("probe", "unexpected argument '%s'", argv[optind]);
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	ret = ww_probe(&p);
	if (ret)
		return cli_error("probe", "ww_probe: %s", strerror(-ret));
	if (json)
		print_json(&p);
	else
		print_text(&p);
	for (b = WW_BACKEND_UFFD_ASYNC; b < WW_BACKEND_COUNT; b++)
		avail += p.backends[b].available != 0;
	if (fflush(stdout))
		return cli_error("probe", "writing the output: %s", strerror(errno));
	return avail ? CLI_OK : CLI_NOTAVAIL;
}
