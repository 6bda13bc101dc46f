/* fuzz_supervise.c: the supervisor's state machine (supervise.c), with
 * the real servicedir.c and control.c around it, driven by a fuzzed
 * sequence of events. No process is ever started or signalled: vfork(),
 * kill() and pipe2() are replaced by fakes (fakes.h) that hand out
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

#include "fakes.h"

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

/* ---- setup, reset ---- */

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

/* Forget everything, and enable the services as at the start. */
static void fz_reset(void)
{
	fz_reset_table();
	for (int k = 0; k < FZ_NSVC; k++)
		fz_enable(k, k != 7);  /* h starts disabled */
	fz_drain_inotify();
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
