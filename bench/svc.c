/* svc: the service used for every supervisor in the benchmark.
 * On start it writes one line "NAME PID SEC NSEC\n" (CLOCK_REALTIME) to the
 * FIFO named by $BENCH_FIFO, so the harness learns exactly when each instance
 * has been exec'd, without polling /proc. NAME is argv[1], else the basename
 * of the working directory (the service dir for every supervisor).
 * A name starting with "crash" exits 1 at once; any other waits forever. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *put_num(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

int main(int argc, char **argv)
{
	struct timespec ts;
	char cwd[512], line[700], *name, *p;
	const char *fifo = getenv("BENCH_FIFO");
	size_t len;
	int fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc > 1) {
		name = argv[1];
	} else if (getcwd(cwd, sizeof cwd)) {
		name = strrchr(cwd, '/');
		name = name ? name + 1 : cwd;
	} else {
		name = "?";
	}
	if (fifo) {
		len = strlen(name);
		if (len > 256)
			len = 256;
		memcpy(line, name, len);
		p = line + len;
		*p++ = ' ';
		p = put_num(p, (unsigned long)getpid());
		*p++ = ' ';
		p = put_num(p, (unsigned long)ts.tv_sec);
		*p++ = ' ';
		p = put_num(p, (unsigned long)ts.tv_nsec);
		*p++ = '\n';
		fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			/* one write < PIPE_BUF: atomic among all services */
			if (write(fd, line, (size_t)(p - line)) < 0) {
				/* the harness is gone: nothing to report to */
			}
			close(fd);
		}
	}
	if (strncmp(name, "crash", 5) == 0)
		return 1;
	for (;;)
		pause();
}
