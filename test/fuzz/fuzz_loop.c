/* fuzz_loop.c: init's whole event loop, run() of init.c, fed by what the
 * world can send it: lines (and garbage) on the control FIFO, entries
 * coming and going in SVDIR (hostile ones too: a 200-byte name, a symlink
 * with a 150-byte name, a service whose timeout-kill is a FIFO, a logger
 * that ignores SIGTERM), signals, processes ending, readiness, time.
 *
 * Everything between the events is init's real code: signalfd, the FIFO,
 * inotify, the status file, the shutdown phases. Only processes are fake
 * (fakes.h: vfork, kill, pipe2, close), and so are waitpid() (the fake
 * processes), the clock (time moves only when an event says so, or when
 * init waits with a timeout and nothing else is left to happen) and
 * exit() (it ends the input). poll() is where the events come in: each
 * call applies the next event of the input, then polls without waiting.
 *
 * When the input is used up, init gets SIGTERM (if it is not shutting
 * down already) and must then exit within 100,000 turns of its loop
 * without ever waiting forever: a shutdown that never ends (a process
 * that is never sent SIGKILL, a deadline never set) aborts, and so does
 * any invariant of the table (fakes.h check()) after any turn.
 *
 * Input: byte 0: which services' processes ignore SIGTERM (a bit each),
 * then events of 3 bytes OP X Y, OP mod 8:
 *   0  a command line on the FIFO (command X, service Y)
 *   1  the Y-th live process ends (how: X)
 *   2  time passes: X*7 ms, or up to the next deadline (Y odd)
 *   3  readiness newline on the Y-th readiness pipe   4  ...or it closes
 *   5  service Y is enabled or disabled (a symlink in SVDIR), or a
 *      hostile entry is made or removed
 *   6  a signal to init (X picks it)
 *   7  X raw bytes of the input go to the FIFO as they are
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fz_poll(struct pollfd *fds, nfds_t n, int timeout);
static pid_t fz_waitpid(pid_t pid, int *st, int flags);
static int fz_clock_gettime(clockid_t c, struct timespec *ts);
static void fz_exit(int code);
#define poll fz_poll
#define waitpid fz_waitpid
#define clock_gettime fz_clock_gettime
#define LIBC_CLOCK  /* init.h's clock_now() through clock_gettime */
#define exit fz_exit
#include "fakes.h"
#undef poll
#undef waitpid
#undef clock_gettime
#undef exit

static char fz_base[128], fz_sv[160], fz_dirs[160], fz_run[160];
static jmp_buf fz_jmp;
static int fz_ctl = -1;           /* the harness's write end of the FIFO */
static const uint8_t *fz_in;      /* the events not yet applied */
static size_t fz_left;
static unsigned fz_ignore_term;   /* bit k: service k's processes ignore TERM */
static long fz_turns;             /* poll() calls after the input ended */
static int fz_exited;

/* per fake process: 1 dying (ends at the next turn), 2 ended, not reaped */
static int fz_dead[FZ_PROCS], fz_status[FZ_PROCS];

#define FZ_NSVC 12
static const char *fz_names[FZ_NSVC] = {
	"a", "b", "c", "d", "e", "f", "g", "h",
	"fifo",  /* timeout-kill is a FIFO */
	"stubborn",  /* its logger ignores SIGTERM, timeout-kill 2000 */
	NULL, NULL,  /* hostile names: made in LLVMFuzzerInitialize */
};
static char fz_long_dir[201], fz_long_link[151];

/* ---- the fakes ---- */

static int fz_clock_gettime(clockid_t c, struct timespec *ts)
{
	(void)c;
	ts->tv_sec = fz_time / 1000;
	ts->tv_nsec = (long)(fz_time % 1000) * 1000000;
	return 0;
}

static void fz_exit(int code)
{
	(void)code;
	fz_exited = 1;
	longjmp(fz_jmp, 1);
}

