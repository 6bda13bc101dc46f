/* servicedir.c: what SVDIR holds and what one service dir says.
 *
 * SVDIR is read once at start, then kept in sync through inotify: each
 * event names one entry, which is looked at alone. Nothing is ever written
 * here, so SVDIR and the service dirs may be read-only. No fd on SVDIR is
 * kept open (paths are used instead), so that removing SVDIR is seen: a
 * kept fd would keep the kernel from reporting it.
 *
 * The files of a service dir are read again at each start of run (and of
 * finish), so an edit applies at the next start. A file that cannot be
 * understood makes the service fatal with one line naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "init.h"

static int inofd = -1;     /* inotify */
static int wd_svdir = -1;  /* SVDIR: its entries, and itself removed or moved */
static int wd_parent = -1; /* SVDIR's parent, while SVDIR is missing */
static const char *base;   /* SVDIR's last component */

/* A service made fatal by its files has its dir watched, so that fixing
 * it (writing run, chmod +x) starts it without a command. */
static struct { int wd; int16_t slot; } fixwatch[64];

/* SVDIR/name, or SVDIR/name/file, into buf (PATHLEN bytes); "" (no
 * such file) if it does not fit. The name is any entry of SVDIR, not yet
 * checked: up to 255 bytes. */
static const char *in_svdir(char *buf, const char *name, const char *file)
{
	if (strlen(svdir) + strlen(name) + (file ? strlen(file) + 1 : 0) + 2 > PATHLEN)
		return "";
	char *p = stpcpy(stpcpy(stpcpy(buf, svdir), "/"), name);
	if (file)
		stpcpy(stpcpy(p, "/"), file);
	return buf;
}

/* getdents64 by hand: no allocation, works the same on musl and glibc */
struct dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};
#define DT_DIR_ 4
#define DT_LNK_ 10
#define DT_UNKNOWN_ 0

/* Call fn(name, type, arg) for each entry of the directory fd. */
static int each_entry(int fd, void (*fn)(const char *, int, void *), void *arg)
{
	char buf[1024] __attribute__((aligned(8)));  /* small: the stack is memory too */
	for (;;) {
		/* the same struct linux_dirent64 on every architecture */
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->reclen;
			if (d->name[0] != '.')
				fn(d->name, d->type, arg);
		}
	}
}

/* ---- SVDIR ---- */

int svdir_watch_fd(void)
{
	return inofd;
}

/* Watch SVDIR for entries coming and going, and for itself being removed
 * or moved; while it is missing, watch its parent for it to appear. */
