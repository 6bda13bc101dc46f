/* svlog: append stdin to DIR/current, rotate it by size, keep FILES archives.
 *
 * Data path: read up to 64 KiB, then write every complete line read (one
 * write per batch, cut only where the size limit falls) before reading
 * again. Only an incomplete last line is held in memory, so a SIGKILL loses
 * at most that line and one in-flight read.
 *
 * Lines are never split unless longer than BYTES: such a "long line" starts
 * a new file and is written in pieces that fill each file to exactly BYTES
 * (no newline added between pieces), so archives + current, in name order,
 * are the input byte for byte.
 *
 * Write errors: delete archives oldest first and retry; if that is not
 * enough, keep reading and drop whole lines (counting them), and try again
 * with each new input, and once a second without input. The notice
 * "svlog: dropped N lines" goes into the log in the same write as the
 * first line kept after it (or whole, alone, on a timed try): a write
 * that does not take all of that is undone, so a nearly full disk never
 * collects pieces of the notice, nor a notice twice for the same lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

#define READSZ   (64 * 1024)
#define TSLEN    28           /* "YYYY-MM-DDTHH:MM:SS.ffffffZ " */
#define ARCHLEN  26           /* "@YYYYMMDDTHHMMSS.ffffffZ.s" */
#define NOTEMAX  80           /* room for the notice before data to write */
#define MINSIZE  100          /* smallest -s: a timestamp and a message fit */
#define MAXSIZE  ((uint64_t)1 << 40)
#define MAXKEEP  100000UL
#define BUFMAX   ((size_t)1 << 30) /* longest partial line held in memory */

static struct {
	const char *dir;
	int dirfd, curfd, sigfd;
	uint64_t max;           /* -s BYTES */
	uint64_t keep;          /* -n FILES */
	int tflag;              /* -t */
	unsigned long narch;    /* archives in DIR, as far as we know */
	int64_t lsec;           /* time in the last archive name made */
	long lusec;
	/* the file current */
	uint64_t size;          /* its size */
	uint64_t lineend;       /* its size up to its last newline */
	int midline;            /* it does not end with a newline */
	int contd;              /* it began inside a (long) line */
	/* the input */
	int inl;                /* what was read ends inside a line */
	int streaming;          /* what went to lg_out() ends inside a line */
	int skip;               /* discarding the rest of a dropped line */
	int failing;            /* writes fail: drop input, count it */
	uint64_t dropped;       /* lines dropped while failing */
	size_t note;            /* the bytes being written start with the
	                         * notice, this long, not written yet */
	char *buf;              /* input held: [0,len), a partial line */
	size_t len, cap;        /* (NOTEMAX bytes before buf are free) */
	size_t hold;            /* longest partial line held */
} S;

static char tbuf[READSZ];       /* -t: input read, before stamps are added */

/* One line "svlog: A B[: error e]" on stderr, in one write so it never
 * interleaves with other writers. */
static void lg_say(const char *a, const char *b, int e)
{
	char m[512];
	const char *part[] = { "svlog: ", a, b, e ? ": " : "", e ? errstr(e) : "" };
	size_t n = 0;
	for (int i = 0; i < 5; i++) {
		size_t k = strlen(part[i]);
		if (k > sizeof m - 1 - n)
			k = sizeof m - 1 - n;
		memcpy(m + n, part[i], k);
		n += k;
	}
	m[n++] = '\n';
	while (write(2, m, n) < 0 && errno == EINTR)
		;
}