/* the service a fake process belongs to (its index in fz_names), or -1 */
static int fz_owner_of(pid_t pid, int *logger)
{
	for (int i = 0; i < nslot; i++)
		if ((svc[i].flags & F_USED) && svc[i].pid == pid) {
			*logger = (svc[i].flags & F_LOGGER) != 0;
			for (int k = 0; k < FZ_NSVC; k++)
				if (fz_names[k] && !strcmp(svc[i].name, fz_names[k]))
					return k;
			return -1;
		}
	return -1;
}

static void fz_on_kill(int i, int sig)
{
	if (fz_dead[i] || sig == SIGSTOP || sig == SIGCONT || sig == SIGWINCH || sig == 0)
		return;
	int logger = 0, k = fz_owner_of(fz_proc[i].pid, &logger);
	if (sig != SIGKILL) {
		if (k == 9 && logger)
			return;  /* stubborn's logger: trap "" TERM */
		if (k >= 0 && (fz_ignore_term >> (k % 8) & 1))
			return;
	}
	fz_dead[i] = 1;
	fz_status[i] = sig;
}

static pid_t fz_waitpid(pid_t pid, int *st, int flags)
{
	int live = 0;
	for (int i = 0; i < fz_nproc; i++) {
		if (!fz_proc[i].alive || (pid > 0 && fz_proc[i].pid != pid))
			continue;
		live++;
		if (fz_dead[i] == 2) {
			fz_proc[i].alive = 0;
			fz_dead[i] = 0;
			if (st)
				*st = fz_status[i];
			return fz_proc[i].pid;
		}
	}
	if (live && (flags & WNOHANG))
		return 0;
	if (live)
		abort();  /* init would wait for ever */
	errno = ECHILD;
	return -1;
}

/* Processes that were sent a deadly signal die now: init gets SIGCHLD. */
static void fz_deaths(void)
{
	int any = 0;
	for (int i = 0; i < fz_nproc; i++)
		if (fz_proc[i].alive && fz_dead[i] == 1) {
			fz_dead[i] = 2;
			any = 1;
		}
	if (any)
		raise(SIGCHLD);
}

static void fz_end(int j, int status)
{
	if (fz_proc[j].alive && !fz_dead[j]) {
		fz_dead[j] = 2;
		fz_status[j] = status;
		raise(SIGCHLD);
	}
}

/* ---- SVDIR ---- */

static void fz_file(const char *dir, const char *file, const char *text, mode_t mode)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s/%s", fz_dirs, dir, file);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void fz_mkdir(const char *dir, const char *sub)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s%s%s", fz_dirs, dir, sub ? "/" : "", sub ? sub : "");
	mkdir(path, 0755);
}

static void fz_make_dirs(void)
{
	static const char run[] = "#!/bin/sh\nexec sleep 1000\n";
	mkdir(fz_dirs, 0755);
	mkdir(fz_sv, 0755);
	for (int i = 0; i < 10; i++) {
		fz_mkdir(fz_names[i], NULL);
		if (i != 5)
			fz_file(fz_names[i], "run", run, 0755);
	}
	fz_file("b", "notification-fd", "3\n", 0644);
	fz_mkdir("c", "log");
	fz_file("c", "log/run", run, 0755);
	fz_file("d", "finish", run, 0755);
	fz_file("d", "timeout-finish", "1000\n", 0644);
	fz_file("e", "down", "", 0644);
	fz_file("f", "timeout-kill", "abc\n", 0644);
	fz_mkdir("g", "log");
	fz_file("g", "log/run", run, 0755);
	fz_file("g", "log/notification-fd", "5\n", 0644);
	fz_file("g", "notification-fd", "4\n", 0644);
	fz_file("g", "restart", "never\n", 0644);
	fz_file("h", "max-failures", "2\n", 0644);
	fz_file("h", "restart", "on-failure\n", 0644);
	fz_file("h", "exitcodes", "0 3\n", 0644);
	fz_file("h", "down-signal", "HUP\n", 0644);
	char path[600];
	snprintf(path, sizeof path, "%s/fifo/timeout-kill", fz_dirs);
	mkfifo(path, 0644);
	fz_mkdir("stubborn", "log");
	fz_file("stubborn", "log/run", "#!/bin/sh\ntrap \"\" TERM; exec sleep 100000\n", 0755);
	fz_file("stubborn", "log/timeout-kill", "2000\n", 0644);
	fz_file("stubborn", "timeout-kill", "500\n", 0644);
}

