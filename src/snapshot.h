/* SPDX-License-Identifier: MIT */
/*
 * Snapshots (a front end over the tracker): the saved content of a range,
 * as runs of saved pages, and what restore needs to put it back.
 */
#ifndef WW_SNAPSHOT_H
#define WW_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "writewatch.h"

/* Saved pages [start, end), their content at data + off. */
struct snap_run {
	uintptr_t start;
	uintptr_t end;
	size_t off;
};

struct ww_snapshot {
	struct ww_tracker *t;
	pid_t pid;                      /* the tracker's process (0: this one) */
	uintptr_t start;
	uintptr_t end;
	size_t gran;                    /* tracking unit of the range */
	bool owns_watch;                /* take watched the range: free unwatches it */
	/*
	 * Sorted, not overlapping.  A page of the range outside every run was
	 * a hole of private anonymous memory at take: it is restored by
	 * dropping it (it reads as zeros again, and costs no memory).
	 */
	struct snap_run *runs;
	size_t nr_runs;
	size_t cap_runs;
	unsigned char *data;            /* mmap'd, data_map bytes (0: none) */
	size_t data_len;
	size_t data_map;
	struct ww_region *buf;          /* restore's get buffer */
	size_t buf_len;
	struct ww_region *rbuf;         /* the re-arming get's */
	int maps_fd;                    /* this process's /proc/self/maps, for restore's checks */
};

/* snapshot_take.c: plan the runs of [s->start, s->end) and save their content. */
int ww_snap_save(struct ww_snapshot *s);
/* snapshot_mem.c: the range's memory, here or in the tracker's process (-errno). */
int ww_snap_read(const struct ww_snapshot *s, uintptr_t addr, void *buf, size_t len);
int ww_snap_write(const struct ww_snapshot *s, uintptr_t addr, const void *buf, size_t len);
/* Make [addr, addr+len) read as zeros: dropped here, zero-filled in another process. */
int ww_snap_hole(const struct ww_snapshot *s, uintptr_t addr, size_t len);
/* snapshot.c */
void ww_snap_release(struct ww_snapshot *s);

#endif /* WW_SNAPSHOT_H */
