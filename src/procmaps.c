/* SPDX-License-Identifier: MIT */
/*
 * /proc/self/maps and /proc/self/smaps, read line by line through a buffer
 * on the stack.  Only the head of each line is kept (a path name may be
 * longer than any buffer; nothing here needs it), so the walk allocates
 * nothing and calls only open/read/close: async-signal-safe.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel.h"
#include "procmaps.h"

/* Long enough for "lo-hi perms offset dev inode" and for smaps' VmFlags line. */
#define PM_LINE 256

/*
 * smaps is read in pieces shorter than any of its entries: the kernel
 * formats entries (walking the VMA's page tables for each) until a read's
 * buffer is full, so a 4 KiB read would format several VMAs beyond the last
 * one needed; this way it is one (the seq_file starts the next entry when a
 * read drains the current one).
 */
#define PM_SMAPS_READ 256

struct pm_reader {
	int fd;
	size_t pos, len, chunk;
	char buf[4096];
};

/*
 * The next line into line (at most cap - 1 bytes kept, the rest skipped),
 * NUL-terminated without its newline.  1 for a line, 0 at end, -errno.
 */
static int pm_line(struct pm_reader *r, char *line, size_t cap)
{
	size_t n = 0;
	bool any = false;

	for (;;) {
		char c;

		if (r->pos == r->len) {
			ssize_t got = read(r->fd, r->buf, r->chunk);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return -errno;
			if (got == 0)
				break;
			r->pos = 0;
			r->len = (size_t)got;
		}
		c = r->buf[r->pos++];
		any = true;
		if (c == '\n')
			break;
		if (n < cap - 1)
			line[n++] = c;
	}
	line[n] = 0;
	return any;
}

static uint64_t pm_num(const char **p, unsigned base)
{
	uint64_t v = 0;

	for (;; (*p)++) {
		char c = **p;
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return v;
		v = v * base + d;
	}
}

/* Expect character c at *p and step over it. */
static bool pm_eat(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Parse "lo-hi perms offset maj:min inode"; false if line is not a VMA head. */
static bool pm_head(const char *line, struct ww_vma *v)
{
	const char *p = line;

	memset(v, 0, sizeof(*v));
	v->start = (uintptr_t)pm_num(&p, 16);
	if (p == line || !pm_eat(&p, '-'))
		return false;
	v->end = (uintptr_t)pm_num(&p, 16);
	if (!pm_eat(&p, ' ') || strnlen(p, 5) < 5 || p[4] != ' ')
		return false;
	v->prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
		  (p[2] == 'x' ? PROT_EXEC : 0);
	v->shared = p[3] == 's';
	p += 5;
	v->offset = pm_num(&p, 16);
	if (!pm_eat(&p, ' '))
		return false;
	v->dev_major = (unsigned)pm_num(&p, 16);
	if (!pm_eat(&p, ':'))
		return false;
	v->dev_minor = (unsigned)pm_num(&p, 16);
	if (!pm_eat(&p, ' '))
		return false;
	v->inode = pm_num(&p, 10);
	while (*p == ' ')
		p++;
	v->name = p;
	return true;
}

/* Does the VmFlags line hold the two-letter flag f? */
static bool pm_flag(const char *line, const char *f)
{
	for (const char *p = line + 8; (p = strchr(p, ' ')); p++)
		if (p[1] == f[0] && p[2] == f[1] && (p[3] == ' ' || !p[3]))
			return true;
	return false;
}

/* One smaps field line of the current VMA; true when the entry is complete. */
static bool pm_smaps_field(const char *line, struct ww_vma *v)
{
	if (!strncmp(line, "KernelPageSize:", 15)) {
		const char *p = line + 15;

		while (*p == ' ')
			p++;
		v->pagesize = (size_t)pm_num(&p, 10) * 1024;
		return false;
	}
	if (strncmp(line, "VmFlags:", 8))
		return false;
	v->maywrite = pm_flag(line, "mw");
	v->hugetlb = pm_flag(line, "ht");
	v->hugepage = pm_flag(line, "hg");
	v->nohugepage = pm_flag(line, "nh");
	return true;            /* VmFlags ends every entry */
}

/* "/proc/<pid>/<file>" or "/proc/self/<file>", without snprintf (async-signal-safe). */
static void pm_path(char *buf, int pid, const char *file)
{
	char digits[16];
	size_t n = 0;

	strcpy(buf, "/proc/");
	if (!pid) {
		strcat(buf, "self");
	} else {
		for (unsigned v = (unsigned)pid; v; v /= 10)
			digits[n++] = (char)('0' + v % 10);
		buf += strlen(buf);
		while (n)
			*buf++ = digits[--n];
		*buf = 0;
	}
	strcat(buf, "/");
	strcat(buf, file);
}

int ww_vmas_each(uintptr_t a, uintptr_t b, unsigned flags, ww_vma_fn fn, void *arg)
{
	char line[PM_LINE];

	return ww_vmas_each_in(0, line, sizeof(line), a, b, flags, fn, arg);
}

int ww_vmas_each_in(int pid, char *line, size_t cap, uintptr_t a, uintptr_t b, unsigned flags,
		    ww_vma_fn fn, void *arg)
{
	bool smaps = flags & WW_VMAS_SMAPS, want = false;
	struct pm_reader r = { .fd = -1, .chunk = smaps ? PM_SMAPS_READ : sizeof(r.buf) };
	char path[48];
	struct ww_vma v;
	int ret = 0, got = 0;

	pm_path(path, pid, smaps ? "smaps" : "maps");
	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return -errno;
	while (!ret && (got = pm_line(&r, line, cap)) > 0) {
		if (pm_head(line, &v)) {
			if (smaps)
				v.name = "";    /* the line buffer is reused by the fields */
			if (v.start >= b)
				break;          /* ascending: nothing further overlaps */
			want = v.end > a;
			if (want && !smaps)
				ret = fn(&v, arg);
			continue;
		}
		if (want && smaps && pm_smaps_field(line, &v)) {
			want = false;
			ret = fn(&v, arg);
		}
	}
	if (!ret && got < 0)
		ret = got;
	close(r.fd);
	return ret;
}

struct pm_vec {
	struct ww_vma *v;
	size_t n, cap;
};

static int pm_collect(const struct ww_vma *vma, void *arg)
{
	struct pm_vec *vec = arg;

	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		struct ww_vma *nv = realloc(vec->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vec->v = nv;
		vec->cap = cap;
	}
	vec->v[vec->n++] = *vma;
	return 0;
}

int ww_vmas_get(uintptr_t a, uintptr_t b, unsigned flags, struct ww_vma **out, size_t *n)
{
	struct pm_vec vec = { 0 };
	int ret = ww_vmas_each(a, b, flags, pm_collect, &vec);

	if (ret) {
		free(vec.v);
		return ret;
	}
	*out = vec.v;
	*n = vec.n;
	return 0;
}

static int vma_writable(const struct ww_vma *v, void *arg)
{
	return v->prot & PROT_WRITE ? 0 : -EACCES;
}

int ww_writable(int maps_fd, uintptr_t start, uintptr_t end)
{
	char line[PM_LINE];
	int ret = ww_k_writable_in(maps_fd, start, end - start);

	/* Without PROCMAP_QUERY (Linux < 6.11, emulators, sandboxes): the text walk. */
	if (ret == -ENOTTY)
		return ww_vmas_each_in(0, line, sizeof(line), start, end, 0, vma_writable, NULL);
	if (ret < 0)
		return ret;
	return ret ? 0 : -EACCES;
}
