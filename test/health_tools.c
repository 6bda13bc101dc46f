/* health_tools.c: a systemd notification client for test/health.bats,
 * built at test time (a C program starts fast even on a loaded machine).
 *
 *   health_tools notify [-f] [-b BYTES] [-p PID] [-r MS] [-l LOG] [-w FILE] TEXT [CMD [ARG...]]
 *       Sends TEXT ("\n" in it stands for a newline) as one datagram to
 *       $NOTIFY_SOCKET, then, with -w, waits (up to 20 s) until FILE
 *       exists (so the sender is still alive when init reads it), then
 *       execs CMD if given (the main process stays the same).
 *       -f  attaches fds 0, 1 and 2 (SCM_RIGHTS) to the datagram
 *       -b  pads the datagram with 'x' to BYTES bytes
 *       -p  claims to be PID in the credentials (root only)
 *       -r  sends TEXT again every MS ms, until FILE of -w exists
 *       -l  appends a line to LOG at each datagram sent
 *   health_tools freeze PID
 *       Stops PID for good, as a debugger does (PTRACE_SEIZE, then
 *       PTRACE_INTERRUPT), even PID 1, which ignores SIGSTOP; prints
 *       "frozen" and stays (the tracee runs again when the tracer ends).
 *       For test/qemu.bats: init stops feeding the hardware watchdog.
 *   health_tools flood N
 *       Sends N garbage datagrams (binary, empty, with fds, oversized)
 *       as fast as it can; exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int sock(struct sockaddr_un *a)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || strlen(path) >= sizeof a->sun_path) {
		fprintf(stderr, "health_tools: no usable NOTIFY_SOCKET\n");
		exit(2);
	}
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	return fd;
}

static int send_one(int fd, struct sockaddr_un *a, const char *buf, size_t len, int fds, pid_t pid)
{
	struct iovec iov = { (void *)buf, len };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(3 * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct msghdr m = { .msg_name = a, .msg_namelen = sizeof *a, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t clen = 0;
	struct cmsghdr *c = (struct cmsghdr *)ctl.b;
	if (pid) {
		struct ucred u = { .pid = pid, .uid = getuid(), .gid = getgid() };
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof u);
		memcpy(CMSG_DATA(c), &u, sizeof u);
		clen += CMSG_SPACE(sizeof u);
		c = (struct cmsghdr *)(ctl.b + clen);
	}
	if (fds) {
		int f[3] = { 0, 1, 2 };
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof f);
		memcpy(CMSG_DATA(c), f, sizeof f);
		clen += CMSG_SPACE(sizeof f);
	}
	if (clen) {
		m.msg_control = ctl.b;
		m.msg_controllen = clen;
	}
	return (int)sendmsg(fd, &m, 0);
}

int main(int argc, char **argv)
{
	struct sockaddr_un a;
	if (argc >= 3 && !strcmp(argv[1], "freeze")) {
		pid_t pid = atoi(argv[2]);
		int st;
		if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 ||
		    waitpid(pid, &st, __WALL) < 0) {
			perror("health_tools: freeze");
			return 1;
		}
		printf("frozen\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (argc >= 3 && !strcmp(argv[1], "flood")) {
		int fd = sock(&a), n = atoi(argv[2]);
		static char big[200000];
		memset(big, 0xff, sizeof big);
		for (int i = 0; i < n; i++) {
			switch (i % 5) {
			case 0: send_one(fd, &a, big, 5000, 0, 0); break;
			case 1: send_one(fd, &a, "", 0, 0, 0); break;
			case 2: send_one(fd, &a, "READY=1\0garbage\n\xff\xfe", 18, 1, 0); break;
			case 3: send_one(fd, &a, big, 100000, 1, 0); break;
			case 4: send_one(fd, &a, "\n\n=\nSTATUS\nWATCHDOG=2\nREADY=0", 28, 0, 0); break;
			}
		}
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "notify")) {
		fprintf(stderr, "usage: health_tools notify [-f] [-b BYTES] [-p PID] [-w FILE] TEXT [CMD...] | flood N\n");
		return 2;
	}
	int fds = 0, i = 2;
	size_t bytes = 0;
	pid_t pid = 0;
	const char *wait = NULL;
	long every = 0;
	const char *log = NULL;
	struct stat st;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-f"))
			fds = 1;
		else if (!strcmp(argv[i], "-b") && i + 1 < argc)
			bytes = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			pid = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-l") && i + 1 < argc)
			log = argv[++i];
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			every = atol(argv[++i]);
		else if (!strcmp(argv[i], "-w") && i + 1 < argc)
			wait = argv[++i];
	}
	if (i >= argc)
		return 2;
	static char buf[300000];
	size_t len = 0;
	for (const char *p = argv[i]; *p && len < sizeof buf - 1; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			buf[len++] = '\n';
			p++;
		} else {
			buf[len++] = *p;
		}
	}
	while (len < bytes && len < sizeof buf)
		buf[len++] = 'x';
	int fd = sock(&a);
	for (;;) {
		if (send_one(fd, &a, buf, len, fds, pid) < 0)
			perror("health_tools: sendmsg");
		if (log) {
			FILE *f = fopen(log, "a");
			if (f)
				fputs("sent\n", f), fclose(f);
		}
		if (!every || (wait && stat(wait, &st) == 0))
			break;
		struct timespec t = { every / 1000, every % 1000 * 1000000 };
		nanosleep(&t, NULL);
	}
	close(fd);
	if (wait && !every) {
		struct timespec ts = { 0, 20000000 };
		for (int k = 0; k < 1000 && stat(wait, &st) < 0; k++)
			nanosleep(&ts, NULL);
	}
	if (i + 1 < argc) {
		execvp(argv[i + 1], argv + i + 1);
		perror(argv[i + 1]);
		return 127;
	}
	return 0;
}
