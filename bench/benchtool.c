/* benchtool: the measuring half of `make bench` (bench/run is the driver).
 *
 *   benchtool tree [opts] -- CMD...   run one supervision tree, measure it
 *   benchtool time [-r R] [-a] -- CMD... [--then CMD...]...
 *                                     wall time of a command sequence
 *   benchtool mkdirs DIR N PREFIX SVC [crash]
 *                                     N service dirs DIR/PREFIXnnnn, run->SVC
 *   benchtool spawnloop N SVC [CGDIR] bare vfork+exec of N services (each
 *                                     in a cgroup of its own below CGDIR)
 *   benchtool incg CGDIR|- CMD...     enter cgroup CGDIR, exec CMD
 *   benchtool orphans N OUTFILE       (as main process of a PID-1 reaper)
 *   benchtool orphanlag N OUTFILE     (same; live orphans that exit at once)
 *   benchtool logpipe BYTES LINELEN -- CMD...
 *                                     pipe numbered lines into a logger
 *   benchtool logcheck DIR LINES LINELEN [full]
 *                                     verify what a logger kept
 *
 * Results are printed as key=value lines on stdout. Services are
 * bench/svc: each instance reports "NAME PID SEC NSEC" on the FIFO in
 * $BENCH_FIFO when it has been exec'd, so start and restart times are
 * taken from the service's own clock, with no polling.
 *
 * Safety: `tree` makes itself child subreaper and puts the supervisor in
 * its own session; it only ever signals its own descendants, by pid. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("benchtool: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---------- service table (filled from FIFO notifications) ---------- */

#define MAXSVC 4096
struct svc {
	char name[80];
	pid_t pid;        /* latest instance */
	pid_t prev;       /* instance before it */
	double first;     /* time of first start */
	double last;      /* time of latest start */
	unsigned starts;
};
static struct svc svcs[MAXSVC];
static int nsvcs;
static unsigned total_starts;
static int fifo_fd = -1;
static char fifo_path[256];
static char fifo_buf[65536];
static size_t fifo_len;

static struct svc *svc_find(const char *name, int create)
{
	for (int i = 0; i < nsvcs; i++)
		if (strcmp(svcs[i].name, name) == 0)
			return &svcs[i];
	if (!create || nsvcs == MAXSVC)
		return NULL;
	struct svc *s = &svcs[nsvcs++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	return s;
}

static int is_service_pid(pid_t pid)
{
	for (int i = 0; i < nsvcs; i++)
		if (svcs[i].pid == pid)
			return 1;
	return 0;
}

static void fifo_line(char *line)
{
	char name[80];
	long pid;
	unsigned long sec, nsec;
	if (sscanf(line, "%79s %ld %lu %lu", name, &pid, &sec, &nsec) != 4)
		return;
	struct svc *s = svc_find(name, 1);
	if (!s)
		return;
	double t = (double)sec + (double)nsec / 1e9;
	s->prev = s->pid;
	s->pid = (pid_t)pid;
	if (!s->starts)
		s->first = t;
	s->last = t;
	s->starts++;
	total_starts++;
}

static void fifo_read(void)
{
	for (;;) {
		ssize_t n = read(fifo_fd, fifo_buf + fifo_len, sizeof fifo_buf - fifo_len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			die("read fifo: %s", strerror(errno));
		}
		if (n == 0)
			return;
		fifo_len += (size_t)n;
		fifo_buf[fifo_len] = 0;
		char *p = fifo_buf, *nl;
		while ((nl = memchr(p, '\n', fifo_len - (size_t)(p - fifo_buf)))) {
			*nl = 0;
			fifo_line(p);
			p = nl + 1;
		}
		fifo_len -= (size_t)(p - fifo_buf);
		memmove(fifo_buf, p, fifo_len);
	}
}

static int make_fifo(char *path, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(path, size, "%s/benchfifo.%d", tmp ? tmp : "/tmp", (int)getpid());
	unlink(path);
	if (mkfifo(path, 0600) < 0)
		die("mkfifo %s: %s", path, strerror(errno));
	/* O_RDWR: we never see EOF, and writers never get ENXIO */
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	fcntl(fd, F_SETPIPE_SZ, 1 << 20);
	setenv("BENCH_FIFO", path, 1);
	snprintf(fifo_path, sizeof fifo_path, "%s", path);
	return fd;
}

/* ---------- children and events ---------- */

#define MAXREAPED 256
static pid_t top_pid;
static int top_status = -1;
static double top_exit_time;
static int sig_fd = -1;
static pid_t watch_pid[8];
static int watch_status[8];
static int nwatch;

static void watch(pid_t pid)
{
	if (nwatch < 8) {
		watch_pid[nwatch] = pid;
		watch_status[nwatch++] = -1;
	}
}

static int watched_status(pid_t pid)
{
	for (int i = 0; i < nwatch; i++)
		if (watch_pid[i] == pid)
			return watch_status[i];
	return -1;
}

static int no_children;

static void reap(void)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				no_children = 1;
			return;
		}
		if (p == 0)
			return;
		if (p == top_pid) {
			top_status = st;
			top_exit_time = now();
		}
		for (int i = 0; i < nwatch; i++)
			if (watch_pid[i] == p)
				watch_status[i] = st;
	}
}

static void kill_tree_by_pid(void);
static int interrupted;

