/* SPDX-License-Identifier: MIT */
/*
 * Kernel interface for another process: ptrace, pidfds and
 * process_vm_readv/writev.  Nothing above this file calls them.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_ptrace.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

static int kp_ret(long r)
{
	return r < 0 ? -errno : (int)r;
}

int ww_kp_pidfd_open(pid_t pid)
{
	return kp_ret(syscall(SYS_pidfd_open, pid, 0));
}

int ww_kp_pidfd_getfd(int pidfd, int fd)
{
	return kp_ret(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
}

int ww_kp_seize(pid_t tid)
{
	return kp_ret(ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PTRACE_O_TRACESYSGOOD));
}

int ww_kp_interrupt(pid_t tid)
{
	return kp_ret(ptrace(PTRACE_INTERRUPT, tid, NULL, NULL));
}

int ww_kp_detach(pid_t tid)
{
	return kp_ret(ptrace(PTRACE_DETACH, tid, NULL, NULL));
}

int ww_kp_syscall(pid_t tid)
{
	return kp_ret(ptrace(PTRACE_SYSCALL, tid, NULL, NULL));
}

int ww_kp_cont(pid_t tid, int sig)
{
	return kp_ret(ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig));
}

int ww_kp_wait(pid_t tid, enum ww_kp_stop *why, int *sig)
{
	siginfo_t si;
	int status;

	/*
	 * Look first without collecting: when the caller is also the target's
	 * parent, its exit status must stay for the caller's own wait.
	 */
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | WNOWAIT | __WALL))
			break;
		if (errno != EINTR)
			return -errno;
	}
	if (si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED)
		return -ESRCH;
	while (waitpid(tid, &status, __WALL) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFSTOPPED(status))
		return -ESRCH;
	*sig = WSTOPSIG(status);
	if (*sig == (SIGTRAP | 0x80))
		*why = WW_KP_SYSCALL_STOP;
	else if (status >> 16 == PTRACE_EVENT_STOP)
		*why = WW_KP_EVENT_STOP;
	else
		*why = WW_KP_SIGNAL_STOP;
	return 0;
}

int ww_kp_getregs(pid_t tid, ww_regs *r)
{
	struct iovec iov = { .iov_base = r, .iov_len = sizeof(*r) };

	return kp_ret(ptrace(PTRACE_GETREGSET, tid, (void *)(long)NT_PRSTATUS, &iov));
}

int ww_kp_setregs(pid_t tid, const ww_regs *r)
{
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof(*r) };

	return kp_ret(ptrace(PTRACE_SETREGSET, tid, (void *)(long)NT_PRSTATUS, &iov));
}

int ww_kp_getsigmask(pid_t tid, uint64_t *mask)
{
	return kp_ret(ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(*mask), mask));
}

int ww_kp_setsigmask(pid_t tid, uint64_t mask)
{
	return kp_ret(ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(mask), &mask));
}

int ww_kp_seccomp_filter(pid_t tid, unsigned idx, struct sock_filter *buf, size_t cap)
{
	long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(long)idx, NULL);

	if (n < 0)
		return errno == EIO || errno == EINVAL ? -EOPNOTSUPP : -errno;
	if ((size_t)n > cap)
		return -E2BIG;
	return kp_ret(ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(long)idx, buf));
}

ssize_t ww_kp_read_mem(pid_t pid, uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return n < 0 ? -errno : n;
}

int ww_kp_kill(pid_t pid, int sig)
{
	return kp_ret(kill(pid, sig));
}

ssize_t ww_kp_write_mem(pid_t pid, uintptr_t addr, const void *buf, size_t len)
{
	struct iovec local = { .iov_base = (void *)buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	return n < 0 ? -errno : n;
}

int ww_kp_detach_sig(pid_t tid, int sig)
{
	return kp_ret(ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig));
}
