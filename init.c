/* init.c: the entry point of the one binary, and init itself.
 *
 * Called as svctl or svlog (or `init svctl ...`), it is that program.
 * Called as init it supervises SVDIR, in one of three modes:
 *
 *   machine    PID 1 on a real kernel: mounts, console, rc.boot, and at
 *              the end reboot(2)
 *   container  PID 1 of a PID namespace: reboot(2) is not ours to call
 *   nested     under another init: child subreaper, touches only its tree
 *
 * Everything happens in one loop (run() below): poll() on a signalfd, the
 * control FIFO, inotify on SVDIR, the notification socket and the readiness
 * pipes, with a timeout
 * only when some deadline is pending. An idle init makes no syscall.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

struct service svc[MAXSLOT];
int nslot;
const char *svdir, *rundir;
int shutting_down;
int booting;
int devnull = -1;
struct rlimit nofile0;          /* RLIMIT_NOFILE as init found it */
int nofile_raised;              /* init raised it: children get nofile0 back */

enum { M_MACHINE, M_CONTAINER, M_NESTED };
static int mode;            /* M_MACHINE, M_CONTAINER or M_NESTED */
static pid_t self;              /* getpid() */
static int errfd = 2;           /* stderr, reopened non-blocking if we can */
static int sigfd = -1;

/* The shutdown sequence, one phase after the other (advance()). */
enum { P_BOOT, P_RUN, P_STOP, P_RCSHUT, P_KILL };
static int phase = P_RUN;
static int action = 'x';        /* 'p'oweroff, 'r'eboot, 'h'alt, e'x'it */
static pid_t script_pid;        /* rc.boot or rc.shutdown */
static int64_t kill_deadline;   /* P_KILL: when TERM becomes KILL */
static int killed_hard;
static int no_children;

/* `-- COMMAND`: the main process of a container */
static pid_t main_pid;
static int main_status = -1;
static int64_t main_deadline;

/* ---- small helpers shared by every piece ---- */

/* A few libc calls are made as raw syscalls: libc's versions carry
 * machinery this single-threaded program never needs (thread
 * synchronisation, statx fallbacks) at a cost of kilobytes. Files are
 * opened with openat(): musl's open() adds an fcntl for O_CLOEXEC. */

int64_t clock_ms(void)
{
	struct timespec ts;
	clock_now(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time of this wake-up, read from the clock the first time it is
 * needed: reaping orphans, say, needs no clock at all. */
static int64_t now_cached;
static int now_stale = 1;

int64_t now(void)
{
	if (now_stale) {
		now_cached = clock_ms();
		now_stale = 0;
	}
	return now_cached;
}

void clock_tick(void)
{
	now_stale = 1;
}

#if defined(__x86_64__) || defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64)
int stat_at(int dfd, const char *path, struct stat *st, int flags)
{
	/* only where libc's struct stat is the kernel's */
	return (int)syscall(SYS_newfstatat, dfd, path, st, flags);
}
#else
/* 32-bit CPUs: libc's struct stat has 64-bit times, the kernel's has
 * not; statx (Linux 4.11), which libc's fstatat calls there too, with
 * a fallback to the old call (1.1 KB on i386 in all) that this does
 * without. Only the fields this program uses are filled. */
struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct { int64_t sec; uint32_t nsec; int32_t spare; } atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};
_Static_assert(sizeof(struct kstatx) == 256, "struct statx of <linux/stat.h>");

int stat_at(int dfd, const char *path, struct stat *st, int flags)
{
	struct kstatx x;
	if (syscall(SYS_statx, dfd, path, flags, 0x7ffu /* STATX_BASIC_STATS */, &x) < 0)
		return -1;
	st->st_dev = (dev_t)x.dev_major << 32 | x.dev_minor;  /* only compared */
	st->st_ino = x.ino;
	st->st_mode = x.mode;
	st->st_uid = x.uid;
	st->st_gid = x.gid;
	st->st_size = (off_t)x.size;
	return 0;
}
#endif

int access_at(int dfd, const char *path, int how)
{
	/* faccessat exists on every architecture, with these 3 arguments */
	return (int)syscall(SYS_faccessat, dfd, path, how);
}

/* fork() for children that only make syscalls and exit */
pid_t fork_raw(void)
{
#ifdef SYS_fork
	return (pid_t)syscall(SYS_fork);
#else
	/* aarch64, riscv64: flags first everywhere; the other arguments,
	 * whose order differs, are all 0 */
	return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}

/* Out of fds (EMFILE): raise our soft limit to the hard one, once. Many
 * services with loggers need many fds, but most machines never get
 * there, and then children need no limit put back at each start.
 * (Raw prlimit64: libc's setrlimit would sync threads we do not have.
 * It takes 64-bit limits on every architecture.) */
_Static_assert(sizeof(rlim_t) == 8, "prlimit64 needs a 64-bit struct rlimit");
int more_fds(void)
{
	if (nofile_raised || syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &nofile0) < 0 ||
	    nofile0.rlim_cur >= nofile0.rlim_max)
		return 0;
	struct rlimit more = { nofile0.rlim_max, nofile0.rlim_max };
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &more, NULL) < 0)
		return 0;
	return nofile_raised = 1;
}