static int fz_enabled(int k)
{
	char path[600];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", fz_sv, fz_names[k]);
	return lstat(path, &st) == 0;
}

static void fz_enable(int k, int on)
{
	char path[600], target[600];
	snprintf(path, sizeof path, "%s/%s", fz_sv, fz_names[k]);
	if (!on) {
		if (unlink(path) < 0 && errno == EISDIR) {
			snprintf(target, sizeof target, "%s/run", path);
			unlink(target);
			rmdir(path);
		}
		return;
	}
	if (k == 10) {  /* a dir with a 200-byte name, run inside */
		mkdir(path, 0755);
		snprintf(target, sizeof target, "%s/run", path);
		int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(target, sizeof target, "%s/%s", fz_dirs, k == 11 ? "a" : fz_names[k]);
	symlink(target, path);
}

/* ---- the events ---- */

static const char *const fz_cmds[] = {
	"up", "down", "restart", "once", "term", "kill", "hup", "stop", "cont",
	"rescan", "poweroff", "status",
};

static void fz_fifo(const void *p, size_t n)
{
	if (n && write(fz_ctl, p, n) < 0 && errno != EAGAIN)
		abort();
}

static void fz_event(unsigned op, unsigned x, unsigned y)
{
	switch (op) {
	case 0: {
		char line[300];
		int k = (int)(y % FZ_NSVC);
		snprintf(line, sizeof line, "%s %s @%u\n", fz_cmds[x % 12], fz_names[k],
			 x * 256 + y + 1);
		if (x % 12 == 9 || x % 12 == 10)  /* take no name */
			snprintf(line, sizeof line, "%s @%u\n", fz_cmds[x % 12], x + 1);
		fz_fifo(line, strlen(line));
		break;
	}
	case 1: {
		int live = 0;
		for (int j = 0; j < fz_nproc; j++)
			live += fz_proc[j].alive && !fz_dead[j];
		if (!live)
			break;
		int k = (int)(y % (unsigned)live), j = 0;
		for (;; j++)
			if (fz_proc[j].alive && !fz_dead[j] && k-- == 0)
				break;
		static const int how[] = { 0, 1 << 8, 125 << 8, 3 << 8, SIGTERM, SIGKILL, SIGSEGV, 127 << 8 };
		fz_end(j, how[x % 8]);
		break;
	}
	case 2:
		fz_time += (int64_t)(x + 1) * 7;
		break;
	case 3:
	case 4: {
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
		break;
	}
	case 5: {
		int k = (int)(y % FZ_NSVC);
		fz_enable(k, !fz_enabled(k));
		break;
	}
	case 6: {
		static const int sigs[] = {
			SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR, SIGWINCH, SIGCHLD,
			SIGTSTP, SIGTTIN, SIGTTOU, SIGQUIT, SIGHUP, SIGCHLD, SIGWINCH, SIGUSR1,
		};
		raise(sigs[x % 16]);
		break;
	}
	case 7: {
		size_t n = x < fz_left ? x : fz_left;
		fz_fifo(fz_in, n);
		fz_in += n, fz_left -= n;
		break;
	}
	}
}

/* what the table and the fake processes are, for a failure message */
static void fz_dump(void)
{
	for (int i = 0; i < nslot; i++)
		if (svc[i].flags & F_USED)
			fprintf(stderr, "  slot %d %s%s: state %d want %d pid %d deadline %lld flags %#x\n",
				i, svc[i].name, (svc[i].flags & F_LOGGER) ? "/log" : "", svc[i].state,
				svc[i].want, (int)svc[i].pid, (long long)svc[i].deadline, svc[i].flags);
	for (int i = 0; i < fz_nproc; i++)
		if (fz_proc[i].alive)
			fprintf(stderr, "  process %d: %s\n", (int)fz_proc[i].pid,
				fz_dead[i] ? "ended, not reaped" : "running");
	fprintf(stderr, "  phase %d, time %lld\n", phase, (long long)fz_time);
}

/* init's poll(): one event, then a look at what is ready now. */
static int fz_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	check();
	fz_deaths();
	int ended = fz_left < 3;
	if (!ended) {
		unsigned op = fz_in[0] % 8, x = fz_in[1], y = fz_in[2];
		fz_in += 3, fz_left -= 3;
		if (op == 2 && (y & 1) && timeout > 0)
			fz_time += timeout;  /* up to the next deadline */
		fz_event(op, x, y);
	} else {
		fz_left = 0;
		if (!shutting_down)
			raise(SIGTERM);
		if (++fz_turns > 100000) {
			fprintf(stderr, "fuzz_loop: shutdown never ends\n");
			fz_dump();
			abort();
		}
	}
	int r = poll(fds, n, 0);
	if (r == 0 && ended) {
		/* nothing happened and nothing will but time: init waits */
		if (timeout < 0) {
			int dying = 0;
			for (int i = 0; i < fz_nproc; i++)
				dying |= fz_proc[i].alive && fz_dead[i];
			if (!dying) {
				fprintf(stderr, "fuzz_loop: init waits for ever during shutdown\n");
				fz_dump();
				abort();
			}
		} else {
			fz_time += timeout;
		}
	}
	return r;
}

