/* fuzz_supervise.c: the supervisor's state machine (supervise.c), with
 * the real servicedir.c and control.c around it, driven by a fuzzed
 * sequence of events. No process is ever started or signalled: vfork(),
 * kill() and pipe2() are replaced (macros, below) by fakes that hand out
 * made-up pids, record signals and keep a copy of each pipe's write end.
 *
 * A fixed SVDIR of service dirs with different files (log/, finish,
 * notification-fd, down, restart never, max-failures, a broken one) is
 * made once. Each input is a list of events, one byte of opcode each:
 *   0  a command line, as svctl sends it (command name, service name)
 *   1  a fake process ends (which one, how: exit 0/1/125, TERM, KILL)
 *   2  time passes (up to ~13 s), and the deadlines are served
 *   3  a service writes its readiness newline     4  ...or closes that fd
 *   5  a service is enabled or disabled (symlink), seen as inotify would
 *   6  svdir_scan() (svctl rescan)                7  shutdown is asked for
 * After every event the invariants of the table are checked (see check()):
 * slots, pids, peers, fds; the code may never close an fd that is not
 * open. After each input everything is put back as it was, and no pipe
 * the code made may be left open without a slot holding it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
		fprintf(stderr, "fuzz_supervise: the code closed fd %d, not its own\n", fd);
		abort();
	}
	if (fcntl(fd, F_GETFD) < 0) {
		fprintf(stderr, "fuzz_supervise: the code closed fd %d, which is not open\n", fd);
		abort();
	}
	if (fd >= 0 && fd < FZ_FDS)
		fz_owner[fd] = 0;
	return close(fd);
}

#define vfork fz_vfork
#define kill fz_kill
#define pipe2 fz_pipe2
#define close fz_close

#define main init_main_unused
#include "../../init.c"
#undef main
#include "../../supervise.c"
#include "../../servicedir.c"
#include "../../control.c"
#undef vfork
#undef kill
#undef pipe2
#undef close

#define FUZZ_HAVE_SUPERVISE
#define FUZZ_HAVE_SERVICEDIR
#define FUZZ_HAVE_CONTROL
#include "stubs.h"

/* ---- the service dirs ---- */

static char fz_base[128], fz_sv[160], fz_dirs[160];

static const char *const fz_names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
#define FZ_NSVC 8

static void fz_file(const char *svc, const char *file, const char *text, mode_t mode)
{
	char path[400];
	snprintf(path, sizeof path, "%s/%s/%s", fz_dirs, svc, file);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void fz_make_dirs(void)
{
	char path[400];
	static const char run[] = "#!/bin/sh\nexec sleep 1000\n";
	mkdir(fz_dirs, 0755);
	mkdir(fz_sv, 0755);
	for (int i = 0; i < FZ_NSVC; i++) {
		snprintf(path, sizeof path, "%s/%s", fz_dirs, fz_names[i]);
		mkdir(path, 0755);
		if (i != 5)
			fz_file(fz_names[i], "run", run, 0755);
	}
	fz_file("b", "notification-fd", "3\n", 0644);       /* readiness */
	snprintf(path, sizeof path, "%s/c/log", fz_dirs);  /* a logger */
	mkdir(path, 0755);
	fz_file("c", "log/run", run, 0755);
	fz_file("d", "finish", run, 0755);                 /* finish */
	fz_file("d", "timeout-finish", "1000\n", 0644);
	fz_file("e", "down", "", 0644);                    /* down */
	fz_file("f", "timeout-kill", "abc\n", 0644);       /* fatal: no run, bad file */
	snprintf(path, sizeof path, "%s/g/log", fz_dirs);  /* logger + readiness + never */
	mkdir(path, 0755);
	fz_file("g", "log/run", run, 0755);
	fz_file("g", "log/notification-fd", "5\n", 0644);
	fz_file("g", "notification-fd", "4\n", 0644);
	fz_file("g", "restart", "never\n", 0644);
	fz_file("h", "max-failures", "2\n", 0644);         /* fatal after 2 */
	fz_file("h", "restart", "on-failure\n", 0644);
	fz_file("h", "exitcodes", "0 3\n", 0644);
	fz_file("h", "down-signal", "HUP\n", 0644);
}

static int fz_enabled(int k)
{
	char path[400];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", fz_sv, fz_names[k]);
	return lstat(path, &st) == 0;
}

static void fz_enable(int k, int on)
{
	char path[400], target[400];
	snprintf(path, sizeof path, "%s/%s", fz_sv, fz_names[k]);
	snprintf(target, sizeof target, "%s/%s", fz_dirs, fz_names[k]);
	if (on)
		symlink(target, path);
	else
		unlink(path);
}

/* ---- the invariants ---- */

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz_supervise: invariant failed: %s (line %d)\n", #cond, __LINE__); \
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

/* ---- setup, reset ---- */

static int64_t fz_time;

static void fz_set_time(int64_t t)
{
	fz_time = t;
	now_cached = t;
	now_stale = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tmpdir(fz_base, sizeof fz_base, "fuzz_supervise");
	snprintf(fz_sv, sizeof fz_sv, "%s/sv", fz_base);
	snprintf(fz_dirs, sizeof fz_dirs, "%s/svcs", fz_base);
	fz_make_dirs();
	errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);  /* init's say() */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	svdir = fz_sv;
	rundir = fz_base;
	svdir_open();
	fuzz_quiet_stdout();
	return 0;
}