/* The kernel's signal set is 64 bits, 128 on MIPS: _NSIG is 65 or 129
 * (musl and glibc alike), and the raw signal calls must pass its size.
 * All ones or all zeros: the same in every word size and byte order. */
const uint64_t ksig_all[2] = { ~(uint64_t)0, ~(uint64_t)0 }, ksig_none[2];

int sigmask_set(const uint64_t *set)
{
	return (int)syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, NULL, KSIGSET_SIZE);
}

/* Set a signal to its default action. The kernel's struct sigaction
 * differs (MIPS puts flags first, riscv64 has no restorer; 20 to 32
 * bytes), but all zeros is SIG_DFL, no flags, empty mask in each. */
int sig_default(int sig)
{
	static const uint64_t dfl[4];
	return (int)syscall(SYS_rt_sigaction, sig, dfl, NULL, KSIGSET_SIZE);
}

/* Write all of buf: at offset off (pwrite), or where the file is when off
 * is negative; EINTR and short writes are retried. */
int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

/* fcntl(fd, F_GETFD): -1 if fd is not open. Raw: libc's fcntl is
 * 400 bytes of cases this one does not have. */
int fd_flags(int fd)
{
	return (int)syscall(SYS_fcntl, fd, F_GETFD);
}

int write_all(int fd, const void *buf, size_t len)
{
	return pwrite_all(fd, buf, len, -1);
}

/* mkdir -p DIR, new levels mode 0755 less the umask; 1 if it made DIR
 * itself, 0 if it was there, -1 on error. */
int mkdir_p(const char *dir)
{
	char b[PATHLEN];
	size_t n = strlen(dir);
	if (n >= sizeof b) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(b, dir, n + 1);
	for (char *s = b + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = 0;
		if (mkdir(b, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(b, 0755) == 0)
		return 1;
	return errno == EEXIST ? 0 : -1;
}

/* Made by us or root, and only they can change it: the rule for RUNDIR
 * and what is in it (init and svctl), and for svlog's DIR. */
int trusted(int fd, unsigned type)
{
	struct stat st;
	return stat_at(fd, "", &st, AT_EMPTY_PATH) == 0 && (st.st_mode & S_IFMT) == type &&
	       (st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & 022);
}

/* One line "init: WHO: WHAT: CAUSE" on stderr, in one write that never
 * blocks: a full stderr loses the line rather than stopping init. */
void say(const char *who, const char *what, const char *cause)
{
	char line[512];
	const char *part[] = { "init", who, what, cause };
	size_t len = 0;
	for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
		if (!part[i])
			continue;
		size_t n = strnlen(part[i], 160);
		if (len)
			memcpy(line + len, ": ", 2), len += 2;
		memcpy(line + len, part[i], n);
		for (size_t k = len; k < len + n; k++)  /* names and file bytes: one line */
			if ((unsigned char)line[k] < 0x20 || line[k] == 0x7f)
				line[k] = '?';
		len += n;
	}
	line[len++] = '\n';
	ssize_t r = write(errfd, line, len);
	(void)r;
}

/* strerror() for the errors init, svctl and svlog can meet: libc's whole
 * table would cost more than this file's code. The texts follow each
 * other in the order of their numbers, each ended by its NUL. */
static const uint16_t error_num[] = {  /* EDQUOT is 1133 on MIPS */
	ENOENT, EACCES, EPERM, EEXIST, ENOTDIR, EISDIR, EINVAL, EMFILE, ENFILE, ENOMEM,
	EAGAIN, ENOSPC, EDQUOT, EIO, EROFS, ENAMETOOLONG, ELOOP, ENOEXEC, ETXTBSY, E2BIG,
	EBUSY, ENXIO, EPIPE, EBADF, ENODEV, ECHILD, EINTR, EFBIG, ENOSYS, ESRCH, ENOTREG,
};
static const char error_text[] =
	"No such file or directory\0"
	"Permission denied\0"
	"Operation not permitted\0"
	"File exists\0"
	"Not a directory\0"
	"Is a directory\0"
	"Invalid argument\0"
	"No file descriptors available\0"
	"Too many open files in system\0"
	"Out of memory\0"
	"Resource temporarily unavailable\0"
	"No space left on device\0"
	"Quota exceeded\0"
	"I/O error\0"
	"Read-only file system\0"
	"Filename too long\0"
	"Symbolic link loop\0"
	"Exec format error\0"
	"Text file busy\0"
	"Argument list too long\0"
	"Resource busy\0"
	"No such device or address\0"
	"Broken pipe\0"
	"Bad file descriptor\0"
	"No such device\0"
	"No child process\0"
	"Interrupted system call\0"
	"File too large\0"
	"Function not implemented\0"
	"No such process\0"
	"Not a regular file";

const char *errstr(int err)
{
	static char other[24];
	const char *t = error_text;
	for (size_t i = 0; i < sizeof error_num / sizeof error_num[0]; i++, t += strlen(t) + 1)
		if (error_num[i] == err)
			return t;
	*fmt_int(stpcpy(other, "error "), err) = 0;
	return other;
}

void say_errno(const char *who, const char *what, int err)
{
	say(who, what, errstr(err));
}

/* "init: WHAT: " and errno's text */
void say_sys(const char *what)
{
	say_errno(NULL, what, errno);
}

/* Decimal text of v at p, no NUL; returns the end. (No printf in this
 * binary: it would be a fifth of its size.) */
char *fmt_uint(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;
	/* a 64-bit division on a 32-bit CPU is libgcc's code (kilobytes):
	 * there, while v does not fit in a word, divide it by 10 16 bits at
	 * a time (on a 64-bit CPU this loop is gone) */
	for (; v > SIZE_MAX; n++) {
		uint64_t q = 0;
		uint32_t r = 0;
		for (int shift = 48; shift >= 0; shift -= 16) {
			uint32_t d = r << 16 | (uint32_t)(v >> shift & 0xffff);
			q = q << 16 | d / 10;
			r = d % 10;
		}
		tmp[n] = (char)('0' + r);
		v = q;
	}
	size_t w = (size_t)v;
	do
		tmp[n++] = (char)('0' + w % 10);
	while (w /= 10);
	while (n)
		*p++ = tmp[--n];
	return p;
}

char *fmt_int(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return fmt_uint(p, (uint64_t)0 - (uint64_t)v);
	}
	return fmt_uint(p, (uint64_t)v);
}

