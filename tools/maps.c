/* SPDX-License-Identifier: MIT */
/* /proc/PID/maps for the tool (see maps.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"

/* One maps line: "start-end perms offset dev inode   name". */
static int parse_line(char *line, struct tool_map *map)
{
	int name_at = 0;
	char *nl = strchr(line, '\n');

	if (nl)
		*nl = 0;
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %*x %*x:%*x %*u %n", &map->start,
		   &map->end, map->perms, &name_at) < 3)
		return -EIO;
	map->name = strdup(name_at ? line + name_at : "");
	return map->name ? 0 : -ENOMEM;
}

int tool_maps_read(pid_t pid, struct tool_maps *m)
{
	char path[64], *line = NULL;
	size_t cap = 0, alloc = 0;
	FILE *f;
	int ret = 0;

	m->v = NULL;
	m->n = 0;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && getline(&line, &cap, f) > 0) {
		if (m->n == alloc) {
			struct tool_map *v = realloc(m->v, (alloc ? alloc * 2 : 64) * sizeof(*v));

			if (!v) {
				ret = -ENOMEM;
				break;
			}
			m->v = v;
			alloc = alloc ? alloc * 2 : 64;
		}
		ret = parse_line(line, &m->v[m->n]);
		if (!ret)
			m->n++;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	if (ret)
		tool_maps_free(m);
	return ret;
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
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->v[lo].start <= addr ? (long)lo : -1;
}

const char *tool_map_label(const struct tool_map *map)
{
	return map->name[0] ? map->name : "[anon]";
}
