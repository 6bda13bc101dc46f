/* client.c: what the clients of init (svctl and sv) share: finding a
 * live init on RUNDIR, reading the status file it keeps there, sending it
 * commands on its FIFO. Nothing here prints: the callers speak in their
 * own formats.
 *
 * A live init holds an exclusive flock on RUNDIR/pid. RUNDIR/status is a
 * header and init's slot table verbatim; each slot carries a checksum, so
 * a read that raced with init's write is seen and done again. A command is
 * one line `CMD [NAME] @TOKEN` in one write (atomic on the FIFO); init
 * puts the token into the header's ring once it has applied the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "init.h"
#include "client.h"

const char *run_dir = "/run/svc";

/* init's commands (svctl's words; sv maps runit's to them) */
const char commands[NCOMMANDS][9] = {
	"status", "up", "down", "restart", "once",
	"term", "hup", "int", "quit", "kill", "usr1", "usr2", "stop", "cont", "alrm", "winch",
	"rescan", "poweroff", "reboot", "halt",
};
static char path_buf[PATHLEN];

/* the status file as read: header, then slots (MAXSLOT), and the side
 * tables (init.h), read only for the slots that have a text; mapped by
 * the first load() */
struct status_head head;
struct service *slots;
uint32_t nslots;
static char (*texts)[MAXSLOT][TEXT_REC];
uint32_t oom_kills[MAXSLOT];

const char *in_run(const char *file)
{
	return join(path_buf, run_dir, file);
}

/* A file of RUNDIR, opened only if RUNDIR and it are root's or ours and
 * no one else can change them (as init requires), never through a
 * symlink, never blocking (a FIFO as status): a forged RUNDIR cannot make
 * root's svctl hang, or send its commands to someone else. */
int unsafe;

int open_run(const char *file, int flags, unsigned type)
{
	int fd = -1, dfd = openat(AT_FDCWD, run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0 && !(unsafe |= !trusted(dfd, S_IFDIR))) {
		fd = openat(dfd, file, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0 && (unsafe |= !trusted(fd, type))) {
			close(fd);
			fd = -1;
		}
	}
	if (dfd >= 0)
		close(dfd);
	return fd;
}