/* Wait up to timeout seconds for events; handle them. */
static void pump(double timeout)
{
	struct pollfd pf[2] = {{fifo_fd, POLLIN, 0}, {sig_fd, POLLIN, 0}};
	int ms = timeout <= 0 ? 0 : (int)(timeout * 1000 + 0.999);
	int n = poll(pf, 2, ms);
	if (n < 0 && errno != EINTR)
		die("poll: %s", strerror(errno));
	if (n > 0 && (pf[0].revents & POLLIN))
		fifo_read();
	if (n > 0 && (pf[1].revents & POLLIN)) {
		struct signalfd_siginfo si;
		while (read(sig_fd, &si, sizeof si) == (ssize_t)sizeof si)
			if (si.ssi_signo != SIGCHLD)
				interrupted = (int)si.ssi_signo;
	}
	reap();
	if (interrupted) {
		/* never leave a tree behind: kill our descendants, by pid */
		fprintf(stderr, "benchtool: interrupted, killing the tree\n");
		for (int tries = 0; tries < 50 && !no_children; tries++) {
			kill_tree_by_pid();
			usleep(20000);
			reap();
		}
		if (fifo_path[0])
			unlink(fifo_path);
		/* die of the signal: a shell running us stops too (bash goes
		 * on after a child that only exits 130 on SIGINT) */
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, interrupted);
		signal(interrupted, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(interrupted);
		exit(128 + interrupted);
	}
}

static void pump_for(double secs)
{
	double end = mono() + secs;
	double left;
	while ((left = end - mono()) > 0)
		pump(left);
}

static void setup_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_fd < 0)
		die("signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
}

static void child_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	signal(SIGPIPE, SIG_DFL);
}

static pid_t spawn(char **argv, int newsession, const char *out)
{
	pid_t p = fork();
	if (p < 0)
		die("fork: %s", strerror(errno));
	if (p == 0) {
		child_signals();
		if (newsession)
			setsid();
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		execvp(argv[0], argv);
		fprintf(stderr, "benchtool: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return p;
}

static pid_t spawn_sh(const char *cmd)
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	return spawn(argv, 0, NULL);
}

/* ---------- /proc ---------- */

struct proc {
	pid_t pid, ppid;
	char comm[32];
	int mark;
};
static struct proc *procs;
static int nprocs, cprocs;

static void scan_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (!d)
		die("opendir /proc: %s", strerror(errno));
	nprocs = 0;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *l = strchr(buf, '('), *r = strrchr(buf, ')');
		if (!l || !r)
			continue;
		if (nprocs == cprocs) {
			cprocs = cprocs ? cprocs * 2 : 1024;
			procs = realloc(procs, (size_t)cprocs * sizeof *procs);
			if (!procs)
				die("out of memory");
		}
		struct proc *p = &procs[nprocs++];
		p->pid = atoi(e->d_name);
		size_t cl = (size_t)(r - l - 1);
		if (cl >= sizeof p->comm)
			cl = sizeof p->comm - 1;
		memcpy(p->comm, l + 1, cl);
		p->comm[cl] = 0;
		char state;
		int ppid = 0;
		sscanf(r + 2, "%c %d", &state, &ppid);
		p->ppid = ppid;
		p->mark = 0;
	}
	closedir(d);
}

static struct proc *proc_of(pid_t pid)
{
	for (int i = 0; i < nprocs; i++)
		if (procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

/* Mark: 1 = descendant of us, 2 = excluded (service, hook, tracer, and
 * their descendants). Returns the supervisor pids (descendants not
 * excluded) in out[], their count as result. */
static int supervisor_pids(pid_t *out, int max, const pid_t *excl, int nexcl)
{
	pid_t self = getpid();
	scan_procs();
	int changed = 1;
	while (changed) {
		changed = 0;
		for (int i = 0; i < nprocs; i++) {
			struct proc *p = &procs[i];
			if (p->mark)
				continue;
			int m = 0;
			if (p->ppid == self) {
				m = 1;
			} else {
				struct proc *pp = proc_of(p->ppid);
				if (pp && pp->mark)
					m = pp->mark;
			}
			if (m) {
				if (is_service_pid(p->pid))
					m = 2;
				for (int k = 0; k < nexcl; k++)
					if (excl[k] == p->pid)
						m = 2;
				p->mark = m;
				changed = 1;
			}
		}
	}
	int n = 0;
	for (int i = 0; i < nprocs && n < max; i++)
		if (procs[i].mark == 1)
			out[n++] = procs[i].pid;
	return n;
}

static long read_field_kb(pid_t pid, const char *file, const char *key)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	size_t kl = strlen(key);
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ':')
			return atol(p + kl + 1);
	return -1;
}

/* CPU time (ns) spent by a process so far: schedstat if present, else
 * utime+stime ticks. */
static long long cpu_ns(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			return atoll(buf);
		}
	}
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *r = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (!r || sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long long)(ut + st) * (1000000000LL / sysconf(_SC_CLK_TCK));
}

/* cutime + cstime: CPU ticks of the reaped children of pid */
static long long child_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *r = strrchr(buf, ')');
	long long cut = 0, cst = 0;
	if (!r || sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %lld %lld", &cut, &cst) != 2)
		return 0;
	return cut + cst;
}

static long long wakeups(pid_t pid)
{
	long v = read_field_kb(pid, "status", "voluntary_ctxt_switches");
	long nv = read_field_kb(pid, "status", "nonvoluntary_ctxt_switches");
	return (v < 0 || nv < 0) ? -1 : v + nv;
}

/* ---------- tree ---------- */