/* dir + "/" + file into buf (size PATHLEN); "" if it does not fit. */
const char *join(char *buf, const char *dir, const char *file)
{
	size_t a = strlen(dir), b = strlen(file);
	if (a + b + 2 > PATHLEN)
		return "";
	memcpy(buf, dir, a);
	buf[a] = '/';
	memcpy(buf + a + 1, file, b + 1);
	return buf;
}

int parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* A 64-bit number, "unlimited" (all ones) and, with suffix, K, M or G
 * after it (powers of 1024). */
int parse_size(const char *s, int suffix, uint64_t *out)
{
	uint64_t v = 0;
	if (!strcmp(s, "unlimited")) {
		*out = ~(uint64_t)0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	const char *k = suffix && *s ? strchr("KMG", *s) : NULL;
	if (k && !s[1]) {
		int shift = 10 * (int)(k - "KMG" + 1);
		if (v > UINT64_MAX >> shift)
			return -1;
		v <<= shift;
		s++;
	}
	*out = v;
	return *s ? -1 : 0;
}

int valid_name(const char *name)
{
	size_t n = 0;
	for (; name[n]; n++) {
		char c = name[n];
		if (n >= NAMELEN || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
				      c == '@' || c == '-'))
			return 0;
	}
	return n > 0 && name[0] != '.';
}

/* Enough to tell a slot read half-old, half-new from a whole one; a word
 * at a time (len is a multiple of 4), as every flush sums every slot. */
uint32_t checksum(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i + 4 <= len; i += 4) {
		uint32_t w;
		memcpy(&w, b + i, 4);
		h = (h ^ w) * 0x9e3779b1u;
		h ^= h >> 15;
	}
	return h;
}

/* Signal names use the numbers of this kernel's ABI (the libc constants
 * for the classic signals are those), never libc's SIGRTMIN. */
static const struct { char name[7]; uint8_t num; } signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

const char *signal_name(int sig)
{
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (signals[i].num == sig)
			return signals[i].name;
	return NULL;
}

/* The end of the word W (upper case) at the start of S, in any case;
 * NULL if S does not start with it. (No strcasecmp: libc's two cost
 * more than this.) */
static const char *skip_word(const char *s, const char *w)
{
	for (; *w; s++, w++)
		if (*s != *w && !(*s >= 'a' && *s <= 'z' && *s - 'a' + 'A' == *w))
			return NULL;
	return s;
}

/* "TERM", "term", "SIGTERM" or "15"; 0 if none. */
int signal_number(const char *name)
{
	uint32_t n;
	if (parse_uint(name, 64, &n) == 0)
		return (int)n;
	const char *end = skip_word(name, "SIG");
	if (end)
		name = end;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if ((end = skip_word(name, signals[i].name)) && !*end)
			return signals[i].num;
	return 0;
}

