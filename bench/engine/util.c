/* SPDX-License-Identifier: MIT */
/* Engine helpers: clocks, statistics, parsing and formatting, progress. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

double wb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
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

int wb_parse_size(const char *s, size_t *out)
{
	char *end;
	double v;
	double mult = 1;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case 'k': mult = 1024.0; end++; break;
	case 'm': mult = 1024.0 * 1024; end++; break;
	case 'g': mult = 1024.0 * 1024 * 1024; end++; break;
	case 't': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	/* Accept the "iB" / "B" spellings too: "64MiB", "1GB" (both binary here). */
	if (mult > 1 && (!strcasecmp(end, "ib") || !strcasecmp(end, "b")))
		end += strlen(end);
	if (*end || v * mult > (double)SIZE_MAX / 2)
		return -EINVAL;
	*out = (size_t)(v * mult);
	return *out ? 0 : -EINVAL;
}

int wb_parse_fraction(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	if (*end == '%') {
		v /= 100;
		end++;
	} else if (*end == '/') {
		char *e2;
		double d = strtod(end + 1, &e2);

		if (e2 == end + 1 || d <= 0)
			return -EINVAL;
		v /= d;
		end = e2;
	}
	if (*end || !(v > 0) || v > 1)
		return -EINVAL;
	*out = v;
	return 0;
}

void wb_fmt_size(char *buf, size_t len, size_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (v == floor(v))
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

void wb_fmt_fraction(char *buf, size_t len, double f)
{
	double inv = 1 / f;

	/* 1/64 reads better than 1.5625% for strides; percent otherwise. */
	if (f < 1 && fabs(inv - round(inv)) < 1e-9 && inv >= 8 && ((long)round(inv) & ((long)round(inv) - 1)) == 0)
		snprintf(buf, len, "1/%ld", (long)round(inv));
	else
		snprintf(buf, len, "%g%%", f * 100);
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
