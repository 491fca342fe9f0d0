/* SPDX-License-Identifier: MIT */
/* Helpers of the measuring code: clocks, statistics, parsing and formatting, progress. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "target.h"

size_t wb_page(void)
{
	static size_t page;

	/* sysconf(_SC_PAGESIZE) cannot fail on Linux: the kernel passes AT_PAGESZ. */
	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

double wb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double wb_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* xorshift64*: fast, deterministic, good enough to spread pages. */
uint64_t wb_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/*
 * The decimal number at the start of s ("12", "0.5", "3."): *end after it.
 * strtod alone would take "nan", "inf", "1e9" and "0x10" too.
 */
static int decimal_prefix(const char *s, double *out, const char **end)
{
	char buf[64];
	const char *p = s;
	size_t digits = 0;

	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (!digits || (size_t)(p - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(p - s));
	buf[p - s] = 0;
	errno = 0;
	*out = strtod(buf, NULL);
	if (errno || !isfinite(*out))
		return -EINVAL;
	*end = p;
	return 0;
}

int wb_parse_decimal(const char *s, double *out)
{
	const char *end;

	if (!s || decimal_prefix(s, out, &end) || *end)
		return -EINVAL;
	return 0;
}

int wb_parse_size(const char *s, size_t *out)
{
	static const char units[] = "kmgt";
	const char *end, *u;
	double v, mult = 1;

	if (!s || decimal_prefix(s, &v, &end))
		return -EINVAL;
	u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
	if (u) {
		for (mult = 1024; u > units; u--)
			mult *= 1024;
		end++;
		/* Accept the "iB" / "B" spellings too: "64MiB", "1GB" (both binary here). */
		if (!strcasecmp(end, "ib") || !strcasecmp(end, "b"))
			end += strlen(end);
	}
	if (*end || v * mult >= (double)(SIZE_MAX / 2) || v * mult < 1)
		return -EINVAL;
	*out = (size_t)(v * mult);
	return 0;
}

int wb_parse_fraction(const char *s, double *out)
{
	const char *end;
	double v, d;

	if (!s || decimal_prefix(s, &v, &end))
		return -EINVAL;
	if (*end == '%') {
		v /= 100;
		end++;
	} else if (*end == '/') {
		if (decimal_prefix(end + 1, &d, &end) || !(d > 0))
			return -EINVAL;
		v /= d;
	}
	if (*end || !(v > 0) || v > 1)
		return -EINVAL;
	*out = v;
	return 0;
}

void wb_fmt_size(char *buf, size_t len, size_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

void wb_fmt_fraction(char *buf, size_t len, double f)
{
	double inv = 1 / f;
	long n = (long)(inv + 0.5);

	/* 1/64 reads better than 1.5625% for strides; percent otherwise. */
	if (f < 1 && fabs(inv - (double)n) < 1e-9 && n >= 8 && !(n & (n - 1)))
		snprintf(buf, len, "1/%ld", n);
	else
		snprintf(buf, len, "%g%%", f * 100);
}

const char *wb_errname(int err)
{
	static __thread char buf[32];
	const char *s = strerrorname_np(err < 0 ? -err : err);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "errno %d", err < 0 ? -err : err);
	return buf;
}

void wb_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int wb_name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -EINVAL;
}

int wb_status_scan(const char *fmt, ...)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		va_list ap;

		va_start(ap, fmt);
		if (vsscanf(line, fmt, ap) == 1)
			ret = 0;
		va_end(ap);
	}
	fclose(f);
	return ret;
}

long wb_vmpte_kib(void)
{
	long v;

	return wb_status_scan("VmPTE: %ld kB", &v) ? -1 : v;
}

/* ---- progress ---- */

void wb_progress_init(struct wb_progress *p, int total, bool enabled)
{
	p->enabled = enabled;
	p->tty = enabled && isatty(STDERR_FILENO);
	p->done = 0;
	p->total = total;
}

void wb_progress_step(struct wb_progress *p, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!p || !p->enabled)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* On a terminal one status line is rewritten; in a log, one line per step. */
	if (p->tty)
		fprintf(stderr, "\r\033[K[%d/%d] %s", p->done, p->total, line);
	else
		fprintf(stderr, "[%d/%d] %s\n", p->done, p->total, line);
	fflush(stderr);
}

void wb_progress_end(struct wb_progress *p)
{
	if (p && p->enabled && p->tty) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

int wb_cost_check(uint64_t bytes, const char *what, char *why, size_t whylen)
{
	long phys = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
	char need[32], ram[32];

	if (phys <= 0 || ps <= 0 || bytes <= (uint64_t)phys * (uint64_t)ps / 4)
		return 0;
	wb_fmt_size(need, sizeof(need), (size_t)bytes);
	wb_fmt_size(ram, sizeof(ram), (size_t)phys * (size_t)ps);
	snprintf(why, whylen, "refused: %s would need %s, more than a quarter of RAM (%s)", what,
		 need, ram);
	return -ENOMEM;
}