const char *state_name(int state)
{
	static const char *const names[] = {
		"down", "starting", "up", "stopping", "finishing", "backoff", "fatal",
		"waiting",
	};
	return state >= 0 && state < (int)(sizeof names / sizeof names[0]) ? names[state] : "?";
}

/* ---- processes init starts itself: scripts, the main command, a shell ---- */

static volatile int exec_errno;
static int start_dir = -1;  /* where init was started: the main command runs there */

/* ioctl on fd 0, the terminal. Raw: libc's ioctl carries a table of
 * time64 conversions on 32-bit CPUs (1.3 KB) that none of these needs. */
static int tty_ioctl(unsigned long req, void *arg)
{
	return (int)syscall(SYS_ioctl, 0, req, arg);
}

/* execvp(), in a third of libc's bytes, by its rules: a name with a
 * slash as it is, else in each dir of PATH (unset: /usr/local/bin:/bin:
 * /usr/bin; an empty one: the current dir); EACCES if one was denied. */
static void exec_search(char *const argv[])
{
	extern char **environ;
	const char *p = getenv("PATH");
	char b[PATH_MAX];
	size_t k = strlen(argv[0]);
	int denied = 0;
	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, environ);
		return;
	}
	errno = ENOENT;
	for (p = p ? p : "/usr/local/bin:/bin:/usr/bin";; p++) {
		size_t n = strcspn(p, ":");
		if (n + k + 2 <= sizeof b) {
			memcpy(b, p, n);
			b[n] = '/';
			memcpy(b + n + (n > 0), argv[0], k + 1);
			execve(b, argv, environ);
			if (errno == EACCES)
				denied = 1;
			else if (errno != ENOENT && errno != ENOTDIR)
				return;
		}
		p += n;
		if (!*p)
			break;
	}
	if (denied)
		errno = EACCES;
}

/* vfork+exec ARGV; -1 with errno if the fork or the exec failed. The new
 * process gets an empty signal mask; with `own_group` its own process
 * group, and the terminal's foreground if init had it. */
static pid_t start_process(char *const argv[], int own_group)
{
	exec_errno = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		pid_t fg, me = getpid();
		if (own_group && setpgid(0, 0) == 0 && tty_ioctl(TIOCGPGRP, &fg) == 0 &&
		    fg == getpgid(getppid()))
			tty_ioctl(TIOCSPGRP, &me);  /* SIGTTOU is still blocked here */
		if ((own_group && start_dir >= 0 && syscall(SYS_fchdir, start_dir) < 0) ||
		    sigmask_set(ksig_none) < 0 ||
		    (nofile_raised && syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &nofile0, NULL) < 0)) {
			exec_errno = errno;
			_exit(126);
		}
		exec_search(argv);
		exec_errno = errno;
		_exit(127);
	}
	if (pid > 0 && exec_errno) {
		int e = exec_errno;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	return pid;
}

static pid_t run_script(const char *path)
{
	char *argv[] = { (char *)path, NULL };
	if (access_at(AT_FDCWD, path, X_OK) < 0)
		return 0;
	pid_t pid = start_process(argv, 0);
	if (pid < 0)
		say_sys(path);
	return pid > 0 ? pid : 0;
}

/* PID 1 must never exit: when it cannot go on, it gives the console a
 * shell, again and again, and reaps whatever dies meanwhile. */
static void __attribute__((noreturn)) emergency_shell(const char *why)
{
	say(NULL, why, "starting /bin/sh on the console");
	for (;;) {
		char *argv[] = { "/bin/sh", NULL };
		pid_t pid = vfork();
		if (pid == 0) {
			setsid();
			int fd = openat(AT_FDCWD, "/dev/console", O_RDWR);
			if (fd >= 0) {
				dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
				tty_ioctl(TIOCSCTTY, (void *)1);
			}
			sigmask_set(ksig_none);  /* a shell even if this failed */
			execve(argv[0], argv, environ);
			_exit(127);
		}
		for (;;) {
			pid_t p = waitpid(-1, NULL, 0);
			if (p == pid || (p < 0 && errno == ECHILD))
				break;
		}
		poll(NULL, 0, 1000);  /* no busy loop if sh is missing */
	}
}

/* ---- reaping ----
 * A SIGCHLD names the child that ended: that one is reaped at once, by
 * pid, which the kernel looks up directly. Waiting for any child instead
 * walks the list of all of them (1000 services: a few hundred
 * microseconds); that walk is still needed, since one SIGCHLD may stand
 * for several children (signals coalesce), but it comes later in the
 * turn of the loop (sweep), after the status file has been written. */

static int sweep_due;

static void reaped(pid_t pid, int st)
{
	if (pid == main_pid) {
		main_pid = 0;
		main_status = st;
		request_shutdown('x');
	} else if (pid == script_pid) {
		script_pid = 0;
		if (phase == P_BOOT) {
			phase = P_RUN;
			booting = 0;
			hwdog_open();  /* rc.boot may have loaded its driver */
			svdir_scan();
		}
	} else {
		svc_reaped(pid, st);
	}
}

