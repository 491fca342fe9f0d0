/* SPDX-License-Identifier: MIT */
/* writewatch rate's tracking session (see rate_session.c). */
#ifndef WW_TOOL_RATE_SESSION_H
#define WW_TOOL_RATE_SESSION_H

#include <sys/types.h>

#include "rate.h"

/*
 * Track st->pid until it ends, st->o.duration_s is up, or SIGINT/SIGTERM,
 * handing every interval to rate_interval().  child: the command this tool
 * started (reaped when it ends), else 0.  0 or -errno; *why says what failed.
 */
int rate_session_run(struct rate_state *st, pid_t child, const char **why);

#endif /* WW_TOOL_RATE_SESSION_H */
