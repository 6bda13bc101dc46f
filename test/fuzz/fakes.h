/* fakes.h: the real supervisor (init.c, supervise.c, servicedir.c,
 * control.c) with no process ever started or signalled, for the harnesses
 * that drive it (fuzz_supervise.c, fuzz_names.c, fuzz_loop.c): vfork(),
 * kill() and pipe2() are replaced (macros, below) by fakes that hand out
 * made-up pids, record signals and keep a copy of each pipe's write end;
 * close() checks that the code closes only fds it owns and that are open.
 *
 * A harness may define more fakes as macros before including this file
 * (after the system headers), e.g. fuzz_loop.c's poll() and waitpid().
 * Also here: check(), the invariants of the slot table, the fd leak check
 * and the fake clock.
 */
#ifndef FUZZ_FAKES_H
#define FUZZ_FAKES_H
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the fakes (before the sources: the macros rename their calls) ---- */

#define FZ_PROCS 256
static struct { pid_t pid; int alive, killed; } fz_proc[FZ_PROCS];
static int fz_nproc;
static pid_t fz_next_pid = 1000;

static pid_t fz_vfork(void)
{
	if (fz_nproc == FZ_PROCS) {
		errno = EAGAIN;
		return -1;
	}
	fz_proc[fz_nproc].pid = fz_next_pid++;
	fz_proc[fz_nproc].alive = 1;
	fz_proc[fz_nproc].killed = 0;
	return fz_proc[fz_nproc++].pid;
}

static int fz_find_proc(pid_t pid)
{
	for (int i = 0; i < fz_nproc; i++)
		if (fz_proc[i].pid == pid && fz_proc[i].alive)
			return i;
	return -1;
}

/* a harness may act on each signal sent (fuzz_loop.c: processes die) */
static void (*fz_kill_hook)(int proc, int sig);

static int fz_kill(pid_t pid, int sig)
{
	if (pid == 0 || pid == -1)
		abort();  /* never everyone, never our own group */
	int i = fz_find_proc(pid < 0 ? -pid : pid);
	if (i < 0) {
		errno = ESRCH;
		return -1;
	}
	if (sig == SIGKILL)
		fz_proc[i].killed = 1;
	if (fz_kill_hook)
		fz_kill_hook(i, sig);
	return 0;
}

/* read end -> a copy of the write end, for events 3 and 4 */
#define FZ_FDS 1024
static int fz_wcopy[FZ_FDS];
/* who holds an fd: 1 the code under test (a pipe end it made), 2 the
 * harness (a copy of a write end) */
static char fz_owner[FZ_FDS];

static int fz_pipe2(int p[2], int flags)
{
	if (pipe2(p, flags) < 0)
		return -1;
	if (p[0] < FZ_FDS && p[1] < FZ_FDS) {
		if (fz_wcopy[p[0]] > 0) {
			fz_owner[fz_wcopy[p[0]]] = 0;
			close(fz_wcopy[p[0]]);
		}
		fz_wcopy[p[0]] = fcntl(p[1], F_DUPFD_CLOEXEC, 3);
		fz_owner[p[0]] = fz_owner[p[1]] = 1;
		if (fz_wcopy[p[0]] > 0 && fz_wcopy[p[0]] < FZ_FDS)
			fz_owner[fz_wcopy[p[0]]] = 2;
	}
	return 0;
}

/* The code under test never closes an fd that is not open (a double
 * close), nor one of the harness's. */
static int fz_close(int fd)
{
	if (fd >= 0 && fd < FZ_FDS && fz_owner[fd] == 2) {
		fprintf(stderr, "fuzz: the code closed fd %d, not its own\n", fd);
		abort();
	}
	if (fcntl(fd, F_GETFD) < 0) {
		fprintf(stderr, "fuzz: the code closed fd %d, which is not open\n", fd);
		abort();
	}
	if (fd >= 0 && fd < FZ_FDS)
		fz_owner[fd] = 0;
	return close(fd);
}

/* Opening a FIFO for reading or writing alone blocks until the other
 * end comes: PID 1 must never do it (a FIFO in place of a config file). */
static int fz_openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	struct stat st;
	if (!(flags & (O_NONBLOCK | O_PATH)) && (flags & O_ACCMODE) != O_RDWR &&
	    fstatat(dfd, path, &st, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
	    S_ISFIFO(st.st_mode)) {
		fprintf(stderr, "fuzz: init opens the FIFO %s without O_NONBLOCK: it would block\n", path);
		abort();
	}
	return openat(dfd, path, flags, mode);
}

#define openat fz_openat
#define vfork fz_vfork
#define kill fz_kill
#define pipe2 fz_pipe2
#define close fz_close

