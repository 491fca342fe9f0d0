/* SPDX-License-Identifier: MIT */
/* writewatch rate's tracking session (see rate_session.c). */
#ifndef WW_TOOL_RATE_SESSION_H
#define WW_TOOL_RATE_SESSION_H

#include <sys/types.h>

#include "rate.h"

/*
 * Track pid (or start cmd) until it ends, o->duration_s is up, or
 * SIGINT/SIGTERM; report every interval and the summary, draw the
 * pictures.  Returns the exit code (errors said on stderr).
 */
int rate_session_run(const struct rate_opts *o, pid_t pid, char **cmd);

#endif /* WW_TOOL_RATE_SESSION_H */
