/* SPDX-License-Identifier: MIT */
/*
 * Injecting userfaultfd() into another process (as CRIU's compel does for
 * its parasite, minus the parasite): seize one thread, interrupt it, save
 * its registers and signal mask, block its signals, run each call at a
 * syscall instruction found in its own executable memory (the vDSO first)
 * with PTRACE_SYSCALL stops around it, then put everything back and detach.
 *
 * The cases that decide whether the target notices:
 * - a signal already on its way when the thread is interrupted is passed
 *   on untouched; later ones stay pending behind the blocked mask and are
 *   delivered after the detach;
 * - a thread interrupted inside a restartable system call (read(2),
 *   nanosleep(2)) gets its registers back rewound to restart it
 *   (ww_arch_fix_restart);
 * - a seccomp filter that would refuse, trap on or kill for userfaultfd()
 *   or close() is evaluated before anything runs (seccomp_eval.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel_ptrace.h"
#include "procmaps.h"
#include "remote.h"
#include "seccomp_eval.h"
#include "uapi.h"

struct inject {
	pid_t pid, tid;
	ww_regs saved;
	uint64_t saved_mask;
	uintptr_t insn;         /* a syscall instruction in the target */
	int held_sig;           /* a stop signal that arrived meanwhile, sent again at the end */
};

/* The thread to use: the leader, unless it exited (zombie) before the others. */
static pid_t pick_thread(pid_t pid)
{
	char path[64], buf[256], *p;
	pid_t tid = pid;
	int fd;
	ssize_t n;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pid;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	if (!p || (p[2] != 'Z' && p[2] != 'X'))
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return pid;
	while ((e = readdir(d)))
		if (atoi(e->d_name) > 0 && atoi(e->d_name) != pid) {
			tid = atoi(e->d_name);
			break;
		}
	closedir(d);
	return tid;
}

/* Wait for tid's next stop of kind want, passing on signals that are on their way. */
static int wait_for(struct inject *in, enum ww_kp_stop want)
{
	for (int traps = 0;;) {
		enum ww_kp_stop why;
		int sig, ret = ww_kp_wait(in->tid, &why, &sig);

		if (ret)
			return ret;
		if (why == want)
			return 0;
		if (why == WW_KP_EVENT_STOP) {
			/*
			 * A process stopped (SIGSTOP) when seized reports its group
			 * stop and then our interrupt: go on to the call.
			 */
			if (++traps > 4)
				return -EIO;
			ret = ww_kp_syscall(in->tid);
			if (ret)
				return ret;
			continue;
		}
		if (why != WW_KP_SIGNAL_STOP)
			return -EIO;    /* a stop we did not ask for */
		if (want == WW_KP_EVENT_STOP) {
			/* Before our stop: deliver it as if we were not there. */
			ret = ww_kp_cont(in->tid, sig);
		} else if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			/* Unblockable, or a stop mid-call: hold it and send it again after. */
			in->held_sig = sig;
			ret = ww_kp_syscall(in->tid);
		} else {
			return -EFAULT; /* a fault our call caused: stop injecting */
		}
		if (ret)
			return ret;
	}
}

struct find_insn {
	pid_t pid;
	bool vdso_only;
	uintptr_t found;
};

static int scan_exec(const struct ww_vma *v, void *arg)
{
	struct find_insn *f = arg;
	size_t step = sizeof(ww_arch_syscall_insn);
	unsigned char buf[4096];

	if (!(v->prot & PROT_EXEC) || !(v->prot & PROT_READ))
		return 0;
	if (f->vdso_only != !strcmp(v->name, "[vdso]"))
		return 0;
	for (uintptr_t at = v->start; at < v->end && at - v->start < (1u << 20); at += sizeof(buf)) {
		ssize_t n = ww_kp_read_mem(f->pid, at, buf, sizeof(buf));

		for (ssize_t i = 0; i + (ssize_t)step <= n; i += WW_ARCH_INSN_ALIGN) {
			if (!memcmp(buf + i, ww_arch_syscall_insn, step)) {
				f->found = at + (uintptr_t)i;
				return 1;
			}
		}
	}
	return 0;
}

/* A syscall instruction in the target's executable memory: the vDSO's, else any. */
static int find_insn(struct inject *in)
{
	struct find_insn f = { .pid = in->pid, .vdso_only = true };
	char *line = malloc(4096 + 128);
	int ret;

	if (!line)
		return -ENOMEM;
	ret = ww_vmas_each_in(in->pid, line, 4096 + 128, 0, UINTPTR_MAX, 0, scan_exec, &f);
	if (ret == 0) {
		f.vdso_only = false;
		ret = ww_vmas_each_in(in->pid, line, 4096 + 128, 0, UINTPTR_MAX, 0, scan_exec, &f);
	}
	free(line);
	if (ret < 0)
		return ret;
	if (!f.found)
		return -ENOEXEC;
	in->insn = f.found;
	return 0;
}