static void watch(void)
{
	if (inofd < 0)
		return;
	if (wd_svdir >= 0)
		inotify_rm_watch(inofd, wd_svdir);
	wd_svdir = inotify_add_watch(inofd, svdir, IN_CREATE | IN_DELETE | IN_MOVED_FROM |
				     IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (wd_svdir >= 0) {
		if (wd_parent >= 0)
			inotify_rm_watch(inofd, wd_parent);
		wd_parent = -1;
		return;
	}
	if (wd_parent >= 0)
		return;
	char parent[PATHLEN];
	size_t len = strlen(svdir);
	while (len > 1 && svdir[len - 1] == '/')
		len--;
	size_t end = len;
	while (len > 0 && svdir[len - 1] != '/')
		len--;
	base = svdir + len;
	if (len > 0 && len < sizeof parent && end > len) {
		memcpy(parent, svdir, len);
		parent[len] = 0;
		wd_parent = inotify_add_watch(inofd, parent, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	}
}

void svdir_open(void)
{
	inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inofd < 0)
		say_errno(NULL, "inotify (SVDIR changes need svctl rescan)", errno);
}

static int is_dir(const char *name, int type)
{
	struct stat st;
	if (type == DT_DIR_)
		return 1;
	if (type != DT_LNK_ && type != DT_UNKNOWN_)
		return 0;
	char path[PATHLEN];
	return stat_at(AT_FDCWD, in_svdir(path, name, NULL), &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* Does SVDIR/svname/file exist (and, with `dir`, is it a directory)? */
static int has(const char *svname, const char *file, int dir)
{
	char path[PATHLEN];
	struct stat st;
	return stat_at(AT_FDCWD, in_svdir(path, svname, file), &st, 0) == 0 &&
	       (!dir || S_ISDIR(st.st_mode));
}


/* One entry of SVDIR is (still) there. `arg` is non-NULL when the table
 * was empty before this scan: every entry is new, no need to look. */
static void entry(const char *name, int type, void *arg)
{
	if (!is_dir(name, type))
		return;
	if (!valid_name(name)) {
		say(NULL, name, "skipped: invalid service name");
		return;
	}
	struct service *s = arg ? NULL : svc_find(name);
	if (s) {
		s->flags |= F_SEEN;
		uint16_t had = s->flags & F_HASLOG;
		if (has(name, "log", 1))
			s->flags |= F_HASLOG;
		else
			s->flags &= (uint16_t)~F_HASLOG;
		if ((s->flags & F_HASLOG) != had)
			svc_log_check(s);
		if (s->flags & F_GONE) {      /* came back before it was forgotten */
			s->flags &= (uint16_t)~F_GONE;
			if (!has(name, "down", 0))
				svc_command(s, "up");
		}
		return;
	}
	if (shutting_down || !(s = svc_new(name)))
		return;
	s->flags |= F_SEEN;
	s->flags |= F_NEW;  /* svc_start learns log/ and down from the dir */
	if (booting)  /* listed now, started when rc.boot is done */
		s->want = !has(name, "down", 0);
}

/* Start the services just found, once the status lists them all: a
 * service that asks for every service (svctl -w status) sees them all. */
static void start_new(void)
{
	status_flush();
	for (int i = 0; i < nslot && !booting; i++)
		if ((svc[i].flags & (F_NEW | F_LOGGER)) == F_NEW && svc[i].state == S_DOWN)
			svc_start(&svc[i]);
}

static void gone(struct service *s)
{
	if (s->flags & F_GONE)
		return;
	s->flags |= F_GONE;
	svc_command(s, "down");
	if (!(s->flags & F_USED))
		return;  /* forgotten already */
	if (s->state == S_DOWN || s->state == S_FATAL) {
		struct service *l = s->peer >= 0 ? &svc[s->peer] : NULL;
		if (!l || l->pid <= 0)
			svc_forget(s);
	}
}

/* Read SVDIR whole: new entries start, missing ones stop and go. While
 * rc.boot runs they are only listed. */
void svdir_scan(void)
{
	if (booting > 1)  /* beside another init: its services, not ours */
		return;
	watch();
	for (int i = 0; i < nslot; i++)
		svc[i].flags &= (uint16_t)~F_SEEN;
	static int first = 1;
	int fd = openat(AT_FDCWD, svdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		say_errno(NULL, svdir, errno);
	if (fd >= 0 && each_entry(fd, entry, nslot == 0 ? &first : NULL) < 0)
		say_errno(NULL, svdir, errno);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < nslot; i++)
		if ((svc[i].flags & (F_USED | F_LOGGER | F_SEEN)) == F_USED)
			gone(&svc[i]);
	start_new();
}

/* Look at one entry of SVDIR, named by an inotify event. */
void svdir_scan_one(const char *name)
{
	if (name[0] == '.' || booting > 1)
		return;
	if (is_dir(name, DT_UNKNOWN_)) {
		entry(name, DT_DIR_, NULL);
		start_new();
		return;
	}
	struct service *s = svc_find(name);
	if (s)
		gone(s);
}

/* An event in the dir of a fatal service: try it again (every service
 * watching that dir: two names may link to one dir). */
static void fixed(int wd)
{
	for (size_t i = 0; i < sizeof fixwatch / sizeof fixwatch[0]; i++)
		if (fixwatch[i].wd == wd && wd > 0) {
			struct service *s = &svc[fixwatch[i].slot];
			svdir_unwatch(s);
			if (s->state == S_FATAL && (s->flags & F_USED))
				svc_command(s, "up");
		}
}

void svdir_watch(const struct service *s)
{
	char path[PATHLEN];
	char name[NAMELEN + 5];
	strcpy(stpcpy(name, s->name), (s->flags & F_LOGGER) ? "/log" : "");
	svdir_unwatch(s);
	for (size_t i = 0; i < sizeof fixwatch / sizeof fixwatch[0]; i++)
		if (fixwatch[i].wd <= 0) {
			int wd = inofd < 0 ? -1 :
				 inotify_add_watch(inofd, join(path, svdir, name), IN_CREATE |
						   IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_TO |
						   IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR);
			if (wd >= 0) {
				fixwatch[i].wd = wd;
				fixwatch[i].slot = (int16_t)(s - svc);
			}
			return;
		}
}

void svdir_unwatch(const struct service *s)
{
	for (size_t i = 0; i < sizeof fixwatch / sizeof fixwatch[0]; i++)
		if (fixwatch[i].wd > 0 && fixwatch[i].slot == s - svc) {
			inotify_rm_watch(inofd, fixwatch[i].wd);
			fixwatch[i].wd = 0;
		}
}

int svdir_add_watch(const char *path, uint32_t mask)
{
	return inofd < 0 ? -1 : inotify_add_watch(inofd, path, mask);
}

void svdir_rm_watch(int wd)
{
	if (wd >= 0)
		inotify_rm_watch(inofd, wd);
}

void svdir_inotify_input(void)
{
	int lost = 0;  /* RUNDIR changed */
	char buf[1024] __attribute__((aligned(8)));  /* small: the stack is memory too */
	int full = 0;
	for (;;) {
		ssize_t n = read(inofd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);
			off += (ssize_t)(sizeof *e + e->len);
			if (e->mask & IN_Q_OVERFLOW)
				full = 1;
			else if (e->wd == wd_parent)  /* only SVDIR's own name counts */
				full |= e->len && !strncmp(e->name, base, strcspn(base, "/")) &&
					!e->name[strcspn(base, "/")];
			else if (e->wd == control_wd())
				lost = 1;
			else if (e->wd != wd_svdir)
				fixed(e->wd);
			else if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				full = 1;
			else if (e->len && !full)
				svdir_scan_one(e->name);
		}
	}
	if (lost)
		control_lost();
	if (full)
		svdir_scan();
}

/* ---- one service dir ---- */

/* Open the dir of a service, or of a logger (NAME/log). */
int svdir_open_service_quiet(const struct service *s)
{
	char path[NAMELEN + 8];
	const char *name = s->name;
	if (s->flags & F_LOGGER) {
		memcpy(stpcpy(path, s->name), "/log", 5);
		name = path;
	}
	char full[PATHLEN];
	join(full, svdir, name);
	int fd = openat(AT_FDCWD, full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == EMFILE && more_fds())
		fd = openat(AT_FDCWD, full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

int svdir_open_service(struct service *s)
{
	int fd = svdir_open_service_quiet(s);
	if (fd < 0) {
		int e = errno;
		svc_fail(s, "service dir", errstr(e));
		errno = e;
	}
	return fd;
}

/* A resource ran out (fds, memory): the service dir is not at fault, so
 * the start is retried with backoff instead of making it fatal. */
int svdir_transient(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM || err == EAGAIN ||
	       err == ENOBUFS || err == EINTR;
}

static int transient;  /* set by cannot_read() while reading a config */

static void cannot_read(struct service *s, const char *file)
{
	transient |= svdir_transient(errno);
	svc_fail(s, file, errstr(errno));
}

/* Open a file to read that must be a regular file: a FIFO, a device or
 * a socket would block init or feed it without end (ENOTREG), a dir is
 * EISDIR. */
int open_regular(int dfd, const char *file)
{
	struct stat st;
	int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	int e = stat_at(fd, "", &st, AT_EMPTY_PATH) < 0 ? errno :
		S_ISREG(st.st_mode) ? 0 : S_ISDIR(st.st_mode) ? EISDIR : ENOTREG;
	if (!e)
		return fd;
	close(fd);
	errno = e;
	return -1;
}

/* Read a small file into buf; returns its length or -1. */
static ssize_t slurp(int dfd, const char *file, char *buf, size_t size)
{
	int fd = open_regular(dfd, file);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	return (ssize_t)len;
}

/* First line of a file, trimmed of blanks at both ends. */
static char *first_line(char *buf)
{
	buf[strcspn(buf, "\n")] = 0;
	while (*buf == ' ' || *buf == '\t')
		buf++;
	size_t n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	return buf;
}

struct config {
	struct service *s;
	int dfd, bad, env, run, needs;
	struct runas *ru;
	struct hconf hc;
};

/* "FILE: invalid value 'abc'" or "user: unknown user 'www'": a config
 * error, one line */
static void bad_value(struct config *c, const char *file, const char *what, const char *value)
{
	char cause[128];
	char *p = stpcpy(stpcpy(cause, what), " '");
	size_t v = strnlen(value, 48);
	memcpy(p, value, v);
	/* "7s" in timeout-kill: say what the number counts */
	strcpy(p + v, strncmp(file, "timeout-", 8) || *value < '0' || *value > '9' ?
	       "'" : "' (a number of ms)");
	svc_fail(c->s, file, *value ? cause : "empty");
	c->bad = 1;
}

static void invalid(struct config *c, const char *file, const char *value)
{
	bad_value(c, file, "invalid value", value);
}

static void read_number(struct config *c, const char *file, uint32_t max, uint32_t *out)
{
	char buf[64];
	if (slurp(c->dfd, file, buf, sizeof buf) < 0) {
		cannot_read(c->s, file);
		c->bad = 1;
		return;
	}
	char *v = first_line(buf);
	if (parse_uint(v, max, out) < 0)
		invalid(c, file, v);
}

/* ---- user: /etc/passwd and /etc/group, read directly (a static
 * appliance has no name service, and libc's would double our size) ---- */

/* Call fn on each line of path; lines over 1 KiB are skipped. Stops when
 * fn returns nonzero. */
void each_line(const char *path, int (*fn)(char *line, void *arg), void *arg)
{
	char buf[1024];
	size_t have = 0;
	int skip = 0;  /* inside a line too long: drop to its end */
	int fd = open_regular(AT_FDCWD, path);
	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (have && !skip) {  /* last line without newline */
				buf[have] = 0;
				fn(buf, arg);
			}
			break;
		}
		have += (size_t)n;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = 0;
			if (!skip && fn(start, arg))
				goto done;
			skip = 0;
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof buf - 1) {
			have = 0;
			skip = 1;
		}
	}
done:
	close(fd);
}

/* Split "a:b:c" in place into at most n fields; returns how many. */
static int fields(char *line, char **f, int n)
{
	int k = 0;
	while (k < n) {
		f[k++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = 0;
	}
	return k;
}

struct lookup {
	const char *name;   /* user or group name sought */
	uint32_t id, gid;
	int found;
	struct runas *ru;   /* group scan: add the groups listing name */
};

/* passwd: name:pw:uid:gid:... */
static int passwd_line(char *line, void *arg)
{
	struct lookup *q = arg;
	char *f[4];
	if (fields(line, f, 4) < 4 || strcmp(f[0], q->name) ||
	    parse_uint(f[2], UINT32_MAX, &q->id) < 0 || parse_uint(f[3], UINT32_MAX, &q->gid) < 0)
		return 0;
	return q->found = 1;
}

/* group: name:pw:gid:member,member,... */
static int group_line(char *line, void *arg)
{
	struct lookup *q = arg;
	char *f[4];
	uint32_t gid;
	int nf = fields(line, f, 4);
	if (nf < 3 || parse_uint(f[2], UINT32_MAX, &gid) < 0)
		return 0;
	if (!q->ru) {  /* looking for a group by name */
		if (strcmp(f[0], q->name))
			return 0;
		q->gid = gid;
		return q->found = 1;
	}
	struct runas *ru = q->ru;  /* collecting the groups of a user */
	for (char *m = nf > 3 ? f[3] : NULL; m && *m;) {
		size_t len = strcspn(m, ",");
		if (len == strlen(q->name) && !memcmp(m, q->name, len) && gid != ru->gid &&
		    ru->ngroups < (int)(sizeof ru->groups / sizeof ru->groups[0])) {
			ru->groups[ru->ngroups++] = gid;
			break;
		}
		m += len + (m[len] == ',');
	}
	return 0;
}

static void read_user(struct config *c)
{
	char buf[256];
	if (slurp(c->dfd, "user", buf, sizeof buf) < 0) {
		cannot_read(c->s, "user");
		c->bad = 1;
		return;
	}
	char *user = first_line(buf), *group = strchr(user, ':');
	if (group)
		*group++ = 0;
	struct runas *ru = c->ru;
	struct lookup q = { .name = user };
	each_line("/etc/passwd", passwd_line, &q);
	if (!q.found && parse_uint(user, INT32_MAX, &q.id) == 0)
		q.gid = q.id;  /* a number not in passwd: uid, and gid the same */
	else if (!q.found) {
		bad_value(c, "user", "unknown user", user);
		return;
	}
	ru->uid = q.id;
	ru->gid = q.gid;
	ru->groups[0] = q.gid;
	ru->ngroups = 1;
	if (group) {  /* USER:GROUP: that group alone */
		struct lookup g = { .name = group };
		each_line("/etc/group", group_line, &g);
		if (!g.found && parse_uint(group, INT32_MAX, &g.gid) < 0) {
			bad_value(c, "user", "unknown group", group);
			return;
		}
		ru->gid = ru->groups[0] = g.gid;
	} else if (q.found) {  /* USER: its primary group and every group listing it */
		struct lookup g = { .name = user, .ru = ru };
		each_line("/etc/group", group_line, &g);
	}
	ru->set = 1;
}

/* limits: "NAME SOFT[:HARD]" a line, as setrlimit(2) takes them */
static void read_limits(struct config *c)
{
	static const char names[] = "as\0core\0cpu\0data\0fsize\0memlock\0nofile\0nproc\0rss\0stack";
	static const uint8_t res[] = {
		RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE,
		RLIMIT_MEMLOCK, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_STACK,
	};
	char buf[1024], *name, *soft, *hard;
	if (slurp(c->dfd, "limits", buf, sizeof buf) < 0) {
		cannot_read(c->s, "limits");
		c->bad = 1;
		return;
	}
	struct runas *ru = c->ru;
	for (name = strtok(buf, " \t\r\n"); name; name = strtok(NULL, " \t\r\n")) {
		const char *n = names;
		size_t k = 0;
		while (k < 10 && strcmp(n, name))
			n += strlen(n) + 1, k++;
		if (k == 10 || !(soft = strtok(NULL, " \t\r\n"))) {
			invalid(c, "limits", name);
			return;
		}
		struct rlim *l = &ru->limit[ru->nlimits];
		if ((hard = strchr(soft, ':')))
			*hard++ = 0;
		if (parse_size(soft, 0, &l->cur) < 0 || parse_size(hard ? hard : soft, 0, &l->max) < 0 ||
		    l->cur > l->max) {
			if (hard)
				hard[-1] = ':';
			invalid(c, "limits", soft);
			return;
		}
		l->res = res[k];
		ru->nlimits += ru->nlimits < 9;
	}
}

/* memory-max (bytes, or K, M, G), pids-max, cpu-weight (1-10000) */
static void read_cgroup_limit(struct config *c, const char *file, int k)
{
	char buf[64];
	uint64_t n;
	if (slurp(c->dfd, file, buf, sizeof buf) < 0) {
		cannot_read(c->s, file);
		c->bad = 1;
		return;
	}
	char *w = first_line(buf);
	if (parse_size(w, k == CG_MEMORY, &n) < 0 || n == ~(uint64_t)0 ||
	    (k == CG_CPU && (n < 1 || n > 10000)))
		invalid(c, file, w);
	c->ru->cg[k] = n;
	c->ru->cgset |= 1u << k;
}

/* Is code listed in the exitcodes text? -1 if the text is invalid. */
static int listed(char *text, int code, const char **bad)
{
	int found = 0;
	for (char *w = strtok(text, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		uint32_t c;
		if (parse_uint(w, 255, &c) < 0) {
			*bad = w;
			return -1;
		}
		found |= (int)c == code;
	}
	return found;
}

static void read_exitcodes(struct config *c)
{
	char buf[1024];
	const char *bad;
	if (slurp(c->dfd, "exitcodes", buf, sizeof buf) < 0) {
		cannot_read(c->s, "exitcodes");
		c->bad = 1;
	} else if (listed(buf, -1, &bad) < 0) {
		invalid(c, "exitcodes", bad);
	}
}

/* Restart on-failure: is this exit code one of the expected ones? Read
 * when the run ends (checked at its start), so the table stays small. */
int svdir_expected_exit(const struct service *s, int code)
{
	char buf[1024];
	const char *bad;
	int dfd = svdir_open_service_quiet(s);
	if (dfd < 0)
		return code == 0;
	ssize_t n = slurp(dfd, "exitcodes", buf, sizeof buf);
	close(dfd);
	if (n < 0)
		return code == 0;
	int r = listed(buf, code, &bad);
	return r < 0 ? code == 0 : r;
}

/* The files of health.c that hold a number: their HC_ index, or -1. */
static int hfile(const char *name)
{
	static const char names[][15] = {
		"watchdog", "check-interval", "check-timeout", "check-retries",
	};
	for (int k = 0; k < 4; k++)
		if (!strcmp(name, names[k]))
			return k;
	return -1;
}

/* needs: names separated by blanks or newlines, kept as "a b c". */
static void read_needs(struct config *c)
{
	char buf[1024], list[NEEDS_MAX + 1], *p = list;
	ssize_t n = slurp(c->dfd, "needs", buf, sizeof buf);
	c->needs = 1;
	if (n < 0) {
		cannot_read(c->s, "needs");
		c->bad = 1;
		return;
	}
	*p = 0;
	for (char *w = strtok(buf, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		size_t len = strlen(w);
		if (!valid_name(w)) {
			invalid(c, "needs", w);
			return;
		}
		if ((size_t)(p - list) + len + 1 > NEEDS_MAX || (size_t)n == sizeof buf - 1) {
			svc_fail(c->s, "needs", "too long (123 bytes at most)");
			c->bad = 1;
			return;
		}
		p = stpcpy(stpcpy(p, p > list ? " " : ""), w);
	}
	svc_text(c->s, T_NEEDS, list);
}

static void read_file(const char *name, int type, void *arg)
{
	struct config *c = arg;
	struct service *s = c->s;
	uint32_t v = 0;
	int hk;
	char buf[64];
	if (!strcmp(name, "run")) {
		c->run = 1;
	} else if (!strcmp(name, "down")) {
		s->flags |= F_DOWNFILE;
	} else if (!strcmp(name, "log") && (s->flags & F_NEW)) {
		struct stat st;
		if (type == DT_DIR_ ||
		    ((type == DT_LNK_ || type == DT_UNKNOWN_) &&
		     stat_at(c->dfd, name, &st, 0) == 0 && S_ISDIR(st.st_mode)))
			s->flags |= F_HASLOG;
	} else if (!strcmp(name, "finish")) {
		s->flags |= F_FINISH;
	} else if (!strcmp(name, "env")) {
		c->env = 1;
	} else if (!strcmp(name, "user")) {
		read_user(c);
	} else if (!strcmp(name, "timeout-kill")) {
		read_number(c, name, 86400000, &s->timeout_kill);
	} else if (!strcmp(name, "timeout-finish")) {
		read_number(c, name, 86400000, &s->timeout_finish);
	} else if (!strcmp(name, "max-failures")) {
		read_number(c, name, 65535, &v);
		s->max_failures = (uint16_t)v;
	} else if (!strcmp(name, "notification-fd")) {
		read_number(c, name, 1023, &v);
		if (!c->bad && v < 3)
			invalid(c, name, "0, 1 or 2");
		s->notify_fd = (int16_t)v;
	} else if (!strcmp(name, "exitcodes")) {
		read_exitcodes(c);
	} else if (!strcmp(name, "limits")) {
		read_limits(c);
	} else if (!strcmp(name, "notify")) {
		c->hc.what |= H_NOTIFY;
	} else if (!strcmp(name, "check")) {
		c->hc.what |= H_CHECK;
		if (access_at(c->dfd, name, X_OK) < 0) {
			svc_fail(s, name, "not executable");
			c->bad = 1;
		}
	} else if ((hk = hfile(name)) >= 0) {
		read_number(c, name, 86400000, &c->hc.v[hk]);
		if (!c->hc.v[hk])
			invalid(c, name, "0");
		c->hc.what |= hk == HC_WATCHDOG ? H_WATCHDOG : 0;
	} else if (!strcmp(name, "needs") && !(s->flags & F_LOGGER)) {
		read_needs(c);
	} else if (!strcmp(name, "down-signal") || !strcmp(name, "restart")) {
		if (slurp(c->dfd, name, buf, sizeof buf) < 0) {
			cannot_read(s, name);
			c->bad = 1;
			return;
		}
		char *w = first_line(buf);
		if (name[0] == 'd') {
			int sig = signal_number(w);
			if (sig <= 0)
				invalid(c, name, w);
			else
				s->down_signal = (uint8_t)sig;
		} else if (!strcmp(w, "always")) {
			s->restart = R_ALWAYS;
		} else if (!strcmp(w, "on-failure")) {
			s->restart = R_ONFAILURE;
		} else if (!strcmp(w, "never")) {
			s->restart = R_NEVER;
		} else {
			invalid(c, name, w);
		}
	} else {
		for (int k = 0; k < CG_N; k++)
			if (!strcmp(name, cgroup_files[k]))
				read_cgroup_limit(c, name, k);
	}
}

/* ---- env/: each file NAME sets NAME to its first line; an empty file
 * unsets NAME. The new environment is built in static buffers: it is
 * used once, by the spawn that follows. */

#define ENV_MAX   512            /* variables in all */
#define ENV_BYTES (64 * 1024)    /* bytes of env/ values in all */
/* [1] for a logger: it is started within its service's svc_start(),
 * between the service's read of its config and its spawn */
static char *new_envs[2][2 + ENV_MAX + 1];  /* 2: room for health_env() */
static char envbufs[2][ENV_BYTES];
static char **new_env;
static char *envbuf;

struct envdir {
	int dfd, count, bad;
	size_t len;
	char *start[ENV_MAX];        /* "NAME=value" or "NAME" (unset) */
	struct service *who;
};

static void env_file(const char *name, int type, void *arg)
{
	struct envdir *e = arg;
	(void)type;
	if (strchr(name, '=') || e->bad)
		return;
	size_t nlen = strlen(name), room = ENV_BYTES - e->len;
	if (e->count == ENV_MAX || nlen + 2 > room) {
		svc_fail(e->who, "env", "too many variables");
		e->bad = 1;
		return;
	}
	char *p = envbuf + e->len;
	memcpy(p, name, nlen);
	p[nlen] = '=';
	ssize_t n = slurp(e->dfd, name, p + nlen + 1, room - nlen - 1);
	if (n < 0) {
		if (errno != EISDIR) {
			cannot_read(e->who, "env");
			e->bad = 1;
		}
		return;
	}
	char *v = p + nlen + 1;
	char *nl = memchr(v, '\n', (size_t)n);
	size_t vlen = nl ? (size_t)(nl - v) : (size_t)n;
	if (n > 0 && vlen == (size_t)n && (size_t)n == room - nlen - 2) {
		svc_fail(e->who, "env", "values too large");
		e->bad = 1;
		return;
	}
	for (size_t i = 0; i < vlen; i++)  /* envdir: NUL stands for newline */
		if (!v[i])
			v[i] = '\n';
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	v[vlen] = 0;
	if (n == 0)
		p[nlen] = 0;  /* empty file: unset */
	e->start[e->count++] = p;
	e->len += strlen(p) + 1;
}

extern char **environ;

static int env_overridden(const struct envdir *e, const char *var)
{
	size_t vn = strcspn(var, "=");
	for (int i = 0; i < e->count; i++) {
		const char *p = e->start[i];
		if (strcspn(p, "=") == vn && !memcmp(p, var, vn))
			return 1;
	}
	return 0;
}

static int add_env(size_t *k, char *var, struct service *who)
{
	if (*k == ENV_MAX) {
		svc_fail(who, "env", "too many variables");
		return 0;
	}
	new_env[(*k)++] = var;
	return 1;
}

static char **read_env(int dfd, struct service *who, int logger, int *bad)
{
	static struct envdir e;
	new_env = new_envs[logger] + 2;
	envbuf = envbufs[logger];
	e = (struct envdir){ .who = who };
	e.dfd = openat(dfd, "env", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e.dfd < 0) {
		cannot_read(who, "env");
		*bad = 1;
		return NULL;
	}
	if (each_entry(e.dfd, env_file, &e) < 0) {
		cannot_read(who, "env");
		e.bad = 1;
	}
	close(e.dfd);
	size_t k = 0;
	for (char **v = svc_environ; *v && !e.bad; v++)
		if (!env_overridden(&e, *v))
			e.bad = !add_env(&k, *v, who);
	for (int i = 0; i < e.count && !e.bad; i++)
		if (strchr(e.start[i], '='))
			e.bad = !add_env(&k, e.start[i], who);
	if (e.bad) {
		*bad = 1;
		return NULL;
	}
	new_env[k] = NULL;
	return new_env;
}

/* Read the files of a service dir into the slot (and *ru, *envp for this
 * start). Returns -1, having said why, when the dir is unusable, -2 when
 * it could not be read for want of a resource. */
int svdir_read_config(struct service *s, int dfd, struct runas *ru, char ***envp)
{
	struct config c = { .s = s, .dfd = dfd, .ru = ru,
			    .hc = { .v = { 0, 30000, 10000, 3 } } };
	int had_needs = (s->xflags & X_NEEDS) != 0;
	transient = 0;
	memset(ru, 0, sizeof *ru);
	*envp = NULL;
	s->timeout_kill = 7000;
	s->timeout_finish = 5000;
	s->max_failures = 0;
	s->down_signal = SIGTERM;
	s->restart = R_ALWAYS;
	s->notify_fd = -1;
	s->flags &= (uint16_t)~(F_FINISH | F_DOWNFILE);

	int listed = each_entry(dfd, read_file, &c);
	if (!c.needs || c.bad || listed < 0)
		svc_text(s, T_NEEDS, NULL);
	ndeps += ((s->xflags & X_NEEDS) != 0) - had_needs;
	if (listed < 0) {
		cannot_read(s, "service dir");
		return transient ? -2 : -1;
	}
	if (!c.run) {
		svc_fail(s, "run", "missing");
		c.bad = 1;
	}
	if (!c.bad && c.env)
		*envp = read_env(dfd, s, (s->flags & F_LOGGER) != 0, &c.bad);
	if (!c.bad)
		health_config(s, &c.hc);
	return !c.bad ? 0 : transient ? -2 : -1;
}

