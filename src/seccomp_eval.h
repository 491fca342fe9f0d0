/* SPDX-License-Identifier: MIT */
/*
 * Would the target's seccomp filters let a system call through?  Injecting
 * userfaultfd() into a process whose filter kills on it would kill the
 * process, so the answer is needed before the call, not after.
 */
#ifndef WW_SECCOMP_EVAL_H
#define WW_SECCOMP_EVAL_H

#include <stdint.h>
#include <sys/types.h>

/* The target's seccomp mode from /proc/PID/status: 0 none, 1 strict, 2 filter; -errno. */
int ww_seccomp_mode(pid_t pid);

/*
 * With tid ptrace-stopped: 0 if every filter allows syscall nr with args
 * (two of them, the rest 0) from ip, -EACCES if one would refuse it, kill
 * or trap, or if the filters cannot be read (no CAP_SYS_ADMIN): the safe
 * answer is no.
 */
int ww_seccomp_allows(pid_t tid, long nr, long a0, long a1, uintptr_t ip);

/* One classic BPF filter run over seccomp data; returns its SECCOMP_RET_* value. */
struct sock_filter;
struct seccomp_data;
uint32_t ww_seccomp_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d);

#endif /* WW_SECCOMP_EVAL_H */