static void kill_tree_by_pid(void)
{
	pid_t pids[8192];
	/* everything below us: supervisors and services alike */
	int saved = nsvcs;
	nsvcs = 0;
	int n = supervisor_pids(pids, 8192, NULL, 0);
	nsvcs = saved;
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
}

static void print_list(const char *key, double *v, int n, double scale)
{
	printf("%s=", key);
	for (int i = 0; i < n; i++)
		printf("%s%.3f", i ? "," : "", v[i] * scale);
	printf("\n");
}

static void usage_tree(void)
{
	die("usage: tree -n N [-T up_timeout] [-m] [-x hookcmd] [-i idle_secs] [-o strace_out] "
	    "[-k kills] [-c crash_secs] [-X posthook] [-s SIGNAL] [-S stopcmd] [-O tree_output] [-Q] [-N] -- CMD...\n"
	    "  -N: the idle strace counts the supervisors' own calls, not their children's");
}

static int parse_sig(const char *s)
{
	static const struct { const char *n; int s; } t[] = {
		{"TERM", SIGTERM}, {"HUP", SIGHUP}, {"INT", SIGINT}, {"KILL", SIGKILL},
		{"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].s;
	return atoi(s);
}

/* Run CMD with sh while serving events; $BENCH_TOP is the tree's top pid. */
static void run_hook(const char *cmd)
{
	char topbuf[32];
	snprintf(topbuf, sizeof topbuf, "%d", (int)top_pid);
	setenv("BENCH_TOP", topbuf, 1);
	pid_t h = spawn_sh(cmd);
	watch(h);
	while (watched_status(h) < 0)
		pump(1);
	if (watched_status(h) != 0)
		printf("hook_status=%d\n", watched_status(h));
}

static int count_up(void)
{
	int n = 0;
	for (int i = 0; i < nsvcs; i++)
		if (svcs[i].starts)
			n++;
	return n;
}

static int cmd_tree(int argc, char **argv)
{
	int n_expected = -1, mem = 0, kills = 0, opt, stopsig = 0;
	double up_timeout = 60, idle = 0, crash = 0;
	const char *hook = NULL, *posthook = NULL, *stopcmd = NULL, *strace_out = NULL, *treeout = NULL;
	int untimed_stop = 0, nofollow = 0;
	while ((opt = getopt(argc, argv, "+n:T:mx:X:i:k:c:s:S:o:O:QN")) != -1) {
		switch (opt) {
		case 'n': n_expected = atoi(optarg); break;
		case 'T': up_timeout = atof(optarg); break;
		case 'm': mem = 1; break;
		case 'x': hook = optarg; break;
		case 'X': posthook = optarg; break;
		case 'i': idle = atof(optarg); break;
		case 'k': kills = atoi(optarg); break;
		case 'c': crash = atof(optarg); break;
		case 's': stopsig = parse_sig(optarg); break;
		case 'S': stopcmd = optarg; break;
		case 'o': strace_out = optarg; break;
		case 'O': treeout = optarg; break;
		case 'Q': untimed_stop = 1; break;
		case 'N': nofollow = 1; break;
		default: usage_tree();
		}
	}
	if (optind >= argc || n_expected < 0)
		usage_tree();
	char **cmd = argv + optind;
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_nofile();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("subreaper: %s", strerror(errno));
	setup_signals();
	char fifo[256];
	fifo_fd = make_fifo(fifo, sizeof fifo);
	int ok = 1;

	/* start */
	double t0 = now();
	top_pid = spawn(cmd, 1, treeout);
	double deadline = mono() + up_timeout;
	int want = n_expected ? n_expected : 1;
	while (count_up() < want && mono() < deadline && top_status < 0)
		pump(deadline - mono());
	int up = count_up();
	printf("top_pid=%d\n", (int)top_pid);
	if (up < want) {
		printf("error=only %d of %d services up (top %s)\n", up, want,
		       top_status < 0 ? "running" : "exited");
		ok = 0;
		goto stop;
	}
	double tlast = 0, tfirst = 1e300;
	for (int i = 0; i < nsvcs; i++) {
		if (svcs[i].first > tlast)
			tlast = svcs[i].first;
		if (svcs[i].first < tfirst)
			tfirst = svcs[i].first;
	}
	printf("up_ms=%.3f\n", (tlast - t0) * 1e3);
	printf("first_up_ms=%.3f\n", (tfirst - t0) * 1e3);
	{
		/* how the starts spread: the 10th, 50th and 90th percentile */
		double *ft = calloc((size_t)nsvcs, sizeof *ft);
		for (int i = 0; i < nsvcs; i++)
			ft[i] = svcs[i].first - t0;
		qsort(ft, (size_t)nsvcs, sizeof *ft, cmp_dbl);
		printf("up_p10_ms=%.3f\nup_p50_ms=%.3f\nup_p90_ms=%.3f\n", ft[nsvcs / 10] * 1e3,
		       ft[nsvcs / 2] * 1e3, ft[nsvcs * 9 / 10] * 1e3);
		free(ft);
	}
	/* let stragglers (a second instance, a late logger) settle */
	pump_for(0.3);

	pid_t sup[8192];
	if (mem) {
		int ns = supervisor_pids(sup, 8192, NULL, 0);
		long rss = 0, pss = 0;
		for (int i = 0; i < ns; i++) {
			long r = read_field_kb(sup[i], "smaps_rollup", "Rss");
			long p = read_field_kb(sup[i], "smaps_rollup", "Pss");
			if (r > 0)
				rss += r;
			if (p > 0)
				pss += p;
		}
		long long cpu = 0;
		for (int i = 0; i < ns; i++) {
			long long c = cpu_ns(sup[i]);
			if (c > 0)
				cpu += c;
		}
		printf("nsup=%d\nrss_kb=%ld\npss_kb=%ld\nsup_cpu_ms=%.3f\n", ns, rss, pss, (double)cpu / 1e6);
	}

	if (hook)
		run_hook(hook);

	if (idle > 0) {
		int ns = supervisor_pids(sup, 8192, NULL, 0);
		unsigned s0 = total_starts;
		long long w0 = 0, w1 = 0, c0 = 0, c1 = 0, k0 = 0, k1 = 0;
		for (int i = 0; i < ns; i++) {
			w0 += wakeups(sup[i]);
			c0 += cpu_ns(sup[i]);
			k0 += child_cpu_ticks(sup[i]);
		}
		double a = mono();
		pump_for(idle);
		double b = mono();
		for (int i = 0; i < ns; i++) {
			w1 += wakeups(sup[i]);
			c1 += cpu_ns(sup[i]);
			k1 += child_cpu_ticks(sup[i]);
		}
		printf("idle_secs=%.3f\nidle_wakeups=%lld\nidle_cpu_us=%.1f\nidle_starts=%u\n",
		       b - a, w1 - w0, (double)(c1 - c0) / 1e3, total_starts - s0);
		/* CPU of the children the supervisors reaped (checks, say) */
		printf("idle_child_cpu_us=%.1f\n", (double)(k1 - k0) * 1e6 / (double)sysconf(_SC_CLK_TCK));
		/* syscalls: strace attached to every supervisor pid */
		char outf[300];
		snprintf(outf, sizeof outf, "%s", strace_out ? strace_out : "/tmp/bench-strace.out");
		unlink(outf);
		char **sargv = calloc((size_t)ns * 2 + 16, sizeof *sargv);
		int k = 0;
		sargv[k++] = "strace";
		sargv[k++] = nofollow ? "-q" : "-f";
		sargv[k++] = "-qq";
		sargv[k++] = "-o";
		sargv[k++] = outf;
		char (*pb)[16] = calloc((size_t)ns, 16);
		for (int i = 0; i < ns; i++) {
			snprintf(pb[i], 16, "%d", (int)sup[i]);
			sargv[k++] = "-p";
			sargv[k++] = pb[i];
		}
		sargv[k] = NULL;
		pid_t st = spawn(sargv, 0, "/dev/null");
		watch(st);
		a = mono();
		pump_for(idle);
		kill(st, SIGINT);
		while (watched_status(st) < 0)
			pump(1);
		b = mono();
		FILE *f = fopen(outf, "r");
		long calls = 0;
		char line[4096], names[512] = "";
		if (f) {
			while (fgets(line, sizeof line, f)) {
				/* count completed calls: a call split by strace is
				 * counted at its "resumed" half; a call still blocked
				 * at detach never completed (and the one each process
				 * was blocked in at attach is restarted, not new) */
				int resumed = strstr(line, " resumed>") != NULL;
				if (!resumed && (strstr(line, "<unfinished ...>") || strstr(line, "<detached ...>") ||
				                 strstr(line, "+++") || strstr(line, "---")))
					continue;
				calls++;
				/* "PID name(" with -f, "[pid N] name(" or "name(" without */
				char *sp = line[0] >= '0' && line[0] <= '9' ? strchr(line, ' ') :
					   line[0] == '[' && strchr(line, ']') ? strchr(line, ']') + 1 : line;
				if (sp) {
					char nm[40];
					while (*sp == ' ')
						sp++;
					if (strncmp(sp, "<... ", 5) == 0)
						sp += 5;
					if (sscanf(sp, "%39[a-z0-9_]", nm) == 1 && !strstr(names, nm) &&
					    strlen(names) + strlen(nm) + 2 < sizeof names) {
						strcat(names, names[0] ? "," : "");
						strcat(names, nm);
					}
				}
			}
			fclose(f);
		}
		int sst = watched_status(st);
		if (!f || (WIFEXITED(sst) && WEXITSTATUS(sst) == 127))
			calls = -1; /* strace missing or failed */
		printf("idle_strace_secs=%.3f\nidle_syscalls=%ld\nidle_syscall_names=%s\n",
		       b - a, calls, names[0] ? names : "-");
		free(sargv);
		free(pb);
	}

	if (kills > 0) {
		double lat[256];
		int nl = 0;
		for (int i = 0; i < nsvcs && nl < kills && nl < 256; i++) {
			struct svc *s = &svcs[i];
			if (strncmp(s->name, "crash", 5) == 0 || !s->pid)
				continue;
			/* stable: up for 5.5 s (ours: >= 5 s; runit, s6: >= 1 s) */
			double age = now() - s->last;
			if (age < 5.5)
				pump_for(5.5 - age);
			pid_t old = s->pid;
			unsigned st0 = s->starts;
			double k0 = now();
			if (kill(old, SIGKILL) < 0)
				die("kill %d: %s", (int)old, strerror(errno));
			double dl = mono() + 5;
			while (s->starts == st0 && mono() < dl)
				pump(dl - mono());
			if (s->starts == st0) {
				printf("error=%s not restarted within 5 s\n", s->name);
				ok = 0;
				break;
			}
			lat[nl++] = s->last - k0;
			pump_for(0.05);
		}
		print_list("restart_ms", lat, nl, 1e3);
	}

	if (crash > 0) {
		struct svc *c = NULL;
		for (int i = 0; i < nsvcs; i++)
			if (strncmp(svcs[i].name, "crash", 5) == 0)
				c = &svcs[i];
		if (!c) {
			printf("error=no crash service seen\n");
			ok = 0;
			goto stop;
		}
		/* supervisor pids alive at both ends of the window */
		pid_t a_pids[8192];
		long long a_cpu[8192];
		int na = supervisor_pids(a_pids, 8192, NULL, 0);
		for (int i = 0; i < na; i++)
			a_cpu[i] = cpu_ns(a_pids[i]);
		unsigned st0 = c->starts;
		double a = mono();
		pump_for(crash);
		double b = mono();
		unsigned starts = c->starts - st0;
		long long d = 0;
		int persist = 0;
		for (int i = 0; i < na; i++) {
			long long v = cpu_ns(a_pids[i]);
			if (v >= 0 && a_cpu[i] >= 0) {
				d += v - a_cpu[i];
				persist++;
			}
		}
		printf("crash_secs=%.3f\ncrash_starts=%u\ncrash_cpu_us=%.1f\ncrash_sup_pids=%d\n",
		       b - a, starts, (double)d / 1e3, persist);
		if (starts)
			printf("crash_cpu_us_per_restart=%.1f\n", (double)d / 1e3 / starts);
	}

	if (posthook)
		run_hook(posthook);

	/* steady state before the stop request: every instance up for 1.5 s
	 * (runsv sleeps 1 s after a run shorter than that) */
	if (ok && crash <= 0 && !untimed_stop) {
		double youngest = 0;
		for (int i = 0; i < nsvcs; i++)
			if (svcs[i].last > youngest)
				youngest = svcs[i].last;
		if (now() - youngest < 1.5)
			pump_for(1.5 - (now() - youngest));
	}
stop:
	/* shutdown: from the request to every descendant gone */
	if (top_status < 0 || !no_children) {
		double s0 = now();
		if (stopsig)
			kill(top_pid, stopsig);
		if (stopcmd)
			spawn_sh(stopcmd);
		double dl = mono() + 30;
		no_children = 0;
		while (!no_children && mono() < dl)
			pump(0.2);
		double s1 = now();
		if (!no_children) {
			printf("error=tree still alive 30 s after the stop request; killing it\n");
			kill_tree_by_pid();
			while (!no_children)
				pump(0.2);
			ok = 0;
		} else if (ok && crash <= 0 && !untimed_stop) {
			printf("shutdown_ms=%.3f\n", (s1 - s0) * 1e3);
			printf("top_exit_ms=%.3f\n", (top_exit_time - s0) * 1e3);
		}
	}
	if (top_status >= 0)
		printf("top_status=%d\n", WIFEXITED(top_status) ? WEXITSTATUS(top_status)
		                                                : 128 + WTERMSIG(top_status));
	unlink(fifo);
	return ok ? 0 : 1;
}

/* ---------- time ---------- */

static int cmd_time(int argc, char **argv)
{
	int reps = 5, anystatus = 0, opt;
	while ((opt = getopt(argc, argv, "+r:a")) != -1) {
		if (opt == 'r')
			reps = atoi(optarg);
		else if (opt == 'a')
			anystatus = 1;
		else
			die("usage: time [-r R] [-a] -- CMD... [--then CMD...]");
	}
	if (optind >= argc || reps < 1)
		die("usage: time [-r R] [-a] -- CMD... [--then CMD...]");
	/* split into commands at --then */
	int ncmd = 0;
	char ***cmds = calloc((size_t)argc, sizeof *cmds);
	cmds[ncmd++] = argv + optind;
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "--then") == 0) {
			argv[i] = NULL;
			cmds[ncmd++] = argv + i + 1;
		}
	double *t = calloc((size_t)reps, sizeof *t);
	int fails = 0;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int r = 0; r < reps; r++) {
		double a = mono();
		for (int c = 0; c < ncmd; c++) {
			pid_t p = fork();
			if (p < 0)
				die("fork: %s", strerror(errno));
			if (p == 0) {
				dup2(devnull, 0);
				dup2(devnull, 1);
				if (!getenv("BENCH_SHOW_STDERR"))
					dup2(devnull, 2);
				execvp(cmds[c][0], cmds[c]);
				_exit(127);
			}
			int st;
			while (waitpid(p, &st, 0) < 0)
				if (errno != EINTR)
					die("waitpid: %s", strerror(errno));
			if (!anystatus && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
				fails++;
		}
		t[r] = mono() - a;
	}
	qsort(t, (size_t)reps, sizeof *t, cmp_dbl);
	printf("med_ms=%.3f\nmin_ms=%.3f\nmax_ms=%.3f\nfails=%d\n", t[reps / 2] * 1e3, t[0] * 1e3,
	       t[reps - 1] * 1e3, fails);
	print_list("all_ms", t, reps, 1e3);
	return 0;
}

