/* pid1_tools.c: small programs for test/pid1.bats, built at test time.
 *
 *   pid1_tools sigrec [-x SIG] FILE
 *       Records the signals HUP INT QUIT USR1 USR2 WINCH TERM ALRM it gets,
 *       one name a line, appended to FILE. Creates FILE.ready once it is
 *       set up. Exits 0 right after recording SIG (a name, e.g. TERM);
 *       without -x it runs until killed.
 *   pid1_tools sigwrap CMD [ARG...]
 *       Ignores INT CHLD PIPE HUP QUIT TSTP USR2 and blocks TERM USR1 USR2
 *       WINCH ALRM CHLD, then execs CMD: a parent that leaves a messy
 *       signal state behind.
 *   pid1_tools after FILE CMD [ARG...]
 *       Waits (up to 5 s) until FILE is not empty, then execs CMD; touches
 *       no signal state (unlike a shell, which may clear its mask).
 *   pid1_tools orphans N [FIFO]
 *       Forks N children and exits at once. The children wait for EOF, then
 *       all exit at the same moment: without FIFO, EOF on a pipe whose
 *       write end dies with the parent (so they exit as soon as they are
 *       orphans); with FIFO, EOF on FIFO (the test holds it open read-write
 *       and closes it when it has seen the orphans re-parented).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct {
	int sig;
	const char *name;
} recsigs[] = {
	{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
	{ SIGUSR1, "USR1" }, { SIGUSR2, "USR2" }, { SIGWINCH, "WINCH" },
	{ SIGTERM, "TERM" }, { SIGALRM, "ALRM" },
};
#define NREC (sizeof recsigs / sizeof recsigs[0])

static void die(const char *what)
{
	perror(what);
	exit(111);
}

static void append_line(const char *file, const char *text)
{
	char buf[64];
	size_t n = strlen(text);
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		die(file);
	memcpy(buf, text, n);
	buf[n++] = '\n';
	while (write(fd, buf, n) < 0)
		if (errno != EINTR)
			die("write");
	close(fd);
}

static int sigrec(int argc, char **argv)
{
	sigset_t set;
	int exitsig = 0;
	char ready[4096];
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < NREC; i++)
		sigaddset(&set, recsigs[i].sig);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask");
	if (argc == 4 && !strcmp(argv[1], "-x")) {
		for (i = 0; i < NREC; i++)
			if (!strcmp(argv[2], recsigs[i].name))
				exitsig = recsigs[i].sig;
		if (!exitsig) {
			fprintf(stderr, "sigrec: unknown signal %s\n", argv[2]);
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: sigrec [-x SIG] FILE\n");
		return 2;
	}
	snprintf(ready, sizeof ready, "%s.ready", argv[1]);
	close(open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	for (;;) {
		int s = sigwaitinfo(&set, NULL);
		if (s < 0) {
			if (errno == EINTR)
				continue;
			die("sigwaitinfo");
		}
		for (i = 0; i < NREC; i++)
			if (recsigs[i].sig == s)
				append_line(argv[1], recsigs[i].name);
		if (s == exitsig)
			return 0;
	}
}

static int sigwrap(char **argv)
{
	static const int ign[] = { SIGINT, SIGCHLD, SIGPIPE, SIGHUP, SIGQUIT, SIGTSTP, SIGUSR2 };
	static const int blk[] = { SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGCHLD };
	sigset_t set;
	size_t i;

	for (i = 0; i < sizeof ign / sizeof ign[0]; i++)
		if (signal(ign[i], SIG_IGN) == SIG_ERR)
			die("signal");
	sigemptyset(&set);
	for (i = 0; i < sizeof blk / sizeof blk[0]; i++)
		sigaddset(&set, blk[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die("sigprocmask");
	execvp(argv[0], argv);
	die(argv[0]);
	return 111;
}

static int after(char **argv)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 500; i++) {
		int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
		char c;
		ssize_t n = fd < 0 ? 0 : read(fd, &c, 1);
		if (fd >= 0)
			close(fd);
		if (n > 0)
			break;
		nanosleep(&ts, NULL);
	}
	execvp(argv[1], argv + 1);
	die(argv[1]);
	return 111;
}

static int orphans(int n, const char *fifo)
{
	int p[2], i, tries = 0;

	if (pipe(p) < 0)
		die("pipe");
	if (fifo) {
		int fd = open(fifo, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			die(fifo);
		/* reads must block until the test closes its end */
		if (fcntl(fd, F_SETFL, 0) < 0 || dup2(fd, p[0]) < 0)
			die("fcntl");
		close(fd);
	}
	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			if (errno != EAGAIN || ++tries > 500)
				die("fork");
			nanosleep(&ts, NULL);
			i--;
			continue;
		}
		if (pid == 0) {
			char c;
			close(p[1]);
			while (read(p[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "sigrec"))
		return sigrec(argc - 1, argv + 1);
	if (argc >= 3 && !strcmp(argv[1], "sigwrap"))
		return sigwrap(argv + 2);
	if (argc >= 4 && !strcmp(argv[1], "after"))
		return after(argv + 2);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "orphans"))
		return orphans(atoi(argv[2]), argc == 4 ? argv[3] : NULL);
	fprintf(stderr, "usage: pid1_tools sigrec|sigwrap|after|orphans ...\n");
	return 2;
}