static void reap_one(pid_t pid)
{
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r > 0)
		reaped(r, st);
	sweep_due = 1;
}

/* Reap every child that has ended; returns how many. */
static int reap(void)
{
	int n = 0;
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0) {
			no_children = pid < 0;  /* ECHILD */
			return n;
		}
		reaped(pid, st);
		n++;
	}
}

/* ---- shutdown ---- */

void request_shutdown(int act)
{
	if (shutting_down)
		return;  /* a second request does not start it again */
	shutting_down = 1;
	action = act;
	phase = P_STOP;
	svc_want_all_down();
	if (main_pid > 0) {  /* stopped like a service: its process group */
		if (kill(-main_pid, SIGTERM) < 0)
			kill(main_pid, SIGTERM);
		kill(-main_pid, SIGCONT);
		main_deadline = now() + 7000;
	}
}

/* fn(N, arg) for every entry of the /proc dir DIR named by a number
 * (pids in /proc, fds in /proc/self/fd); -1 if DIR cannot be read. */
static int each_number(const char *dir, void (*fn)(int num, int arg), int arg)
{
	int dfd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	char buf[2048] __attribute__((aligned(8)));
	long n;
	/* getdents64: the same struct linux_dirent64 on every architecture */
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0)
		for (long off = 0; off < n; off += *(unsigned short *)(buf + off + 16)) {
			uint32_t num;
			if (parse_uint(buf + off + 19, INT_MAX, &num) == 0)
				fn((int)num, arg);
		}
	close(dfd);
	return 0;
}

/* Nested mode: signal our own children only (whatever was re-parented to
 * us included), found in /proc by their parent pid. */
static void signal_child(int pid, int sig)
{
	char path[64], stat[512];
	memcpy(fmt_uint(stpcpy(path, "/proc/"), (uint32_t)pid), "/stat", 6);
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t len = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (len <= 0)
		return;
	stat[len] = 0;
	/* "pid (comm) S ppid ...": comm may hold spaces and ')' */
	char *p = strrchr(stat, ')');
	uint32_t ppid;
	if (p && p[1] == ' ' && p[2] && p[3] == ' ') {
		p[4 + strspn(p + 4, "0123456789")] = 0;
		if (parse_uint(p + 4, INT_MAX, &ppid) == 0 && (pid_t)ppid == self)
			kill(pid, sig);
	}
}

static void kill_all(int sig)
{
	if (mode == M_NESTED || self != 1) {
		each_number("/proc", signal_child, sig);
		if (sig != SIGKILL)
			each_number("/proc", signal_child, SIGCONT);
		return;
	}
	if (sig != SIGKILL) {
		kill(-1, sig);
		kill(-1, SIGCONT);
		return;
	}
	/* kill(-1, SIGKILL) can block on processes in D state: do it in a
	 * child, so PID 1 keeps reaping meanwhile */
	pid_t pid = fork_raw();
	if (pid == 0) {
		kill(-1, SIGKILL);
		_exit(0);
	}
}

