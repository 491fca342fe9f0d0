/* SPDX-License-Identifier: MIT */
/* The mappings of a process for the tool, from ww_mappings() (see maps.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "writewatch.h"
#include "maps.h"
#include "track_sorted.h"

struct collect {
	struct tool_maps *m;
	size_t alloc;
};

/* One mapping from the library's reader of /proc/PID/maps, with "rw-p" made back. */
static int collect_one(const struct ww_mapping *w, void *arg)
{
	struct collect *c = arg;
	struct tool_map *map;

	if (c->m->n == c->alloc) {
		size_t alloc = c->alloc ? c->alloc * 2 : 64;
		struct tool_map *v = realloc(c->m->v, alloc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->m->v = v;
		c->alloc = alloc;
	}
	map = &c->m->v[c->m->n];
	map->start = w->start;
	map->end = w->end;
	snprintf(map->perms, sizeof(map->perms), "%c%c%c%c", w->prot & PROT_READ ? 'r' : '-',
		 w->prot & PROT_WRITE ? 'w' : '-', w->prot & PROT_EXEC ? 'x' : '-',
		 w->shared ? 's' : 'p');
	map->name = strdup(w->name ? w->name : "");
	if (!map->name)
		return -ENOMEM;
	c->m->n++;
	return 0;
}

int tool_maps_read(pid_t pid, struct tool_maps *m)
{
	struct collect c = { m, 0 };
	int ret;

	m->v = NULL;
	m->n = 0;
	ret = ww_mappings(pid, 0, collect_one, &c);
	if (ret)
		tool_maps_free(m);
	return ret < 0 ? ret : 0;
}

void tool_maps_free(struct tool_maps *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

long tool_maps_find(const struct tool_maps *m, uint64_t addr)
{
	size_t i = track_first_ending_after(m->v, m->n, sizeof(*m->v),
					    offsetof(struct tool_map, end), addr);

	return i < m->n && m->v[i].start <= addr ? (long)i : -1;
}

const char *tool_map_label(const struct tool_map *map)
{
	return map->name[0] ? map->name : "[anon]";
}