/* ---------- mkdirs ---------- */

static int cmd_mkdirs(int argc, char **argv)
{
	if (argc < 5)
		die("usage: mkdirs DIR N PREFIX SVC");
	const char *dir = argv[1], *prefix = argv[3], *svcbin = argv[4];
	int n = atoi(argv[2]);
	char path[4096];
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", dir, strerror(errno));
	for (int i = 1; i <= n; i++) {
		snprintf(path, sizeof path, "%s/%s%04d", dir, prefix, i);
		if (strcmp(prefix, "crash") == 0 && n == 1)
			snprintf(path, sizeof path, "%s/crash", dir);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir %s: %s", path, strerror(errno));
		strcat(path, "/run");
		unlink(path);
		if (symlink(svcbin, path) < 0)
			die("symlink %s: %s", path, strerror(errno));
	}
	return 0;
}

/* ---------- spawnloop: the physical reference ---------- */

/* With CGDIR: each instance in a cgroup of its own, CGDIR/sNNNN, made
 * before its vfork and entered by the child before exec (as our init does
 * at a first start); the cgroups are removed once all are reaped, timed. */
static int cmd_spawnloop(int argc, char **argv)
{
	if (argc < 3)
		die("usage: spawnloop N SVC [CGDIR]");
	int n = atoi(argv[1]);
	char *svcbin = argv[2];
	const char *cgdir = argc > 3 ? argv[3] : NULL;
	char cgp[4096];
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_signals();
	char fifo[256];
	fifo_fd = make_fifo(fifo, sizeof fifo);
	extern char **environ;
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	char (*names)[16] = calloc((size_t)n, 16);
	for (int i = 0; i < n; i++)
		snprintf(names[i], 16, "s%04d", i + 1);
	double t0 = now();
	for (int i = 0; i < n; i++) {
		char *av[] = {svcbin, names[i], NULL};
		volatile int cfd = -1;  /* read by the vfork child */
		if (cgdir) {
			char procs[sizeof cgp + 16];
			if (snprintf(cgp, sizeof cgp, "%s/%s", cgdir, names[i]) >= (int)sizeof cgp)
				die("spawnloop: %s: name too long", cgdir);
			if (mkdir(cgp, 0755) < 0)
				die("mkdir %s: %s", cgp, strerror(errno));
			snprintf(procs, sizeof procs, "%s/cgroup.procs", cgp);
			if ((cfd = open(procs, O_WRONLY | O_CLOEXEC)) < 0)
				die("open %s: %s", procs, strerror(errno));
		}
		pid_t p = vfork();
		if (p < 0)
			die("vfork: %s", strerror(errno));
		if (p == 0) {
			if (cfd >= 0 && write(cfd, "0", 1) != 1)
				_exit(126);
			execve(svcbin, av, environ);
			_exit(127);
		}
		if (cfd >= 0)
			close(cfd);
		pids[i] = p;
	}
	double spawned = now();
	double dl = mono() + 30;
	while (count_up() < n && mono() < dl)
		pump(dl - mono());
	double tlast = 0;
	for (int i = 0; i < nsvcs; i++)
		if (svcs[i].first > tlast)
			tlast = svcs[i].first;
	int up = count_up();
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	unlink(fifo);
	double r0 = mono();
	int left = 0;
	for (int i = 0; cgdir && i < n; i++) {
		snprintf(cgp, sizeof cgp, "%s/%s", cgdir, names[i]);
		left += rmdir(cgp) < 0 && errno != ENOENT;
	}
	double r1 = mono();
	if (up < n) {
		printf("error=only %d of %d up\n", up, n);
		return 1;
	}
	printf("up_ms=%.3f\nspawn_ms=%.3f\n", (tlast - t0) * 1e3, (spawned - t0) * 1e3);
	if (cgdir)
		printf("rmdir_ms=%.3f\nrmdir_failed=%d\n", (r1 - r0) * 1e3, left);
	return left ? 1 : 0;
}