/* ---- setup, reset ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tmpdir(fz_base, sizeof fz_base, "fuzz_loop");
	snprintf(fz_sv, sizeof fz_sv, "%s/sv", fz_base);
	snprintf(fz_dirs, sizeof fz_dirs, "%s/svcs", fz_base);
	snprintf(fz_run, sizeof fz_run, "%s/run", fz_base);
	memset(fz_long_dir, 'A', 200);
	memset(fz_long_link, 'B', 150);
	fz_names[10] = fz_long_dir;
	fz_names[11] = fz_long_link;
	fz_make_dirs();
	errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);  /* init's say() */
	signal(SIGPIPE, SIG_IGN);
	fuzz_quiet_stdout();
	/* the signals init acts on come through a signalfd, as in init */
	sigset_t set;
	sigemptyset(&set);
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR,
				    SIGWINCH, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGQUIT };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	svdir = fz_sv;
	rundir = fz_run;
	mode = M_NESTED;
	if (sigfd < 0 || devnull < 0 || control_open() < 0)
		abort();
	char path[600];
	snprintf(path, sizeof path, "%s/control", fz_run);
	fz_ctl = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fz_ctl < 0)
		abort();
	svdir_open();
	fz_kill_hook = fz_on_kill;
	return 0;
}

static void fz_reset(void)
{
	fz_reset_table();
	memset(fz_dead, 0, sizeof fz_dead);
	for (int k = 0; k < FZ_NSVC; k++)
		fz_enable(k, k < 7);  /* h and the odd ones start disabled */
	fz_drain_inotify();
	/* init.c's state */
	phase = P_RUN;
	action = 'x';
	script_pid = main_pid = 0;
	main_status = -1;
	kill_deadline = main_deadline = 0;
	killed_hard = no_children = 0;
	shutting_down = booting = 0;
	/* the FIFO: an unfinished line ends here; then nothing is left */
	fz_fifo("\n", 1);
	control_input();
	struct signalfd_siginfo si[8];
	while (read(sigfd, si, sizeof si) > 0)
		;
	fz_turns = 0;
	fz_exited = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_reset();
	fz_check_leaks();
	fz_time = 1000000;
	clock_tick();
	if (size == 0)
		return 0;
	fz_ignore_term = data[0];
	fz_in = data + 1;
	fz_left = size - 1;
	if (!setjmp(fz_jmp)) {
		svdir_scan();  /* as init_main() ends */
		run();
	}
	if (!fz_exited)
		abort();
	for (int i = 0; i < fz_nproc; i++)
		if (fz_proc[i].alive) {
			fprintf(stderr, "fuzz_loop: init exited, process %d still alive\n",
				(int)fz_proc[i].pid);
			abort();
		}
	fz_reset_table();
	fz_check_leaks();
	return 0;
}