/* Is there a live init on RUNDIR? It holds an exclusive lock on pid. */
int init_alive(void)
{
	int fd = open_run("pid", O_RDONLY, S_IFREG);
	if (fd < 0)
		return 0;
	int alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

int read_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* The side texts of slot i that its flags announce; -1 if one was
 * caught half-written. */
int load_texts(int fd, int i)
{
	for (int t = 0; t < NTEXT; t++) {
		char *rec = texts[t][i];
		if (!(slots[i].xflags & (1u << t)))
			continue;
		if (read_full(fd, rec, TEXT_REC, (off_t)TEXT_OFF(t, i)) < 0) {
			slots[i].xflags &= (uint8_t)~(1u << t);  /* not there: none */
			continue;
		}
		uint32_t sum;
		memcpy(&sum, rec, 4);
		if (sum != checksum(rec + 4, TEXT_REC - 4))
			return -1;
		rec[TEXT_REC - 1] = 0;
	}
	if ((slots[i].xflags & X_OOM) && read_full(fd, &oom_kills[i], 4, (off_t)OOM_OFF(i)) < 0)
		oom_kills[i] = 0;
	return 0;
}

const char *text_of(const struct service *s, int t)
{
	return (s->xflags & (1u << t)) ? texts[t][s - slots] + 4 : NULL;
}

/* The header of the status file: 0 whole, 1 caught half-written, -1
 * not a status file of ours. */
static int read_head(int fd)
{
	if (read_full(fd, &head, sizeof head, 0) < 0 || head.magic != STATUS_MAGIC ||
	    head.slotsize != sizeof(struct service) || head.nslot > MAXSLOT)
		return -1;
	return head.sum != checksum((char *)&head + 4, sizeof head - 4);
}

/* Slot i as read: 0 if caught half-written (its checksum or a text's
 * does not match). Its name is cut and, from a forged file, made plain:
 * names are printed. */
static int slot_ok(int fd, uint32_t i)
{
	struct service *s = &slots[i];
	if ((s->flags & F_USED) &&
	    (s->sum != checksum((char *)s + 4, sizeof *s - 4) || load_texts(fd, (int)i) < 0))
		return 0;
	s->name[NAMELEN] = 0;
	for (char *c = s->name, t[3] = "x"; *c; c++)
		if (t[1] = *c, !valid_name(t))
			*c = '?';
	return 1;
}

/* Read the status file; a slot or header caught half-written makes us
 * read again. */
int load(void)
{
	if (!slots) {
		char *p = big_table(MAXSLOT * sizeof *slots + NTEXT * sizeof *texts);
		if (!p)
			return -1;
		slots = (struct service *)p;
		texts = (char (*)[MAXSLOT][TEXT_REC])(p + MAXSLOT * sizeof *slots);
	}
	int fd = open_run("status", O_RDONLY, S_IFREG), r = -1;
	for (int tries = 0; fd >= 0 && r < 0 && tries < 1000; tries++) {
		int h = read_head(fd);
		if (h < 0)
			break;
		if (h)
			continue;
		nslots = head.nslot;
		if (nslots && read_full(fd, slots, nslots * sizeof *slots, sizeof head) < 0)
			break;
		uint32_t i = 0;
		while (i < nslots && slot_ok(fd, i))
			i++;
		if (i == nslots)
			r = 0;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

/* While waiting: read again only the header and the slots of the
 * services waited for, where the last read had them (a few hundred
 * bytes instead of the table of 1000 services). Anything unexpected (a
 * slot caught half-written, reused by another name, the table grown or
 * shrunk, many names) falls back to reading it all. */
int refresh(char **names, int n)
{
	int fd = n > 16 ? -1 : openat(AT_FDCWD, in_run("status"), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int ok = fd >= 0 && read_head(fd) == 0 && head.nslot == nslots;
	for (int i = 0; ok && i < n; i++) {
		struct service *s = find(names[i]);
		uint32_t k = s ? (uint32_t)(s - slots) : 0;
		ok = s && read_full(fd, s, sizeof *s, (off_t)(sizeof head + k * sizeof *s)) == 0 &&
		     slot_ok(fd, k) && (s->flags & (F_USED | F_LOGGER)) == F_USED &&
		     !strcmp(s->name, names[i]);
	}
	if (fd >= 0)
		close(fd);
	return ok ? 0 : load();
}

struct service *find(const char *name)
{
	for (uint32_t i = 0; i < nslots; i++)
		if ((slots[i].flags & (F_USED | F_LOGGER)) == F_USED && !strcmp(slots[i].name, name))
			return &slots[i];
	return NULL;
}

const struct service *logger_of(const struct service *s)
{
	if (s->peer < 0 || (uint32_t)s->peer >= nslots)
		return NULL;
	const struct service *l = &slots[s->peer];
	return (l->flags & F_LOGGER) ? l : NULL;
}

int open_control(void)
{
	return open_run("control", O_WRONLY, S_IFIFO);
}

/* Tokens tell our commands from others' in init's ring. */
uint32_t first_token(void)
{
	return ((uint32_t)getpid() << 12) ^ (uint32_t)(clock_ms() & 0xfff) ^ 0x80000000u;
}

int send_line(int fd, const char *cmd, const char *name, uint32_t token)
{
	/* "\nCMD NAME @TOKEN\n": the leading newline ends any garbage that
	 * another writer left behind; names are at most 64 bytes, so the
	 * line is far below PIPE_BUF and its write is atomic */
	char buf[128], *p = stpcpy(stpcpy(buf, "\n"), cmd);
	if (name)
		p = stpcpy(stpcpy(p, " "), name);
	p = fmt_uint(stpcpy(p, " @"), token);
	*p++ = '\n';
	/* the FIFO is non-blocking: a line is written whole or not at all;
	 * while it is full, wait for init to read, 5 s at most */
	for (int64_t end = clock_ms() + 5000;;) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		if (write(fd, buf, (size_t)(p - buf)) == p - buf)
			return 0;
		if ((errno != EAGAIN && errno != EINTR) || clock_ms() > end)
			return -1;
		poll(&pf, 1, 100);
	}
}

/* Has init applied our command? Once seen, it stays seen: the ring in
 * the header moves on as other commands come. */
int acked(uint32_t token)
{
	static int seen;
	for (size_t i = 0; i < NACK && !seen; i++)
		seen = head.ack[i] == token;
	return seen;
}

/* Wait until a watch (inotify, or a signalfd of dnotify's SIGIO; non-
 * blocking) has news or the deadline passes, and read the news away. */
int await(int fd, int64_t deadline)
{
	int64_t left = deadline - clock_ms();
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[4096];
	int r = poll(&p, 1, left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left);
	while (r > 0 && read(fd, buf, sizeof buf) > 0)
		;
	return r < 0 && errno != EINTR ? -1 : 0;
}

/* With -w: an init that has just started (a main command calling svctl
 * at once) writes its status after its first look at SVDIR: wait for it. */
int wait_init(int64_t deadline)
{
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), r = -1;
	if (ino >= 0 && inotify_add_watch(ino, run_dir, IN_MODIFY) >= 0)
		while ((r = load()) < 0 && init_alive() && clock_ms() < deadline &&
		       await(ino, deadline) == 0)
			;
	if (ino >= 0)
		close(ino);
	return r;
}

/* "SECS" or "SECS.FRACTION" to milliseconds */
int parse_secs(const char *s, int64_t *ms)
{
	int64_t v = 0;
	int digits = 0, scale = 1000;
	for (; *s >= '0' && *s <= '9' && v < 1000000000; s++, digits++)
		v = v * 10 + (*s - '0');
	v *= 1000;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if ((scale /= 10) > 0)
				v += (*s - '0') * scale;
	if (*s || !digits)
		return -1;
	*ms = v;
	return 0;
}


/* Output */
static char obuf[16384];
static size_t olen;
static int ofailed;

int out_flush(int fd)
{
	if (olen && write_all(fd, obuf, olen) < 0 && fd == 1)
		ofailed = 1;
	olen = 0;
	return -ofailed;
}

void out(const char *s)
{
	size_t n = strlen(s);
	if (olen + n > sizeof obuf)
		out_flush(1);
	if (n <= sizeof obuf) {
		memcpy(obuf + olen, s, n);
		olen += n;
	}
}

void out_int(int64_t v)
{
	char b[24];
	*fmt_int(b, v) = 0;
	out(b);
}

/* v / 10^shift with `decimals` digits after the point (cut, not
 * rounded): v's digits with a point put in, one formatter for seconds of
 * milliseconds and of microseconds. */
void out_fixed(uint64_t v, int shift, int decimals)
{
	char b[40], *p = b + 10, *end = fmt_uint(p, v);
	while (end - p <= shift)  /* a digit before the point at least */
		*--p = '0';
	end -= shift;
	if (decimals) {
		memmove(end + 1, end, (size_t)decimals);
		*end = '.';
		end += decimals + 1;
	}
	*end = 0;
	out(p);
}