/* ---------- incg: enter a cgroup, then exec ---------- */

/* incg CGDIR CMD...: write "0" to CGDIR/cgroup.procs, then exec CMD; with
 * CGDIR "-" only the exec (the same path, so both cost the same). The
 * tree's top process, placed where the measured supervisor is alone in a
 * cgroup of its own. */
static int cmd_incg(int argc, char **argv)
{
	if (argc < 3)
		die("usage: incg CGDIR|- CMD...");
	if (strcmp(argv[1], "-") != 0) {
		char p[4096];
		snprintf(p, sizeof p, "%s/cgroup.procs", argv[1]);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			die("enter %s: %s", argv[1], strerror(errno));
		close(fd);
	}
	execvp(argv[2], argv + 2);
	die("exec %s: %s", argv[2], strerror(errno));
	return 127;
}

/* ---------- orphans: run as the main process under a PID-1 reaper ---------- */

static int count_proc_entries(int dfd)
{
	static char buf[1 << 20];
	int n = 0;
	lseek(dfd, 0, SEEK_SET);
	for (;;) {
		long r = syscall(SYS_getdents64, dfd, buf, sizeof buf);
		if (r <= 0)
			break;
		for (long off = 0; off < r;) {
			unsigned short reclen = *(unsigned short *)(buf + off + 16);
			char *name = buf + off + 19;
			if (name[0] >= '1' && name[0] <= '9')
				n++;
			off += reclen;
		}
	}
	return n;
}

