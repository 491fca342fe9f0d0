/* SPDX-License-Identifier: MIT */
/*
 * ww_mappings(): the mappings of a process, for callers that watch a whole
 * process (every writable mapping) and follow mappings as they come and go.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"
#include "procmaps.h"

/* Room for a line with a path of PATH_MAX bytes. */
#define LINE_CAP (4096 + 128)

struct walk {
	unsigned flags;
	ww_mapping_fn fn;
	void *arg;
};

static int one(const struct ww_vma *v, void *arg)
{
	struct walk *w = arg;
	struct ww_mapping m = {
		.size = sizeof(m),
		.start = v->start,
		.end = v->end,
		.prot = v->prot,
		.shared = v->shared,
		.offset = v->offset,
		.inode = v->inode,
		.dev_major = v->dev_major,
		.dev_minor = v->dev_minor,
		.name = v->name,
	};

	if ((w->flags & WW_MAPPINGS_WRITABLE) && !(v->prot & PROT_WRITE))
		return 0;
	return w->fn(&m, w->arg);
}

WW_API int ww_mappings(pid_t pid, unsigned flags, ww_mapping_fn fn, void *arg)
{
	struct walk w = { .flags = flags, .fn = fn, .arg = arg };
	char *line;
	int ret;

	if (pid < 0 || !fn || (flags & ~WW_MAPPINGS_WRITABLE))
		return -EINVAL;
	line = malloc(LINE_CAP);
	if (!line)
		return -ENOMEM;
	ret = ww_vmas_each_in(pid, line, LINE_CAP, 0, UINTPTR_MAX, 0, one, &w);
	free(line);
	return ret == -ENOENT ? -ESRCH : ret;
}
