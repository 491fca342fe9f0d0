/* SPDX-License-Identifier: MIT */
/*
 * writewatch rate --plot DIR writes rate.svg, heatmap.svg and windows.svg,
 * --svg FILE the three in one, all well-formed XML (checked here, and by
 * xmllint when it is installed); the heatmap names the target's region
 * band, the windows picture has the region's own curve; --plot and --svg
 * together, a bad interval, a missing command or PID are usage errors.
 */
#include <sys/stat.h>

#include "cli_rate.h"
#include "xml_check.h"

static void check_svg(const char *path)
{
	char *text = tt_slurp(path), cmd[PATH_MAX + 64];

	tt_check(xml_well_formed(text, "svg"), "%s is not well-formed XML", path);
	free(text);
	if (!system("command -v xmllint >/dev/null 2>&1")) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
		tt_check(system(cmd) == 0, "xmllint refuses %s", path);
	}
}

static void usage_errors(void)
{
	const char *both[] = { "rate", "--plot", "/tmp", "--svg", "/tmp/x.svg", "1", NULL };
	const char *interval[] = { "rate", "--interval", "0", "1", NULL };
	const char *nocmd[] = { "rate", "--", NULL };
	const char *nopid[] = { "rate", NULL };
	const char *const *cases[] = { both, interval, nocmd, nopid };
	size_t i;

	for (i = 0; i < 4; i++) {
		struct cli_out r = cli_run(30, cases[i]);

		tt_check(r.status == 2, "usage case %zu: exit %d, want 2: %s", i, r.status, r.err);
		cli_free(&r);
	}
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/cli_rate_plots.XXXXXX", path[PATH_MAX], opt[PATH_MAX];
	const char *names[] = { "rate.svg", "heatmap.svg", "windows.svg" };
	const char *targs[] = { "steady", "--pages", "800", "--rate", "4000", NULL };
	const char *extra[] = { "--plot", dir, "--link-mbps", "100", NULL };
	const char *extra2[] = { "--svg", opt, NULL };
	struct rate_result x;
	uint64_t region;
	char curve[64];
	size_t i;

	cli_find_tool(argc, argv);
	usage_errors();
	tt_check(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	x = rate_run(50, extra, targs);
	tt_check(json_get(json_get(x.summary, "summary"), "left_to_copy_bytes"),
		 "rate --link-mbps: no left_to_copy_bytes");
	region = x.region;
	cli_free(&x.r);
	/* The region is the mapping written most: it has a curve, named in the legend. */
	snprintf(curve, sizeof(curve), ">[anon] at %#llx<", (unsigned long long)region);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		check_svg(path);
		if (i == 1 || i == 2) {
			char *text = tt_slurp(path);

			tt_check(i == 2 || strstr(text, ">[anon]<"), "heatmap: no band for the region");
			tt_check(i == 1 || strstr(text, curve), "windows: no curve %s", curve);
			free(text);
		}
		unlink(path);
	}
	snprintf(opt, sizeof(opt), "%s/all.svg", dir);
	x = rate_run(50, extra2, targs);
	cli_free(&x.r);
	check_svg(opt);
	unlink(opt);
	rmdir(dir);
	return 0;
}