static int cmd_orphans(int argc, char **argv)
{
	if (argc < 3)
		die("usage: orphans N OUTFILE");
	int n = atoi(argv[1]);
	const char *out = argv[2];
	int dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die("open /proc: %s", strerror(errno));
	int base = count_proc_entries(dfd);
	int go[2], ready[2];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pid_t mid = fork();
	if (mid < 0)
		die("fork: %s", strerror(errno));
	if (mid == 0) {
		/* The middle process: N children that exit at once, left as
		 * zombies; when we exit they all go to PID 1 together. */
		close(go[1]);
		close(ready[0]);
		pid_t *kids = calloc((size_t)n, sizeof *kids);
		int made = 0;
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p < 0)
				break;
			if (p == 0)
				_exit(0);
			kids[made++] = p;
		}
		for (int i = 0; i < made; i++) {
			siginfo_t si;
			while (waitid(P_PID, (id_t)kids[i], &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
				;
		}
		/* tell main the last child's pid: reapers that use wait(-1)
		 * take them in fork order, so it goes last */
		int msg[2] = {made == n, made ? (int)kids[made - 1] : 0};
		if (write(ready[1], msg, sizeof msg) != (ssize_t)sizeof msg)
			_exit(1);
		char c;
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	int msg[2] = {0, 0};
	if (read(ready[0], msg, sizeof msg) != (ssize_t)sizeof msg || !msg[0])
		die("could not make %d zombies", n);
	char lastpath[64];
	snprintf(lastpath, sizeof lastpath, "/proc/%d", msg[1]);
	int before = count_proc_entries(dfd);
	long long c0 = cpu_ns(1);
	double t0 = mono();
	close(go[1]); /* the middle process exits; its zombies go to PID 1 */
	int st;
	while (waitpid(mid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	double tmid = mono();
	long scans = 0;
	int left;
	double dl = t0 + 60;
	/* cheap poll of the last zombie, then full scans of /proc to be
	 * sure that none is left (and to be right whatever the order) */
	while (access(lastpath, F_OK) == 0 && mono() < dl) {
		struct timespec ts = {0, 20000};
		nanosleep(&ts, NULL);
	}
	while ((left = count_proc_entries(dfd)) > base && mono() < dl) {
		scans++;
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	double t1 = mono();
	long long c1 = cpu_ns(1);
	FILE *f = fopen(out, "w");
	if (!f)
		die("open %s: %s", out, strerror(errno));
	fprintf(f, "base_procs=%d\nzombies=%d\nreap_ms=%.3f\nhandover_ms=%.3f\nscans=%ld\npid1_cpu_ms=%.3f\n",
	        base, before - base, (t1 - t0) * 1e3, (tmid - t0) * 1e3, scans, (double)(c1 - c0) / 1e6);
	if (left > base)
		fprintf(f, "error=%d processes left after 60 s\n", left - base);
	fclose(f);
	return 0;
}

/* ---------- orphanlag: live orphans of PID 1 that all exit at once ---------- */

/* Shared by the harness and the orphans (MAP_SHARED, made before the fork). */
struct lagshare {
	int go;               /* read end of the pipe whose closing releases them */
	double stamp[];       /* CLOCK_MONOTONIC of each orphan just before _exit */
};
static struct lagshare *lagsh;

static int lag_child(void *arg)
{
	long i = (long)arg;
	char c;
	while (syscall(SYS_read, lagsh->go, &c, 1) < 0)
		;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lagsh->stamp[i] = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	syscall(SYS_exit, 0);
	return 0;
}

/* N live children of a middle process (clone with CLONE_VM: cheap, no page
 * tables to copy) all block on a pipe; the middle exits, so all N are PID 1's
 * children; then the pipe is closed and all exit at once, each writing the
 * time just before its exit. Lag = from the last of those times until the
 * last of them is reaped (kill(pid, 0) says ESRCH; a zombie still answers). */
static int cmd_orphanlag(int argc, char **argv)
{
	if (argc < 3)
		die("usage: orphanlag N OUTFILE");
	int n = atoi(argv[1]);
	const char *out = argv[2];
	size_t shsize = sizeof *lagsh + (size_t)n * sizeof(double) + (size_t)n * sizeof(pid_t);
	lagsh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lagsh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	pid_t *pids = (pid_t *)(lagsh->stamp + n);
	int go[2], ready[2];
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	lagsh->go = go[0];
	pid_t mid = fork();
	if (mid < 0)
		die("fork: %s", strerror(errno));
	if (mid == 0) {
		close(go[1]);
		close(ready[0]);
		size_t stk = 16384;
		char *stacks = mmap(NULL, (size_t)n * stk, PROT_READ | PROT_WRITE,
		                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		int made = 0;
		if (stacks != MAP_FAILED)
			for (; made < n; made++) {
				pid_t p = clone(lag_child, stacks + (size_t)(made + 1) * stk,
				                CLONE_VM | SIGCHLD, (void *)(long)made);
				if (p < 0)
					break;
				pids[made] = p;
			}
		int ok = made == n;
		if (write(ready[1], &ok, sizeof ok) != (ssize_t)sizeof ok)
			_exit(1);
		_exit(0); /* the N children go to PID 1, alive */
	}
	close(go[0]);
	close(ready[1]);
	int ok = 0;
	if (read(ready[0], &ok, sizeof ok) != (ssize_t)sizeof ok || !ok)
		die("could not make %d children", n);
	int st;
	while (waitpid(mid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	/* let them all reach their read() */
	struct timespec settle = {0, 200000000};
	nanosleep(&settle, NULL);
	long long c0 = cpu_ns(1);
	double t0 = mono();
	close(go[1]);
	double dl = t0 + 60;
	int k = 0;
	while (k < n && mono() < dl) {
		if (kill(pids[k], 0) < 0 && errno == ESRCH) {
			k++;
			continue;
		}
		struct timespec ts = {0, 20000};
		nanosleep(&ts, NULL);
	}
	double t1 = mono();
	long long c1 = cpu_ns(1);
	double last = 0;
	int stamped = 0;
	for (int i = 0; i < n; i++)
		if (lagsh->stamp[i] > 0) {
			stamped++;
			if (lagsh->stamp[i] > last)
				last = lagsh->stamp[i];
		}
	FILE *f = fopen(out, "w");
	if (!f)
		die("open %s: %s", out, strerror(errno));
	fprintf(f, "orphans=%d\nlag_ms=%.3f\nrelease_to_reaped_ms=%.3f\nlast_exit_ms=%.3f\npid1_cpu_ms=%.3f\n",
	        n, (t1 - last) * 1e3, (t1 - t0) * 1e3, (last - t0) * 1e3, (double)(c1 - c0) / 1e6);
	if (k < n || stamped < n)
		fprintf(f, "error=%d of %d not reaped after 60 s (%d stamped)\n", n - k, n, stamped);
	fclose(f);
	return 0;
}

/* ---------- logging ---------- */

static void fill_line(char *p, unsigned long no, int len)
{
	/* "NNNNNNNNNN xxxxx...\n": the number, then filler from the number */
	char num[11];
	snprintf(num, sizeof num, "%010lu", no);
	memcpy(p, num, 10);
	p[10] = ' ';
	for (int i = 11; i < len - 1; i++)
		p[i] = (char)('a' + (no + (unsigned long)i) % 26);
	p[len - 1] = '\n';
}

static int cmd_logpipe(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0)
		die("usage: logpipe BYTES LINELEN -- CMD...");
	long bytes = atol(argv[1]);
	int len = atoi(argv[2]);
	if (len < 16)
		die("line length too small");
	unsigned long lines = (unsigned long)(bytes / len);
	size_t total = lines * (size_t)len;
	char *buf = malloc(total);
	if (!buf)
		die("out of memory");
	for (unsigned long i = 0; i < lines; i++)
		fill_line(buf + i * (size_t)len, i, len);
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	double t0 = mono();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[0], 0);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	close(p[0]);
	size_t off = 0;
	while (off < total) {
		size_t chunk = total - off > 65536 ? 65536 : total - off;
		ssize_t w = write(p[1], buf + off, chunk);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write to logger: %s", strerror(errno));
		}
		off += (size_t)w;
	}
	double tw = mono();
	close(p[1]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	double t1 = mono();
	printf("bytes=%zu\nlines=%lu\nsecs=%.4f\nmbps=%.1f\nwrite_secs=%.4f\nstatus=%d\n", total,
	       lines, t1 - t0, (double)total / 1e6 / (t1 - t0), tw - t0,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_logcheck(int argc, char **argv)
{
	if (argc < 4)
		die("usage: logcheck DIR LINES LINELEN [full]");
	const char *dir = argv[1];
	long lines = atol(argv[2]);
	int len = atoi(argv[3]);
	int full = argc > 4 && strcmp(argv[4], "full") == 0;
	DIR *d = opendir(dir);
	if (!d)
		die("opendir %s: %s", dir, strerror(errno));
	char *names[100000];
	int nn = 0, has_current = 0;
	struct dirent *e;
	while ((e = readdir(d)) && nn < 99999) {
		if (e->d_name[0] == '@')
			names[nn++] = strdup(e->d_name);
		else if (strcmp(e->d_name, "current") == 0)
			has_current = 1;
	}
	closedir(d);
	qsort(names, (size_t)nn, sizeof *names, cmp_str);
	if (has_current)
		names[nn++] = strdup("current");
	long expect = -1, kept = 0, bad = 0, gaps = 0, first = -1;
	long maxfile = 0;
	char *line = malloc((size_t)len + 2), *want = malloc((size_t)len + 2);
	for (int i = 0; i < nn; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			die("open %s: %s", path, strerror(errno));
		struct stat sb;
		if (fstat(fileno(f), &sb) == 0 && sb.st_size > maxfile)
			maxfile = sb.st_size;
		while (fgets(line, len + 2, f)) {
			unsigned long no = strtoul(line, NULL, 10);
			fill_line(want, no, len);
			if (strncmp(line, want, (size_t)len) != 0) {
				bad++;
				continue;
			}
			if (expect < 0)
				expect = first = (long)no;
			if ((long)no != expect)
				gaps++;
			expect = (long)no + 1;
			kept++;
		}
		fclose(f);
	}
	int okk = expect == lines && bad == 0 && gaps == 0 && (!full || kept == lines);
	printf("files=%d\nkept_lines=%ld\nbad_lines=%ld\ngaps=%ld\nlast_ok=%d\nmax_file=%ld\nfirst=%ld\n"
	       "check=%s\n",
	       nn, kept, bad, gaps, expect == lines, maxfile, first, okk ? "ok" : "FAIL");
	return okk ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: benchtool tree|time|mkdirs|spawnloop|incg|orphans|orphanlag|logpipe|logcheck ...");
	const char *c = argv[1];
	argv++;
	argc--;
	if (strcmp(c, "tree") == 0)
		return cmd_tree(argc, argv);
	if (strcmp(c, "time") == 0)
		return cmd_time(argc, argv);
	if (strcmp(c, "mkdirs") == 0)
		return cmd_mkdirs(argc, argv);
	if (strcmp(c, "spawnloop") == 0)
		return cmd_spawnloop(argc, argv);
	if (strcmp(c, "incg") == 0)
		return cmd_incg(argc, argv);
	if (strcmp(c, "orphans") == 0)
		return cmd_orphans(argc, argv);
	if (strcmp(c, "orphanlag") == 0)
		return cmd_orphanlag(argc, argv);
	if (strcmp(c, "logpipe") == 0)
		return cmd_logpipe(argc, argv);
	if (strcmp(c, "logcheck") == 0)
		return cmd_logcheck(argc, argv);
	die("unknown command %s", c);
	return 2;
}