/* Decimal digits of v, exactly w of them (zero padded). */
static char *lg_digits(char *p, uint32_t v, int w)
{
	for (int i = w - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + w;
}

/* UTC time as YYYY-MM-DDTHH:MM:SS.ffffff, or without '-' and ':' when
 * compact. In 32 bits (64-bit division is a libgcc call on 32-bit CPUs):
 * times before 1970 or from 2106 on are shown as those limits. Days to a
 * civil date: the usual era/day-of-era arithmetic (eras of 400 years,
 * years starting in March). */
static char *lg_fmt_time(char *p, int64_t sec, long usec, int compact)
{
	uint32_t t = sec < 0 ? 0 : sec > UINT32_MAX ? UINT32_MAX : (uint32_t)sec;
	uint32_t z = t / 86400 + 719468, sod = t % 86400;
	uint32_t era = z / 146097, doe = z % 146097;
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153;
	uint32_t m = mp < 10 ? mp + 3 : mp - 9;
	uint32_t v[7] = { yoe + era * 400 + (m <= 2), m, doy - (153 * mp + 2) / 5 + 1,
	                  sod / 3600, sod / 60 % 60, sod % 60, (uint32_t)usec };
	for (int i = 0;; i++) {
		p = lg_digits(p, v[i], "\4\2\2\2\2\2\6"[i]);
		if (i == 6)
			return p;
		char c = (compact ? "\0\0T\0\0." : "--T::.")[i];
		if (c)
			*p++ = c;
	}
}

/* The -t prefix for the current time. */
static void lg_stamp(char ts[TSLEN])
{
	struct timespec t;
	clock_now(CLOCK_REALTIME, &t);
	char *p = lg_fmt_time(ts, t.tv_sec, t.tv_nsec / 1000, 0);
	p[0] = 'Z';
	p[1] = ' ';
}

/* ---- the directory: current and the archives ---- */

/* Is s an archive name? ('#' is a digit in the pattern) */
static int lg_is_archive(const char *s)
{
	static const char pat[ARCHLEN + 1] = "@########T######.######Z.s";
	for (int i = 0; i < ARCHLEN; i++)
		if (pat[i] == '#' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return 0;
	return s[ARCHLEN] == 0;
}

/* Count the archives (into S.narch too) and find the oldest (smallest
 * name). Reads DIR with getdents64 (readdir would pull in malloc). */
static unsigned long lg_scan(char oldest[ARCHLEN + 1])
{
	_Alignas(8) char b[4096];
	unsigned long n = 0;
	long got;
	if (lseek(S.dirfd, 0, SEEK_SET) < 0)
		return 0;
	/* getdents64: the same struct linux_dirent64 on every architecture */
	while ((got = syscall(SYS_getdents64, S.dirfd, b, sizeof b)) > 0) {
		for (long off = 0; off < got;) {
			/* linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen;
			const char *name = b + off + 19;
			memcpy(&reclen, b + off + 16, sizeof reclen);
			off += reclen;
			if (!lg_is_archive(name))
				continue;
			if (n++ == 0 || memcmp(name, oldest, ARCHLEN) < 0)
				memcpy(oldest, name, ARCHLEN + 1);
		}
	}
	S.narch = n;
	return n;
}

/* Delete the oldest archive if there are more than keep: 0 if one was
 * deleted, -1 if not. */
static int lg_delete_oldest(uint64_t keep)
{
	char old[ARCHLEN + 2];
	old[0] = '/';
	if (lg_scan(old + 1) <= keep)
		return -1;
	if (unlinkat(S.dirfd, old + 1, 0) < 0) {
		lg_say(S.dir, old, errno);
		return -1;
	}
	S.narch--;
	return 0;
}

/* Keep at most S.keep archives. The directory is read only when there
 * are (or seem to be) too many. */
static void lg_prune(void)
{
	while (S.narch > S.keep)
		if (lg_delete_oldest(S.keep) < 0)
			return;
}

/* A fresh archive name: the current UTC time, but later than any name
 * made before and not taken, so names are unique and sort by time. */
static void lg_archive_name(char name[ARCHLEN + 1])
{
	struct timespec t;
	clock_now(CLOCK_REALTIME, &t);
	int64_t sec = t.tv_sec;
	long usec = t.tv_nsec / 1000;
	if (sec < S.lsec || (sec == S.lsec && usec <= S.lusec)) {
		sec = S.lsec;
		usec = S.lusec + 1;
	}
	for (int tries = 0;; tries++) {
		if (usec >= 1000000) {
			sec++;
			usec = 0;
		}
		name[0] = '@';
		char *p = lg_fmt_time(name + 1, sec, usec, 1);
		memcpy(p, "Z.s", 4);
		struct stat st;
		if (tries > 1000 || (stat_at(S.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0
		                     && errno == ENOENT))
			break;
		usec++;
	}
	S.lsec = sec;
	S.lusec = usec;
}

/* Open DIR/current for appending: 0 or an errno. */
static int lg_open_current(void)
{
	/* never through a symlink, never a FIFO: only a file of our own */
	int fd = openat(S.dirfd, "current", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	                O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return errno;
	struct stat st;
	int e = stat_at(fd, "", &st, AT_EMPTY_PATH) < 0 ? errno : S_ISREG(st.st_mode) ? 0 : ENOTREG;
	if (e) {
		close(fd);
		return e;
	}
	S.curfd = fd;
	S.size = S.lineend = (uint64_t)st.st_size;
	return 0;
}

/* Rename current to a new archive, start an empty current: 0 or an errno. */
static int lg_rotate(void)
{
	char name[ARCHLEN + 1];
	lg_archive_name(name);
	if (renameat(S.dirfd, "current", S.dirfd, name) < 0)
		return errno;
	if (S.curfd >= 0)
		close(S.curfd);
	S.curfd = -1;
	S.size = 0;
	S.contd = S.midline;
	S.midline = 0;
	S.narch++;
	lg_prune();
	return lg_open_current();
}

/* Write p[0,n) into the log: rotate as needed, else one write of as many
 * whole lines as fit at a time. On an error, delete archives oldest first
 * and retry. Returns 0, or the errno that remained, with *done the bytes
 * that were written. */
static int lg_emit(const char *p, size_t n, size_t *done)
{
	const char *start = p;
	int e = 0;
	while (n > 0) {
		if (e && lg_delete_oldest(0) < 0)
			break;
		e = 0;
		if (S.curfd < 0 && (e = lg_open_current()) != 0)
			continue;
		uint64_t room = S.size < S.max ? S.max - S.size : 0;
		size_t k = n;
		if (n > room) {
			/* a notice needs (part of) a line after it in the same write */
			const char *nl = memrchr(p, '\n', (size_t)room);
			if (nl && (size_t)(nl + 1 - p) > S.note)
				k = (size_t)(nl + 1 - p);
			else if (S.note && S.size == 0)
				k = S.note; /* alone: the line gets a file of its own */
			else if (room > S.note && (S.size == 0 || (S.midline && !S.note)))
				k = (size_t)room;   /* a long line: fill the file */
			else {
				e = lg_rotate();
				continue;
			}
		}
		ssize_t w = write(S.curfd, p, k);
		if (w < 0) {
			e = errno == EINTR ? 0 : errno;
			continue;
		}
		if (S.note) {
			/* the notice counts only with the line after it (or whole,
			 * if alone): less than that is taken back */
			const char *q = memchr(p + S.note, '\n', k - S.note);
			if ((size_t)w < (q ? (size_t)(q + 1 - p) : k)
			    && (w == 0 || ftruncate(S.curfd, (off_t)S.size) == 0))
				w = 0;
			else
				S.note = (size_t)w < S.note ? S.note - (size_t)w : 0;
		}
		if (w == 0) {
			e = ENOSPC;
			continue;
		}
		const char *nl = memrchr(p, '\n', (size_t)w);
		if (nl)
			S.lineend = S.size + (uint64_t)(nl + 1 - p);
		S.size += (uint64_t)w;
		S.midline = p[w - 1] != '\n';
		p += w;
		n -= (size_t)w;
	}
	*done = (size_t)(p - start);
	return n ? e : 0;
}

/* Drop p[0,n): count the lines lost. A line cut at the end is counted now
 * and its rest is skipped as it arrives. */
static void lg_drop(const char *p, size_t n)
{
	const char *end = p + n, *q;
	while ((q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		S.dropped++;
		p = q + 1;
	}
	if (p < end) {
		S.dropped++;
		S.skip = 1;
		S.streaming = 0;
	}
}

/* The notice of the lines dropped, put just before end: its length. */
static size_t lg_notice(char *end)
{
	char m[NOTEMAX], *p = m;
	if (S.midline)
		*p++ = '\n';
	if (S.tflag) {
		lg_stamp(p);
		p += TSLEN;
	}
	memcpy(p, "svlog: dropped ", 15);
	p = fmt_uint(p + 15, S.dropped);
	memcpy(p, " lines\n", 7);
	p += 7;
	size_t n = (size_t)(p - m);
	memcpy(end - n, m, n);
	return n;
}

/* A write failed inside a line: remove the piece of it written, so the
 * log holds whole lines (the line is counted as dropped). */
static void lg_cut(void)
{
	if (!S.midline || S.curfd < 0 || S.lineend >= S.size
	    || ftruncate(S.curfd, (off_t)S.lineend) < 0)
		return;
	S.size = S.lineend;
	S.midline = S.size == 0 && S.contd;
}

/* Hand bytes to the log: written, or dropped while writing fails. While
 * failing, every call tries again, with the notice before the bytes (in
 * the NOTEMAX bytes before p, free in every buffer passed here); with no
 * bytes, the notice alone (at the end). */
static void lg_out(char *p, size_t n)
{
	size_t done, note = 0;
	int e;
	if (n > 0)
		S.streaming = p[n - 1] != '\n';
	if (S.failing) {
		note = S.note = lg_notice(p);
		p -= note;
		n += note;
	}
	if (n == 0)
		return;
	e = lg_emit(p, n, &done);
	if (S.note) {
		S.note = 0;        /* not taken: the notice waits on */
		done = note;
	} else if (note) {
		S.failing = 0;     /* taken, with a line after it */
		S.dropped = 0;
	}
	if (e != 0) {
		if (!S.failing)
			lg_say(S.dir, "/current", e);
		S.failing = 1;
		lg_drop(p + done, n - done);
		lg_cut();
	}
}

/* ---- the input ---- */

/* [b, e) in buf is input not written yet (what is before b is done with).
 * Write its complete lines, and its partial line too if that continues a
 * line begun in the log or is too long to hold; keep the rest at the start
 * of buf. */
static void lg_input(char *b, char *e)
{
	char *nl = memrchr(b, '\n', (size_t)(e - b));
	if (nl) {
		lg_out(b, (size_t)(nl + 1 - b));
		b = nl + 1;
	}
	S.len = (size_t)(e - b);
	if (S.len && (S.streaming || S.len >= S.hold)) {
		lg_out(b, S.len);
		S.len = 0;
	}
	memmove(S.buf, b, S.len);
}

/* Take n bytes read at p: in buf just after what is held, or with -t in
 * tbuf, to be copied into buf with a stamp before each line. */
static void lg_read(char *p, size_t n)
{
	char ts[TSLEN];
	if (S.tflag)
		lg_stamp(ts);
	while (n > 0) {
		if (S.skip) {
			/* the rest of a dropped line (nothing is held) */
			char *q = memchr(p, '\n', n);
			if (!q)
				return;
			S.skip = 0;
			S.inl = 0;
			n -= (size_t)(q + 1 - p);
			p = q + 1;
			continue;
		}
		if (!S.tflag) {
			S.inl = p[n - 1] != '\n';
			lg_input(p - S.len, p + n);
			return;
		}
		if (S.cap - S.len <= TSLEN)
			lg_input(S.buf, S.buf + S.len);  /* makes room */
		if (!S.inl) {
			memcpy(S.buf + S.len, ts, TSLEN);
			S.len += TSLEN;
			S.inl = 1;
		}
		size_t k = S.cap - S.len < n ? S.cap - S.len : n;
		char *q = memchr(p, '\n', k);
		if (q) {
			k = (size_t)(q + 1 - p);
			S.inl = 0;
		}
		memcpy(S.buf + S.len, p, k);
		S.len += k;
		p += k;
		n -= k;
	}
	if (S.tflag)
		lg_input(S.buf, S.buf + S.len);
}

/* ---- main loop ---- */

/* Handle pending signals: 1 to quit. */
static int lg_signals(void)
{
	struct signalfd_siginfo si;
	int quit = 0, e;
	for (;;) {
		ssize_t r = read(S.sigfd, &si, sizeof si);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof si)
			return quit;
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			quit = 1;
			break;
		case SIGALRM:
			if (S.curfd >= 0 && S.size > 0 && (e = lg_rotate()) != 0
			    && !S.failing)
				lg_say(S.dir, "/current: cannot rotate", e);
			break;
		case SIGHUP:
			if (S.curfd >= 0)
				close(S.curfd);
			S.curfd = -1;
			if ((e = lg_open_current()) != 0 && !S.failing)
				lg_say(S.dir, "/current", e);
			break;
		}
	}
}

/* EOF, SIGTERM or a read error: write out all that was read, end. */
static int lg_finish(int code)
{
	if (S.inl && !S.skip)
		S.buf[S.len++] = '\n';
	/* if still failing, the notice is tried even with no line (exit
	 * closes the files) */
	lg_out(S.buf, S.len);
	if (S.failing) {
		char m[32];
		memcpy(fmt_uint(m, S.dropped), " lines", 7);
		lg_say("dropped ", m, 0);
		code = 111;
	}
	return code;
}

static int lg_run(void)
{
	for (;;) {
		struct pollfd pf[2] = { { 0, POLLIN, 0 }, { S.sigfd, POLLIN, 0 } };
		/* while writes fail, a second without input tries the notice
		 * alone: once there is room the log says what was lost, without
		 * waiting for the next line (no wake-up otherwise) */
		int r = poll(pf, 2, S.failing ? 1000 : -1);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			lg_say("poll", "", errno);
			return lg_finish(111);
		}
		if (r == 0) {
			/* only with a free block: the last bytes of a full
			 * disk's last block would take the notice, not a line */
			struct statvfs v;
			if (fstatvfs(S.dirfd, &v) == 0 && v.f_bavail > 0)
				lg_out(S.buf, 0);
			continue;
		}
		if (pf[1].revents && lg_signals())
			return lg_finish(0);
		if (pf[0].revents) {
			char *p = S.tflag ? tbuf : S.buf + S.len;
			ssize_t n = read(0, p, READSZ);
			if (n == 0)
				return lg_finish(0);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				lg_say("stdin", "", errno);
				return lg_finish(111);
			}
			if (n > 0)
				lg_read(p, (size_t)n);
		}
	}
}

/* ---- setup ---- */

static int lg_usage(void)
{
	lg_say("usage: svlog [-s BYTES] [-n FILES] [-t] DIR", "", 0);
	return 2;
}

/* A decimal number in [lo, hi]: 0 if it is one. */
static int lg_number(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	uint64_t n = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > hi)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (n < lo || n > hi)
		return -1;
	*v = n;
	return 0;
}

static int lg_setup(void)
{
	static const unsigned char sigs[] = { SIGTERM, SIGINT, SIGALRM, SIGHUP, SIGPIPE };
	const char *who = S.dir, *why = ": cannot create";
	struct stat st;
	sigset_t set;
	int e, made = mkdir_p(S.dir);
	if (made < 0)
		goto fail_errno;
	why = "";
	S.dirfd = openat(AT_FDCWD, S.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* fchmod raw: the same call on all six CPUs; libc's adds a /proc
	 * fallback for O_PATH fds, which this is not */
	if (S.dirfd < 0 || (made && syscall(SYS_fchmod, S.dirfd, 0750) < 0) ||
	    stat_at(S.dirfd, "", &st, AT_EMPTY_PATH) < 0)
		goto fail_errno;
	/* others could swap our files: only in a sticky dir of our own */
	e = 0;
	why = ": writable by others";
	if ((st.st_mode & S_IWOTH) && !((st.st_mode & S_ISVTX) && st.st_uid == geteuid()))
		goto fail;
	/* one svlog per directory: two would interleave and rotate each
	 * other's files */
	if (flock(S.dirfd, LOCK_EX | LOCK_NB) < 0) {
		why = ": in use by another svlog";
		if (errno == EWOULDBLOCK)
			goto fail;
		why = "";
		goto fail_errno;
	}
	S.curfd = -1;
	why = "/current";
	if ((e = lg_open_current()) != 0)
		goto fail;
	S.narch = ULONG_MAX;     /* unknown: read DIR */
	lg_prune();

	who = "";
	why = "sigprocmask";
	sigemptyset(&set);
	for (int k = 0; k < 5; k++)
		sigaddset(&set, sigs[k]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		goto fail_errno;
	/* SIGPIPE stays blocked and unread: a closed stderr is just EPIPE */
	sigdelset(&set, SIGPIPE);
	/* an ignored signal never reaches the signalfd: undo inherited SIG_IGN */
	for (int k = 0; k < 4; k++)
		sig_default(sigs[k]);
	why = "signalfd";
	if ((S.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		goto fail_errno;
	/* room for a partial line up to BYTES and a read; reserved, not
	 * allocated: pages come as they are used (and no malloc in init) */
	uint64_t want = S.max + READSZ + TSLEN;
	S.cap = want > BUFMAX ? BUFMAX : (size_t)want;
	why = "mmap";
	while ((S.buf = mmap(NULL, S.cap + NOTEMAX, PROT_READ | PROT_WRITE,
	                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)) == MAP_FAILED) {
		if (S.cap <= 2 * READSZ)
			goto fail_errno;
		S.cap /= 2;
	}
	S.buf += NOTEMAX;
	S.hold = S.cap - READSZ - TSLEN;
	if (S.max < S.hold)
		S.hold = (size_t)S.max;
	return 0;
fail_errno:
	e = errno;
fail:
	lg_say(who, why, e);
	return -1;
}

int svlog_main(int argc, char **argv)
{
	int i = 1;
	S.max = 1000000;
	S.keep = 10;
	/* -t, -s BYTES, -n FILES, also grouped (-ts100), up to -- */
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i] + 1;
		if (!strcmp(a, "-")) {
			i++;
			break;
		}
		for (; *a == 't'; a++)
			S.tflag = 1;
		if (!*a)
			continue;
		int s = *a == 's';
		if ((!s && *a != 'n') ||
		    lg_number(a[1] ? a + 1 : argv[++i], s ? MINSIZE : 1,
		              s ? MAXSIZE : MAXKEEP, s ? &S.max : &S.keep) < 0)
			return lg_usage();
	}
	if (argc - i != 1 || !argv[i][0])
		return lg_usage();
	S.dir = argv[i];
	if (lg_setup() < 0)
		return 111;
	return lg_run();
}