static void unmount_all(void)
{
	char buf[8192];
	int fd = openat(AT_FDCWD, "/proc/mounts", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (len > 0) {
		buf[len] = 0;
		/* last mounted first: walk the lines backwards */
		for (char *end = buf + len; end > buf;) {
			char *line = end - 1;
			while (line > buf && line[-1] != '\n')
				line--;
			/* "device dir type options 0 0" */
			char *dir = memchr(line, ' ', (size_t)(end - line));
			end = line;
			if (!dir)
				continue;
			dir++;
			dir[strcspn(dir, " \n")] = 0;
			if (strcmp(dir, "/") && strcmp(dir, "/proc") && strcmp(dir, "/dev") &&
			    strcmp(dir, "/sys"))
				umount2(dir, MNT_DETACH);
		}
	}
	mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
	sync();
}

static void __attribute__((noreturn)) finish_shutdown(void)
{
	int code = 0;
	if (main_status >= 0)
		code = WIFEXITED(main_status) ? WEXITSTATUS(main_status) :
		       128 + WTERMSIG(main_status);
	if (mode != M_MACHINE) {
		cgroup_cleanup();
		exit(code);
	}
	hwdog_feed();  /* a full timeout for sync and unmounting */
	sync();
	unmount_all();
	/* a main command that ended (`x`) powers the machine off */
	int how = action == 'r' ? RB_AUTOBOOT : action == 'h' ? RB_HALT_SYSTEM : RB_POWER_OFF;
	if (how != RB_AUTOBOOT)  /* a reboot keeps it armed: a hang still resets */
		hwdog_disarm();
	/* reboot(2) may wait on a stuck device too: call it from a child */
	pid_t pid = fork_raw();
	if (pid == 0) {
		reboot(how);
		_exit(1);
	}
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	reboot(how);  /* the child could not: try once more ourselves */
	emergency_shell("reboot failed");
}

/* Move the shutdown on as far as it can go now. */
static void advance(void)
{
	switch (phase) {
	case P_STOP:
		if (!svc_all_down() || main_pid > 0)
			return;
		phase = P_RCSHUT;
		if (mode != M_NESTED && (script_pid = run_script("/etc/rc.shutdown")) > 0)
			return;
		/* fall through */
	case P_RCSHUT:
		if (script_pid > 0)
			return;
		phase = P_KILL;
		reap();
		if (no_children)
			finish_shutdown();
		kill_all(SIGTERM);
		kill_deadline = now() + 3000;
		return;
	case P_KILL:
		reap();
		if (no_children)
			finish_shutdown();
		if (mode == M_NESTED)  /* orphans keep arriving as their parents die */
			kill_all(killed_hard ? SIGKILL : SIGTERM);
		return;
	}
}

/* The nearer of two deadlines; 0 is none. (Not inlined: gcc copies it
 * into its four callers otherwise, 300 bytes on i386.) */
static int64_t __attribute__((noinline)) earliest(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Act on every deadline that passed; return the nearest one left. */
static int64_t deadlines(void)
{
	if (main_deadline && main_deadline <= now() && main_pid > 0) {
		main_deadline = 0;
		kill(-main_pid, SIGKILL);
		kill(main_pid, SIGKILL);
	}
	if (kill_deadline && kill_deadline <= now()) {
		kill_deadline = 0;
		killed_hard = 1;
		kill_all(SIGKILL);
	}
	int64_t next = earliest(svc_timers(), hwdog_timer());
	return earliest(next, earliest(main_deadline, kill_deadline));
}

/* ---- signals ---- */

/* The signals a main command gets instead of init (all below 32). */
#define FORWARDED (1u << SIGTERM | 1u << SIGINT | 1u << SIGHUP | 1u << SIGQUIT | \
		   1u << SIGUSR1 | 1u << SIGUSR2 | 1u << SIGWINCH)

static void on_signal(int sig, pid_t pid)
{
	int machine = mode == M_MACHINE, act = 0;
	if (main_pid > 0 && sig < 32 && (FORWARDED >> sig & 1)) {
		kill(main_pid, sig);
		return;
	}
	if (sig == SIGCHLD)
		reap_one(pid);
	else if (sig == SIGHUP)
		svdir_scan();
	else if (sig == SIGTERM || sig == SIGINT)
		act = machine ? 'r' : 'x';
	else if (sig == SIGUSR1 || sig == SIGPWR)
		act = machine ? 'h' : 0;
	else if (sig == SIGUSR2)
		act = machine ? 'p' : 0;
	else if (sig >= 37 && sig <= 39)
		/* systemd's SIGRTMIN+3 halt, +4 poweroff, +5 reboot, numbered
		 * as the kernel and glibc count (musl's SIGRTMIN is 35): what
		 * podman and docker send to an image whose command is
		 * /sbin/init. Outside machine mode each just ends init. */
		act = "hpr"[sig - 37];
	/* anything else (SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE...) is dropped */
	if (act)
		request_shutdown(act);
}

static void signals_input(void)
{
	struct signalfd_siginfo si[4];  /* 128 bytes each: the stack is memory too */
	for (;;) {
		ssize_t n = read(sigfd, si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++)
			on_signal((int)si[i].ssi_signo, (pid_t)si[i].ssi_pid);
		if ((size_t)n < sizeof si)
			return;  /* drained: no read just to see EAGAIN */
	}
}

/* ---- the loop ---- */

static void __attribute__((noreturn)) run(void)
{
	static HOT2 struct pollfd fds[5 + MAXSLOT];  /* [0..4] hot */
	static int16_t owner[5 + MAXSLOT];  /* slot of each readiness fd */
	for (;;) {
		int64_t next = deadlines(), timeout = -1;
		if (shutting_down) {
			advance();
			next = earliest(next, kill_deadline);
		}
		status_flush();
		if (sweep_due) {  /* see reap_one() */
			sweep_due = 0;
			if (reap() > 0)
				continue;  /* act on those first: no sleep yet */
		}
		int nfds = 0;
		fds[nfds++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = control_fd(), .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = svdir_watch_fd(), .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = cgroup_watch_fd(), .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = notify_fd(), .events = POLLIN };
		for (int i = 0; nnotify && i < nslot; i++)
			if (svc[i].notify >= 0) {
				owner[nfds] = (int16_t)i;
				fds[nfds++] = (struct pollfd){ .fd = svc[i].notify, .events = POLLIN };
			}
		if (next) {
			clock_tick();  /* the work above took time too */
			timeout = next - now();
			timeout = timeout < 0 ? 0 : timeout > INT_MAX ? INT_MAX : timeout;
		}
		if (poll(fds, (nfds_t)nfds, (int)timeout) < 0 && errno != EINTR && errno != EAGAIN) {
			say_sys("poll");
			continue;
		}
		clock_tick();
		if (fds[0].revents)
			signals_input();
		if (fds[1].revents)
			control_input();
		if (fds[2].revents)
			svdir_inotify_input();
		if (fds[3].revents)
			cgroup_input();
		if (fds[4].revents)
			notify_input();
		for (int i = 5; i < nfds; i++)
			if (fds[i].revents && svc[owner[i]].notify == fds[i].fd)
				svc_ready_input(&svc[owner[i]]);
	}
}

/* ---- start-up ---- */

/* What machine mode mounts, where nothing is mounted yet; the source
 * is the type's name. */
static const struct mount {
	const char *dir, *type;
	unsigned long flags;
	const char *data;
} mounts[] = {
	{ "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
	{ "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666" },
	{ "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
	{ "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
};

static void machine_setup(void)
{
	for (const struct mount *m = mounts; m < mounts + sizeof mounts / sizeof mounts[0]; m++) {
		struct stat a, b;
		char parent[PATHLEN];
		join(parent, m->dir, "..");
		mkdir(m->dir, 0755);
		if (stat_at(AT_FDCWD, m->dir, &a, 0) == 0 && stat_at(AT_FDCWD, parent, &b, 0) == 0 &&
		    a.st_dev != b.st_dev)
			continue;  /* already a mount point */
		if (mount(m->type, m->dir, m->type, m->flags, m->data) < 0 && errno != EBUSY)
			say_sys(m->dir);
	}
	/* the kernel gives init the console as 0, 1, 2 only if /dev/console
	 * existed before devtmpfs: make sure they are there now */
	int con = -1;
	for (int fd = 0; fd < 3; fd++)
		if (fd_flags(fd) < 0 &&
		    (con >= 0 || (con = openat(AT_FDCWD, "/dev/console", O_RDWR | O_NOCTTY)) >= 0))
			dup2(con, fd);
	if (con > 2)
		close(con);
}

/* SVDIR or RUNDIR as given (unset or empty: DEF), made absolute in BUF
 * (PATHLEN bytes); NULL if too long. */
static const char *dir_arg(const char *dir, const char *def, char *buf)
{
	char cwd[PATH_MAX];
	if (!dir || !*dir)
		dir = def;
	const char *abs = dir;
	/* raw getcwd: the same on every architecture, and no malloc */
	if (dir[0] != '/' && syscall(SYS_getcwd, cwd, sizeof cwd) >= 0)
		abs = join(buf, cwd, dir);
	if (*abs && strlen(abs) <= DIRLEN)
		return abs;
	say(NULL, dir, "path too long (400 bytes at most)");
	return NULL;
}

/* The fds init's parent left open (beyond 0-2) belong to the main
 * command, which keeps them like tini passes them on (LISTEN_FDS, a pipe
 * from the engine); no service may get them, and init must not hold them:
 * a pipe or socket would stay open as long as init runs. Called once the
 * command is started, before any service: every fd without FD_CLOEXEC is
 * one of them (init opens its own close-on-exec) and is closed. Without
 * /proc they stay open in init, close-on-exec. */
static void close_uncloexec(int fd, int unused)
{
	(void)unused;
	if (fd > 2 && fd_flags(fd) == 0)
		close(fd);
}

static void close_inherited(void)
{
	if (each_number("/proc/self/fd", close_uncloexec, 0) == 0)
		return;
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif
#ifdef SYS_close_range
	syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_CLOEXEC);
#endif
}

/* The kernel starts init without PATH; services need one. */
static void add_default_path(void)
{
	extern char **environ;
	static char *env[128];
	size_t n = 0;
	if (getenv("PATH"))
		return;
	while (n < sizeof env / sizeof env[0] - 2 && environ[n])
		env[n] = environ[n], n++;
	if (environ[n])
		return;  /* too many to copy: leave it as it is */
	env[n] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	environ = env;
}

static int usage(void)
{
	static const char u[] = "init: usage: init [-d SVDIR] [-r RUNDIR] [-- COMMAND [ARG...]]\n";
	write_all(2, u, sizeof u - 1);
	return 2;
}

static int init_main(int argc, char **argv)
{
	/* Signals first: block them all (kernel numbers, 64 bits, with the
	 * raw syscall so libc cannot keep any back) before anything can
	 * arrive; they are read from a signalfd in the loop. */
	if (sigmask_set(ksig_all) < 0)
		say_sys("rt_sigprocmask");

	self = getpid();
	svdir = getenv("SVDIR");
	rundir = getenv("SVRUN");
	char **cmd = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			if (i + 1 < argc)
				cmd = argv + i + 1;
			else if (self != 1)
				return usage();  /* `init --`: a command was meant */
			break;
		} else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			svdir = argv[++i];
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			rundir = argv[++i];
		} else if (self != 1) {
			return usage();
		}
		/* PID 1 ignores what it does not know: the kernel passes
		 * unknown boot parameters as arguments */
	}
	static char svdir_buf[PATHLEN], rundir_buf[PATHLEN];
	svdir = dir_arg(svdir, "/etc/svc", svdir_buf);
	rundir = dir_arg(rundir, "/run/svc", rundir_buf);
	if (!svdir || !rundir) {
		if (self != 1)
			return 2;
		svdir = "/etc/svc", rundir = "/run/svc";  /* PID 1 goes on with the defaults */
	}

	if (self == 1)
		mode = reboot(RB_DISABLE_CAD) == 0 ? M_MACHINE : M_CONTAINER;
	else
		mode = M_NESTED;
	if (mode == M_NESTED && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		say_sys("child subreaper");

	/* Dispositions are inherited across exec only as "ignored": reset
	 * them all, so children start with every signal at its default. */
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig_default(sig) < 0)
			say_sys("rt_sigaction");

	if (mode == M_MACHINE)
		machine_setup();
	for (int fd = 0; fd < 3; fd++)  /* services expect 0, 1, 2 to exist */
		if (fd_flags(fd) < 0 && openat(AT_FDCWD, "/dev/null", O_RDWR) != fd)
			break;
	if (cmd)  /* like tini: the command starts where init was started */
		start_dir = openat(AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (chdir("/") < 0)
		say_sys("/");
	add_default_path();

	/* our own messages go through a non-blocking copy of stderr, so a
	 * full pipe or a stopped terminal never stops init (a file needs no
	 * copy: it never blocks, and a copy would not share its offset) */
	struct stat st;
	if (stat_at(2, "", &st, AT_EMPTY_PATH) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		int fd = openat(AT_FDCWD, "/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0)
			errfd = fd;
	}


	sigfd = (int)syscall(SYS_signalfd4, -1, ksig_all, KSIGSET_SIZE, SFD_NONBLOCK | SFD_CLOEXEC);
	devnull = openat(AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC);
	if (sigfd < 0 || devnull < 0) {
		say_sys(sigfd < 0 ? "signalfd" : "/dev/null");
		if (mode == M_MACHINE)
			emergency_shell("cannot start");
		return 111;
	}
	svdir_open();
	int ctl = control_open();
	if (ctl < 0 && !cmd) {
		control_say(NULL);
		if (mode == M_MACHINE)
			emergency_shell("cannot set up RUNDIR");
		return 111;
	}
	/* like tini, a main command runs whatever RUNDIR's trouble: without
	 * svctl (not root, read-only /run), and beside another init on the
	 * same RUNDIR without its services (they are that init's) */
	if (ctl < 0)
		control_say(ctl == -2 ? "running COMMAND without services or control" :
			    "running without control (svctl)");
	if (ctl == -2)
		booting = 2;  /* SVDIR is never read */
	cgroup_setup(mode == M_MACHINE);
	/* the services' environment; the socket only in a RUNDIR of ours */
	notify_open(ctl == 0);
	if (mode == M_MACHINE)
		hwdog_open();
	if (cmd) {
		main_pid = start_process(cmd, 1);
		if (start_dir >= 0)  /* no longer needed: let its filesystem go */
			close(start_dir);
		start_dir = -1;
		if (main_pid < 0) {
			int e = errno;
			main_pid = 0;
			say(NULL, cmd[0], e == ENOENT ? "not found" :
			    e == EACCES ? "not executable" : errstr(e));
			main_status = (e == ENOENT ? 127 : 126) << 8;
			request_shutdown('x');
		}
	}
	close_inherited();
	/* the services are listed in the status before rc.boot or any of
	 * them starts: svctl -w status waits for them all */
	if (!booting)
		booting = mode == M_MACHINE && access_at(AT_FDCWD, "/etc/rc.boot", X_OK) == 0;
	if (!shutting_down)
		svdir_scan();
	if (booting == 1 && (script_pid = run_script("/etc/rc.boot")) > 0)
		phase = P_BOOT;
	else if (booting == 1 && !shutting_down)
		booting = 0, svdir_scan();
	run();
}

int main(int argc, char **argv)
{
	static const struct { char name[6]; int (*main)(int, char **); } names[] = {
		{ "svctl", svctl_main }, { "svlog", svlog_main }, { "sv", sv_main },
	};
	const char *me = strrchr(argv[0], '/');
	me = me ? me + 1 : argv[0];
	/* called by its name, else as `init NAME ARG...` */
	for (int arg = 0; arg < 2 && arg < argc; arg++)
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (!strcmp(arg ? argv[1] : me, names[i].name))
				return names[i].main(argc - arg, argv + arg);
	return init_main(argc, argv);
}
