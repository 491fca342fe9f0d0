/* SPDX-License-Identifier: MIT */
/*
 * The mappings of a process as an array, what the tool groups its figures
 * by: ww_mappings() (the library's one reader of /proc/PID/maps) collected.
 */
#ifndef WW_TOOL_MAPS_H
#define WW_TOOL_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tool_map {
	uint64_t start, end;
	char perms[5];          /* "rw-p" */
	char *name;             /* path, "[heap]", "[stack]", or "" for anonymous memory */
};

struct tool_maps {
	struct tool_map *v;
	size_t n;
};

/* The mappings of pid (0: this process) into *m: 0 or -errno (-ESRCH: no such process). */
int tool_maps_read(pid_t pid, struct tool_maps *m);
void tool_maps_free(struct tool_maps *m);
/* Index of the mapping holding addr, or -1. */
long tool_maps_find(const struct tool_maps *m, uint64_t addr);
/* A label for people: the name, or "[anon]". */
const char *tool_map_label(const struct tool_map *map);

#endif /* WW_TOOL_MAPS_H */