/* After fz_reset(): a pipe end the code made and did not close, though no
 * slot holds it any more, is a leak. (A count of open fds would not do:
 * libFuzzer's symbolizer opens pipes of its own now and then.) */
static void fz_check_leaks(void)
{
	for (int fd = 0; fd < FZ_FDS; fd++)
		if (fz_owner[fd] == 1 && fcntl(fd, F_GETFD) >= 0) {
			fprintf(stderr, "fuzz_supervise: fd %d leaked (a pipe end no slot holds)\n", fd);
			abort();
		}
	memset(fz_owner, 0, sizeof fz_owner);
}

/* Forget everything: the table, the fakes, the flags of the pieces. */
static void fz_reset(void)
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
	shutting_down = 0;
	for (int fd = 0; fd < FZ_FDS; fd++)
		if (fz_wcopy[fd] > 0) {
			close(fz_wcopy[fd]);
			fz_owner[fz_wcopy[fd]] = 0;
			fz_wcopy[fd] = 0;
		}
	fz_nproc = 0;
	for (int k = 0; k < FZ_NSVC; k++)
		fz_enable(k, k != 7);  /* h starts disabled */
	char buf[4096];
	while (read(inofd, buf, sizeof buf) > 0)
		;
}

static const char *const fz_cmds[] = {
	"up", "down", "restart", "once", "term", "kill", "hup", "stop", "cont",
	"rescan", "up", "down",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_reset();
	fz_check_leaks();
	fz_set_time(1000000);
	svdir_scan();  /* init's start */
	check();
	for (size_t i = 0; i + 2 < size; i += 3) {
		unsigned op = data[i] % 8, x = data[i + 1], y = data[i + 2];
		switch (op) {
		case 0: {
			char line[128];
			snprintf(line, sizeof line, "%s %s @%u", fz_cmds[x % 12],
				 fz_names[y % FZ_NSVC], x * 256 + y + 1);
			if (x % 12 == 9)  /* rescan takes no name */
				snprintf(line, sizeof line, "rescan");
			command(line, strlen(line));
			break;
		}
		case 1: {  /* the y-th live process ends */
			int live = 0;
			for (int j = 0; j < fz_nproc; j++)
				live += fz_proc[j].alive;
			if (!live)
				break;
			int k = (int)(y % (unsigned)live), j = 0;
			for (;; j++)
				if (fz_proc[j].alive && k-- == 0)
					break;
			static const int how[] = { 0, 1 << 8, 125 << 8, 3 << 8, SIGTERM, SIGKILL, SIGHUP };
			int status = fz_proc[j].killed ? SIGKILL : how[x % 7];
			fz_proc[j].alive = 0;
			svc_reaped(fz_proc[j].pid, status);
			break;
		}
		case 2:
			fz_set_time(fz_time + (int64_t)(x + 1) * (y % 8 == 0 ? 50 : 7));
			svc_timers();
			break;
		case 3:
		case 4: {  /* readiness: a newline, or the fd closed */
			int n = 0;
			for (int s = 0; s < nslot; s++)
				n += (svc[s].flags & F_USED) && svc[s].notify >= 0;
			if (!n)
				break;
			int k = (int)(y % (unsigned)n), s = 0;
			for (;; s++)
				if ((svc[s].flags & F_USED) && svc[s].notify >= 0 && k-- == 0)
					break;
			int w = svc[s].notify < FZ_FDS ? fz_wcopy[svc[s].notify] : 0;
			if (w > 0) {
				if (op == 3 && write(w, "\n", 1) != 1)
					abort();
				if (op == 4) {
					fz_owner[w] = 0;
					close(w);
					fz_wcopy[svc[s].notify] = 0;
				}
			}
			svc_ready_input(&svc[s]);
			break;
		}
		case 5: {
			int k = (int)(y % FZ_NSVC);
			fz_enable(k, !fz_enabled(k));
			svdir_scan_one(fz_names[k]);
			break;
		}
		case 6:
			svdir_scan();
			break;
		case 7:
			if (x % 4 == 0)  /* rarely: shutdown ends the input's story */
				request_shutdown('x');
			break;
		}
		check();
	}
	fz_reset();
	fz_check_leaks();  /* no pipe end left open that no slot holds */
	return 0;
}