#include "checked.h"
#define main init_main_unused
#include "../../init.c"
#undef main
#include "../../supervise.c"
#include "../../servicedir.c"
#include "../../deps.c"
#define close_fd control_close_fd  /* supervise.c has one too */
#include "../../control.c"
#include "../../cgroup.c"
#undef close_fd
#undef openat
#undef vfork
#undef kill
#undef pipe2
#undef close

#define FUZZ_HAVE_SUPERVISE
#define FUZZ_HAVE_SERVICEDIR
#define FUZZ_HAVE_DEPS
#define FUZZ_HAVE_CONTROL
#define FUZZ_HAVE_CGROUP
#include "stubs.h"

/* ---- the invariants ---- */

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz: invariant failed: %s (line %d)\n", #cond, __LINE__); \
	abort(); } } while (0)

static void check(void)
{
	int services = 0;
	for (int fd = 0; fd < 3; fd++)
		CHECK(fcntl(fd, F_GETFD) >= 0);  /* init never closes 0, 1, 2 */
	CHECK(nslot >= 0 && nslot <= MAXSLOT);
	CHECK(nslot == 0 || (svc[nslot - 1].flags & F_USED));
	for (int i = 0; i < nslot; i++) {
		struct service *s = &svc[i];
		if (!(s->flags & F_USED)) {
			/* the event loop polls svc[i].notify of every slot below
			 * nslot, used or not */
			CHECK(s->notify < 0);
			continue;
		}
		CHECK(s->state <= S_FATAL);
		if (!(s->flags & F_LOGGER))
			services++;
		if (s->state == S_STARTING || s->state == S_UP || s->state == S_STOPPING ||
		    s->state == S_FINISHING) {
			CHECK(s->pid > 0);
			CHECK(fz_find_proc(s->pid) >= 0);
		}
		if (s->deadline)
			CHECK(s->state == S_STOPPING || s->state == S_FINISHING ||
			      s->state == S_BACKOFF);
		if (s->peer >= 0) {
			CHECK(s->peer < nslot);
			struct service *p = &svc[s->peer];
			CHECK(p->flags & F_USED);
			CHECK(p->peer == i);
			CHECK(((p->flags ^ s->flags) & F_LOGGER) != 0);
		} else {
			CHECK(!(s->flags & F_LOGGER));
		}
		int16_t fds[3] = { s->notify, s->logpipe[0], s->logpipe[1] };
		for (int k = 0; k < 3; k++)
			if (fds[k] >= 0)
				CHECK(fds[k] > 2 && fcntl(fds[k], F_GETFD) >= 0);
	}
	CHECK(services == nservices);
	/* every process init started is still in its table */
	for (int j = 0; j < fz_nproc; j++) {
		if (!fz_proc[j].alive)
			continue;
		int found = 0;
		for (int i = 0; i < nslot; i++)
			found |= (svc[i].flags & F_USED) && svc[i].pid == fz_proc[j].pid;
		CHECK(found);
	}
}

/* After fz_reset(): a pipe end the code made and did not close, though no
 * slot holds it any more, is a leak. (A count of open fds would not do:
 * libFuzzer's symbolizer opens pipes of its own now and then.) */
static void fz_check_leaks(void)
{
	for (int fd = 0; fd < FZ_FDS; fd++)
		if (fz_owner[fd] == 1 && fcntl(fd, F_GETFD) >= 0) {
			fprintf(stderr, "fuzz: fd %d leaked (a pipe end no slot holds)\n", fd);
			abort();
		}
	memset(fz_owner, 0, sizeof fz_owner);
}

static int64_t fz_time;

static void fz_set_time(int64_t t)
{
	fz_time = t;
	now_cached = t;
	now_stale = 0;
}

/* Forget everything: the table, the fakes, the flags of the pieces. */
static void fz_reset_table(void)
{
	for (int i = 0; i < nslot; i++) {
		svdir_unwatch(&svc[i]);
		if (svc[i].flags & F_USED) {
			int16_t fds[3] = { svc[i].notify, svc[i].logpipe[0], svc[i].logpipe[1] };
			for (int k = 0; k < 3; k++)
				if (fds[k] >= 0) {
					close(fds[k]);
					fz_owner[fds[k]] = 0;
				}
		}
	}
	memset(svc, 0, sizeof svc);
	nslot = 0;
	nservices = 0;
	free_hint = 0;
	memset(pid_hint, 0, sizeof pid_hint);
	timers_changed = 1;  /* the deadlines just cleared: look again */
	shutting_down = 0;
	for (int fd = 0; fd < FZ_FDS; fd++)
		if (fz_wcopy[fd] > 0) {
			close(fz_wcopy[fd]);
			fz_owner[fz_wcopy[fd]] = 0;
			fz_wcopy[fd] = 0;
		}
	fz_nproc = 0;
}

/* Throw away the inotify events not read yet. */
static void fz_drain_inotify(void)
{
	char buf[4096];
	while (inofd >= 0 && read(inofd, buf, sizeof buf) > 0)
		;
}

#endif