/* Run syscall nr(a0, a1) in the stopped thread; its result (>= 0 or -errno) in *res. */
static int run_call(struct inject *in, long nr, long a0, long a1, long *res)
{
	ww_regs r = in->saved;
	int ret;

	ww_arch_set_call(&r, in->insn, nr, a0, a1);
	ret = ww_kp_setregs(in->tid, &r);
	if (!ret)
		ret = ww_kp_syscall(in->tid);
	if (!ret)
		ret = wait_for(in, WW_KP_SYSCALL_STOP);        /* entry */
	if (!ret)
		ret = ww_kp_syscall(in->tid);
	if (!ret)
		ret = wait_for(in, WW_KP_SYSCALL_STOP);        /* exit */
	if (!ret)
		ret = ww_kp_getregs(in->tid, &r);
	if (!ret)
		*res = ww_arch_result(&r);
	return ret;
}

/* Would the target's seccomp filters let both calls through? */
static int seccomp_check(struct inject *in, long uffd_flags)
{
	int mode = ww_seccomp_mode(in->pid), ret;

	if (mode == 1)
		return -EACCES;         /* strict mode: read/write/exit only */
	if (mode != 2)
		return 0;
	ret = ww_seccomp_allows(in->tid, SYS_userfaultfd, uffd_flags, 0, in->insn);
	if (!ret)
		ret = ww_seccomp_allows(in->tid, SYS_userfaultfd, uffd_flags | UFFD_USER_MODE_ONLY,
					0, in->insn);
	if (!ret)
		ret = ww_seccomp_allows(in->tid, SYS_close, 3, 0, in->insn);
	return ret;
}

/* With the thread stopped and its state saved: create, take and close the fd. */
static int inject_calls(struct inject *in, int pidfd, int *fd, bool *user_only)
{
	long flags = O_CLOEXEC | O_NONBLOCK, tfd, cres;
	int ret = find_insn(in);

	if (!ret)
		ret = seccomp_check(in, flags);
	if (!ret)
		ret = run_call(in, SYS_userfaultfd, flags, 0, &tfd);
	*user_only = false;
	if (!ret && tfd == -EPERM) {
		/* No privilege for kernel faults in the target: async mode still sees them. */
		*user_only = true;
		ret = run_call(in, SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY, 0, &tfd);
	}
	if (ret)
		return ret;
	if (tfd < 0)
		return (int)tfd;
	*fd = ww_kp_pidfd_getfd(pidfd, (int)tfd);
	ret = run_call(in, SYS_close, tfd, 0, &cres);
	if (*fd < 0)
		return *fd;
	if (!ret && cres < 0)
		ret = (int)cres;
	if (ret) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

/* Put the thread back as it was and let it go. */
static int restore(struct inject *in)
{
	int ret;

	ww_arch_fix_restart(&in->saved);
	ret = ww_kp_setregs(in->tid, &in->saved);
	if (!ret)
		ret = ww_kp_setsigmask(in->tid, in->saved_mask);
	ww_kp_detach(in->tid);
	if (in->held_sig)
		ww_kp_kill(in->pid, in->held_sig);
	return ret;
}

int ww_remote_uffd(pid_t pid, int *fd, bool *user_only)
{
	struct inject in = { .pid = pid, .tid = pick_thread(pid) };
	int pidfd, ret;

	*fd = -1;
#ifdef WW_ARCH_NO_PTRACE
	return -EOPNOTSUPP;
#endif
	pidfd = ww_kp_pidfd_open(pid);
	if (pidfd < 0)
		return pidfd;
	ret = ww_kp_seize(in.tid);
	if (ret) {
		close(pidfd);
		return ret;     /* EPERM: no right to attach; also another tracer */
	}
	ret = ww_kp_interrupt(in.tid);
	if (!ret)
		ret = wait_for(&in, WW_KP_EVENT_STOP);
	if (!ret)
		ret = ww_kp_getregs(in.tid, &in.saved);
	if (!ret)
		ret = ww_kp_getsigmask(in.tid, &in.saved_mask);
	/* Everything blocked (SIGKILL and SIGSTOP cannot be): no handler runs meanwhile. */
	if (!ret)
		ret = ww_kp_setsigmask(in.tid, ~0ULL);
	if (ret) {
		ww_kp_detach(in.tid);
		close(pidfd);
		return ret;
	}
	ret = inject_calls(&in, pidfd, fd, user_only);
	if (restore(&in) && !ret) {
		ret = -ESRCH;
		close(*fd);
		*fd = -1;
	}
	close(pidfd);
	return ret;
}
