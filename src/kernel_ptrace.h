/* SPDX-License-Identifier: MIT */
/*
 * Kernel interface for another process: the only code in writewatch that
 * calls ptrace(), pidfd_open(), pidfd_getfd(), process_vm_readv() or
 * process_vm_writev(), and waits for a traced thread.  Every function returns >= 0 or -errno.
 */
#ifndef WW_KERNEL_PTRACE_H
#define WW_KERNEL_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

#include "arch_ptrace.h"

int ww_kp_pidfd_open(pid_t pid);
/* A duplicate of the target's descriptor fd (O_CLOEXEC). */
int ww_kp_pidfd_getfd(int pidfd, int fd);

/* PTRACE_SEIZE with PTRACE_O_TRACESYSGOOD; -EPERM without the right to attach. */
int ww_kp_seize(pid_t tid);
int ww_kp_interrupt(pid_t tid);
int ww_kp_detach(pid_t tid);
/* Resume to the next syscall entry or exit stop. */
int ww_kp_syscall(pid_t tid);
/* Resume, delivering sig (0: none). */
int ww_kp_cont(pid_t tid, int sig);

/* What a traced thread stopped for. */
enum ww_kp_stop {
	WW_KP_EVENT_STOP,       /* PTRACE_INTERRUPT or group stop */
	WW_KP_SYSCALL_STOP,     /* syscall entry or exit */
	WW_KP_SIGNAL_STOP,      /* a signal about to be delivered: *sig */
};

/*
 * Wait for tid's next stop.  When it exited or was killed instead, -ESRCH,
 * and its exit status is left for its parent to collect.
 */
int ww_kp_wait(pid_t tid, enum ww_kp_stop *why, int *sig);

int ww_kp_getregs(pid_t tid, ww_regs *r);
int ww_kp_setregs(pid_t tid, const ww_regs *r);
int ww_kp_getsigmask(pid_t tid, uint64_t *mask);
int ww_kp_setsigmask(pid_t tid, uint64_t mask);

/*
 * The target's seccomp filter number idx (0 is the newest) into buf:
 * returns its length in instructions, -ENOENT past the last one, -EACCES
 * without CAP_SYS_ADMIN, -EOPNOTSUPP if the kernel cannot tell.
 */
int ww_kp_seccomp_filter(pid_t tid, unsigned idx, struct sock_filter *buf, size_t cap);

/* Send sig to the process pid (a signal held back while it was stopped). */
int ww_kp_kill(pid_t pid, int sig);

/* Read len bytes at addr in pid's memory; returns the bytes read. */
ssize_t ww_kp_read_mem(pid_t pid, uintptr_t addr, void *buf, size_t len);

/* Write len bytes at addr in pid's memory; returns the bytes written. */
ssize_t ww_kp_write_mem(pid_t pid, uintptr_t addr, const void *buf, size_t len);
/* PTRACE_DETACH, delivering sig (0: none) as the thread goes on. */
int ww_kp_detach_sig(pid_t tid, int sig);

#endif /* WW_KERNEL_PTRACE_H */
