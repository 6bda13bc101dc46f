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
static const char *base;   /* SVDIR's last component ... */
static size_t baselen;     /* ... and its length, trailing slashes left out */

/* A service made fatal by its files has its dir watched, so that fixing
 * it (writing run, chmod +x) starts it without a command. */
static struct { int wd; int16_t slot; } fixwatch[64];

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

/* Is dfd/path, a directory entry of that type, a directory (or a link to
 * one)? 1 yes, 0 no, -1 (errno) it cannot be looked at. */
static int is_dir(int dfd, const char *path, int type)
{
	struct stat st;
	if (type != DT_LNK_ && type != DT_UNKNOWN_)
		return type == DT_DIR_;
	if (stat_at(dfd, path, &st, 0) < 0)
		return -1;
	return S_ISDIR(st.st_mode);
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
	svdir_rm_watch(wd_svdir);
	wd_svdir = inotify_add_watch(inofd, svdir, IN_CREATE | IN_DELETE | IN_MOVED_FROM |
				     IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (wd_svdir >= 0) {
		svdir_rm_watch(wd_parent);
		wd_parent = -1;
		return;
	}
	if (wd_parent >= 0)
		return;
	char parent[PATHLEN], *slash;  /* SVDIR is at most DIRLEN bytes */
	size_t len = strlen(strcpy(parent, svdir));
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = 0;
	if (!(slash = strrchr(parent, '/')) || !slash[1])
		return;  /* a relative SVDIR of one component, or / */
	base = svdir + (slash + 1 - parent);
	baselen = strlen(slash + 1);
	slash[slash == parent] = 0;  /* "/a": its parent is "/" */
	wd_parent = inotify_add_watch(inofd, parent, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
}

void svdir_open(void)
{
	inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inofd < 0)
		say_errno(NULL, "inotify (SVDIR changes need svctl rescan)", errno);
}

/* Does SVDIR/name/file exist (and, with `dir`, is it a directory)? The
 * name is a valid service name. */
static int has(const char *name, const char *file, int dir)
{
	char sub[NAMELEN + 6], path[PATHLEN];
	strcpy(stpcpy(stpcpy(sub, name), "/"), file);
	int r = is_dir(AT_FDCWD, join(path, svdir, sub), DT_UNKNOWN_);
	return dir ? r > 0 : r >= 0;
}

/* Entries of SVDIR that cannot be supervised (a symlink loop, an invalid
 * name, one service too many) are said once, not at every rescan: the
 * hashes of their names are kept until an event names them again (past
 * 64 of them, the others are said each time). */
static uint32_t said[64];  /* 0: free */

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;  /* FNV-1a */
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h | 1;
}

/* Say it of name, once; with no `what`, forget that name was said. */
static void say_once(const char *name, const char *what, const char *cause)
{
	uint32_t h = hash(name), *room = NULL;
	for (uint32_t *p = said; p < said + sizeof said / sizeof said[0]; p++) {
		if (*p == h && !what)
			*p = 0;
		if (*p == h)
			return;
		if (!*p)
			room = p;
	}
	if (!what)
		return;
	say(name, what, cause);
	if (room)
		*room = h;
}

/* One entry of SVDIR is (still) there. `arg` is non-NULL when the table
 * was empty before this scan: every entry is new, no need to look.
 * Returns whether it is a directory. */
static int entry(const char *name, int type, void *arg)
{
	char path[PATHLEN];
	int dir = is_dir(AT_FDCWD, join(path, svdir, name), type);
	if (dir < 0 && errno != ENOENT)  /* a symlink loop (ELOOP), say */
		say_once(name, "skipped", errstr(errno));
	if (dir <= 0)
		return 0;
	if (!valid_name(name)) {
		say_once(name, "skipped", "invalid service name");
		return 1;
	}
	struct service *s = arg ? NULL : svc_find(name);
	if (s) {
		s->flags |= F_SEEN;
		if (has(name, "log", 1) != !!(s->flags & F_HASLOG)) {
			s->flags ^= F_HASLOG;
			svc_log_check(s);
		}
		if (s->flags & F_GONE) {      /* came back before it was forgotten */
			s->flags &= (uint16_t)~F_GONE;
			if (!has(name, "down", 0))
				svc_command(s, "up");
		}
		return 1;
	}
	if (shutting_down)
		return 1;
	if (!(s = svc_new(name))) {
		say_once(name, "not supervised", "too many services (limit 1024)");
		return 1;
	}
	s->flags |= F_SEEN | F_NEW;  /* svc_start learns log/ and down from the dir */
	if (booting)  /* listed now, started when rc.boot is done */
		s->want = !has(name, "down", 0);
	return 1;
}

static void scanned(const char *name, int type, void *arg)
{
	entry(name, type, arg);
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
	int fd = openat(AT_FDCWD, svdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (each_entry(fd, scanned, nslot == 0 ? &fd : NULL) < 0)
			say_errno(NULL, svdir, errno);
		close(fd);
	} else if (errno != ENOENT) {
		say_errno(NULL, svdir, errno);
	}
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
	say_once(name, NULL, NULL);  /* it changed: say again what is wrong */
	if (entry(name, DT_UNKNOWN_, NULL)) {
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

/* SVDIR/NAME, or SVDIR/NAME/log for a logger, into path (PATHLEN). */
static const char *service_path(char *path, const struct service *s)
{
	char name[NAMELEN + 5];
	strcpy(stpcpy(name, s->name), (s->flags & F_LOGGER) ? "/log" : "");
	return join(path, svdir, name);
}

void svdir_watch(const struct service *s)
{
	char path[PATHLEN];
	svdir_unwatch(s);
	for (size_t i = 0; i < sizeof fixwatch / sizeof fixwatch[0]; i++)
		if (fixwatch[i].wd <= 0) {
			int wd = svdir_add_watch(service_path(path, s), IN_CREATE | IN_ATTRIB |
						 IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE |
						 IN_MOVED_FROM | IN_ONLYDIR);
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
			svdir_rm_watch(fixwatch[i].wd);
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
	int full = 0;  /* SVDIR to be read whole */
	char buf[1024] __attribute__((aligned(8)));  /* small: the stack is memory too */
	ssize_t n;
	while ((n = read(inofd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		for (ssize_t off = 0; off < n;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);
			off += (ssize_t)(sizeof *e + e->len);
			if (e->mask & IN_Q_OVERFLOW)
				full = 1;
			else if (e->wd == wd_parent)  /* only SVDIR's own name counts */
				full |= e->len && !strncmp(e->name, base, baselen) &&
					!e->name[baselen];
			else if (e->wd == control_wd())
				lost = 1;
			else if (e->wd != wd_svdir)
				fixed(e->wd);
			else if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				full = 1;
			else if (e->len && !full)
				svdir_scan_one(e->name);
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
	char path[PATHLEN];
	service_path(path, s);
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == EMFILE && more_fds())
		fd = openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	ssize_t n = 1;
	while (len < size - 1 && n) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno != EINTR)
			break;
		len += n > 0 ? (size_t)n : 0;
	}
	int e = errno;
	close(fd);
	errno = e;
	buf[len] = 0;
	return n < 0 ? -1 : (ssize_t)len;
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

/* The index of word in list ("a\0b\0...\0"); the count of words if it
 * is not there. */
static int word_index(const char *list, const char *word)
{
	int k = 0;
	for (; *list && strcmp(list, word); list += strlen(list) + 1)
		k++;
	return k;
}

static const char blanks[] = " \t\r\n";

struct config {
	struct service *s;
	int dfd, bad, transient, env, run, needs;
	size_t varlen;      /* user: bytes of USER=... at the start of envbufs[] */
	struct runas *ru;
	struct hconf hc;
};

static void config_fail(struct config *c, const char *file, const char *cause)
{
	svc_fail(c->s, file, cause);
	c->bad = 1;
}

static void cannot_read(struct config *c, const char *file)
{
	c->transient |= svdir_transient(errno);
	config_fail(c, file, errstr(errno));
}

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
	config_fail(c, file, *value ? cause : "empty");
}

static void invalid(struct config *c, const char *file, const char *value)
{
	bad_value(c, file, "invalid value", value);
}

/* The environment of a start, when it is not init's own (env/, user):
 * built in static buffers, used once, by the spawn that follows. */
#define ENV_MAX   512            /* variables in all */
#define ENV_BYTES (64 * 1024)    /* bytes of env/ values in all */
/* [1] for a logger: it is started within its service's svc_start(),
 * between the service's read of its config and its spawn */
static char *new_envs[2][2 + ENV_MAX + 4 + 1];  /* 2: room for health_env(), 4: USER... */
static char envbufs[2][ENV_BYTES];

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
	for (int end = 0; !end;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && !have)
			break;
		if (n <= 0) {  /* the last line had no newline */
			buf[have] = '\n';
			n = end = 1;
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
	int passwd;         /* in /etc/passwd, else in /etc/group */
	uint32_t id, gid;   /* found: uid and gid, or gid in id */
	int found;
	struct runas *ru;   /* group scan: add the groups listing name */
	char *buf;          /* passwd: where to put USER=..., its length */
	size_t len;
};

/* USER, LOGNAME, HOME and SHELL of a start as the user of these passwd
 * fields, as login(1) and systemd's User= set them. */
static void passwd_env(struct lookup *q, char **f, int nf)
{
	char *p = q->buf;
	if (nf < 7)
		return;
	const char *val[] = { f[0], f[0], f[5], *f[6] ? f[6] : "/bin/sh" };
	const char *name = "USER=\0LOGNAME=\0HOME=\0SHELL=";
	for (int i = 0; i < 4; i++, name += strlen(name) + 1)
		p = stpcpy(stpcpy(p, name), val[i]) + 1;
	q->len = (size_t)(p - q->buf);
}

/* passwd: name:pw:uid:gid:gecos:home:shell   group: name:pw:gid:member,... */
static int id_line(char *line, void *arg)
{
	struct lookup *q = arg;
	struct runas *ru = q->ru;
	char *f[7];
	uint32_t id, gid = 0;
	int nf = fields(line, f, 7);
	if (nf < 3 + q->passwd || parse_uint(f[2], UINT32_MAX, &id) < 0 ||
	    (q->passwd && parse_uint(f[3], UINT32_MAX, &gid) < 0))
		return 0;
	if (!ru) {  /* looking for a user or a group by name */
		q->id = id;
		q->gid = gid;
		if (strcmp(f[0], q->name))
			return 0;
		if (q->passwd)
			passwd_env(q, f, nf);
		return q->found = 1;
	}
	/* collecting the groups of a user */
	for (char *m = nf > 3 ? f[3] : NULL, *next; m; m = next) {
		if ((next = strchr(m, ',')))
			*next++ = 0;
		if (!strcmp(m, q->name) && id != ru->gid &&
		    ru->ngroups < (int)(sizeof ru->groups / sizeof ru->groups[0])) {
			ru->groups[ru->ngroups++] = id;
			break;
		}
	}
	return 0;
}

/* user: USER or USER:GROUP, names or numbers */
static void read_user(struct config *c, char *user)
{
	char *group = strchr(user, ':');
	if (group)
		*group++ = 0;
	struct runas *ru = c->ru;
	struct lookup q = { .name = user, .passwd = 1,
			    .buf = envbufs[(c->s->flags & F_LOGGER) != 0] };
	each_line("/etc/passwd", id_line, &q);
	c->varlen = q.len;
	if (!q.found && parse_uint(user, INT32_MAX, &q.id) == 0)
		q.gid = q.id;  /* a number not in passwd: uid, and gid the same */
	else if (!q.found) {
		bad_value(c, "user", "unknown user", user);
		return;
	}
	ru->uid = q.id;
	ru->gid = ru->groups[0] = q.gid;
	ru->ngroups = 1;
	struct lookup g = { .name = group ? group : user, .ru = group ? NULL : ru };
	if (group) {  /* USER:GROUP: that group alone */
		each_line("/etc/group", id_line, &g);
		if (!g.found && parse_uint(group, INT32_MAX, &g.id) < 0) {
			bad_value(c, "user", "unknown group", group);
			return;
		}
		ru->gid = ru->groups[0] = g.id;
	} else if (q.found) {  /* USER: its primary group and every group listing it */
		each_line("/etc/group", id_line, &g);
	}
	ru->set = 1;
}

/* limits: "NAME SOFT[:HARD]" a line, as setrlimit(2) takes them */
static void read_limits(struct config *c, char *text)
{
	static const uint8_t res[] = {
		RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE,
		RLIMIT_MEMLOCK, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_STACK,
	};
	struct runas *ru = c->ru;
	char *soft, *hard;
	for (char *name = strtok(text, blanks); name; name = strtok(NULL, blanks)) {
		int k = word_index("as\0core\0cpu\0data\0fsize\0memlock\0nofile\0nproc\0rss\0stack\0",
				   name);
		if (k == 10 || !(soft = strtok(NULL, blanks))) {
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

/* Is code listed in the exitcodes text? -1 if the text is invalid. */
static int listed(char *text, int code, const char **bad)
{
	int found = 0;
	for (char *w = strtok(text, blanks); w; w = strtok(NULL, blanks)) {
		uint32_t c;
		if (parse_uint(w, 255, &c) < 0) {
			*bad = w;
			return -1;
		}
		found |= (int)c == code;
	}
	return found;
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
	int r = n < 0 ? -1 : listed(buf, code, &bad);
	return r < 0 ? code == 0 : r;
}

/* needs: names separated by blanks or newlines, kept as "a b c". */
static void read_needs(struct config *c, char *text, int full)
{
	char list[NEEDS_MAX + 1], *p = list;
	c->needs = 1;
	*p = 0;
	for (char *w = strtok(text, blanks); w; w = strtok(NULL, blanks)) {
		if (!valid_name(w)) {
			invalid(c, "needs", w);
			return;
		}
		if ((size_t)(p - list) + strlen(w) + 1 > NEEDS_MAX || full) {
			config_fail(c, "needs", "too long (123 bytes at most)");
			return;
		}
		if (p > list)
			*p++ = ' ';
		p = stpcpy(p, w);
	}
	svc_text(c->s, T_NEEDS, list);
}

/* The files of a service dir, in the order of enum file. */
static const char files[] =
	"run\0down\0finish\0env\0notify\0check\0log\0"
	"needs\0limits\0exitcodes\0"  /* a text of lines */
	"user\0down-signal\0restart\0memory-max\0pids-max\0cpu-weight\0"  /* a line */
	"timeout-kill\0timeout-finish\0max-failures\0notification-fd\0"  /* a number */
	"watchdog\0check-interval\0check-timeout\0check-retries\0";
enum file {
	CF_RUN, CF_DOWN, CF_FINISH, CF_ENV, CF_NOTIFY, CF_CHECK, CF_LOG,
	CF_NEEDS, CF_LIMITS, CF_EXITCODES,
	CF_USER, CF_DOWNSIG, CF_RESTART, CF_CGROUP /* CG_N of them, in CG_ order */,
	CF_TKILL = CF_CGROUP + CG_N, CF_TFINISH, CF_MAXFAIL, CF_NOTIFYFD,
	CF_HEALTH /* HC_N of them, in HC_ order */, CF_NFILES = CF_HEALTH + 4
};

static void read_file(const char *name, int type, void *arg)
{
	struct config *c = arg;
	struct service *s = c->s;
	char buf[1024], *w = buf;
	const char *bad;
	uint32_t v;
	uint64_t n;
	int k = word_index(files, name);
	switch (k) {
	case CF_RUN:
		c->run = 1;
		return;
	case CF_DOWN:
		s->flags |= F_DOWNFILE;
		return;
	case CF_FINISH:
		s->flags |= F_FINISH;
		return;
	case CF_ENV:
		c->env = 1;
		return;
	case CF_NOTIFY:
		c->hc.what |= H_NOTIFY;
		return;
	case CF_CHECK:
		c->hc.what |= H_CHECK;
		if (access_at(c->dfd, name, X_OK) < 0)
			config_fail(c, name, "not executable");
		return;
	case CF_LOG:
		if ((s->flags & F_NEW) && is_dir(c->dfd, name, type) > 0)
			s->flags |= F_HASLOG;
		return;
	case CF_NFILES:
		return;
	}
	if (k == CF_NEEDS && (s->flags & F_LOGGER))
		return;
	ssize_t len = slurp(c->dfd, name, buf, sizeof buf);
	if (len < 0) {
		cannot_read(c, name);
		return;
	}
	if (k >= CF_USER)
		w = first_line(buf);
	switch (k) {
	case CF_NEEDS:
		read_needs(c, buf, len == sizeof buf - 1);
		return;
	case CF_LIMITS:
		read_limits(c, buf);
		return;
	case CF_EXITCODES:
		if (listed(buf, -1, &bad) < 0)
			invalid(c, name, bad);
		return;
	case CF_USER:
		read_user(c, w);
		return;
	case CF_DOWNSIG:
		k = signal_number(w);
		if (k <= 0)
			invalid(c, name, w);
		else
			s->down_signal = (uint8_t)k;
		return;
	case CF_RESTART:
		k = word_index("always\0on-failure\0never\0", w);  /* R_* */
		if (k > R_NEVER)
			invalid(c, name, w);
		else
			s->restart = (uint8_t)k;
		return;
	}
	if (k < CF_TKILL) {  /* memory-max (bytes, or K, M, G), pids-max, cpu-weight (1-10000) */
		k -= CF_CGROUP;
		if (parse_size(w, k == CG_MEMORY, &n) < 0 || n == ~(uint64_t)0 ||
		    (k == CG_CPU && (n < 1 || n > 10000)))
			invalid(c, name, w);
		else {
			c->ru->cg[k] = n;
			c->ru->cgset |= 1u << k;
		}
		return;
	}
	if (parse_uint(w, k == CF_MAXFAIL ? 65535 : k == CF_NOTIFYFD ? 1023 : 86400000, &v) < 0 ||
	    (k == CF_NOTIFYFD && v < 3) || (k >= CF_HEALTH && !v)) {
		invalid(c, name, w);
		return;
	}
	if (k == CF_TKILL)
		s->timeout_kill = v;
	else if (k == CF_TFINISH)
		s->timeout_finish = v;
	else if (k == CF_MAXFAIL)
		s->max_failures = (uint16_t)v;
	else if (k == CF_NOTIFYFD)
		s->notify_fd = (int16_t)v;
	else
		c->hc.v[k - CF_HEALTH] = v;
	if (k == CF_HEALTH + HC_WATCHDOG)
		c->hc.what |= H_WATCHDOG;
}

/* ---- env/: each file NAME sets NAME to its first line; an empty file
 * unsets NAME. */

struct envdir {
	struct config *c;
	int dfd, count;
	size_t len;
	char *buf;
	char **var;                  /* "NAME=value" or "NAME" (unset) */
};

static void env_file(const char *name, int type, void *arg)
{
	struct envdir *e = arg;
	struct config *c = e->c;
	(void)type;
	if (strchr(name, '=') || c->bad)
		return;
	size_t nlen = strlen(name), room = ENV_BYTES - e->len, vlen = 0;
	if (e->count == ENV_MAX || nlen + 2 > room) {
		config_fail(c, "env", "too many variables");
		return;
	}
	char *p = e->buf + e->len, *v = p + nlen + 1;
	memcpy(p, name, nlen);
	p[nlen] = '=';
	ssize_t n = slurp(e->dfd, name, v, room - nlen - 1);
	if (n < 0) {
		if (errno != EISDIR)
			cannot_read(c, "env");
		return;
	}
	for (; vlen < (size_t)n && v[vlen] != '\n'; vlen++)
		if (!v[vlen])  /* envdir: NUL stands for newline */
			v[vlen] = '\n';
	if (n > 0 && vlen == (size_t)n && (size_t)n == room - nlen - 2) {
		config_fail(c, "env", "values too large");
		return;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	v[vlen] = 0;
	if (n == 0)
		p[nlen] = 0;  /* empty file: unset */
	e->var[e->count++] = p;
	e->len += strlen(p) + 1;
}

/* The index in list[0..n) of the variable named as var is, or n. */
static int find_var(char **list, int n, const char *var)
{
	int i = 0;
	for (; i < n; i++) {
		const char *a = list[i], *b = var;
		while (*a && *a != '=' && *a == *b)
			a++, b++;
		if ((!*a || *a == '=') && (!*b || *b == '='))
			break;
	}
	return i;
}

/* The environment of this start: what env/ sets, then the variables of
 * the user env/ does not set or unset, then init's that neither sets. */
static char **read_env(struct config *c)
{
	int logger = (c->s->flags & F_LOGGER) != 0;
	char **env = new_envs[logger] + 2;
	struct envdir e = { .c = c, .buf = envbufs[logger], .var = env, .len = c->varlen };
	if (c->env) {
		e.dfd = openat(c->dfd, "env", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (e.dfd < 0) {
			cannot_read(c, "env");
			return NULL;
		}
		if (each_entry(e.dfd, env_file, &e) < 0)
			cannot_read(c, "env");
		close(e.dfd);
	}
	for (char *p = e.buf; p < e.buf + c->varlen; p += strlen(p) + 1)
		if (find_var(env, e.count, p) == e.count)
			env[e.count++] = p;
	int n = e.count, k = n;  /* k may pass ENV_MAX: then too many */
	for (char **v = svc_environ; *v; v++)
		if (find_var(env, n, *v) == n && k++ < ENV_MAX)
			env[k - 1] = *v;
	if (k > ENV_MAX)
		config_fail(c, "env", "too many variables");
	if (c->bad)
		return NULL;
	n = 0;
	for (int i = 0; i < k; i++)  /* leave out the unset ones */
		if (strchr(env[i], '='))
			env[n++] = env[i];
	env[n] = NULL;
	return env;
}

/* Read the files of a service dir into the slot (and *ru, *envp for this
 * start: the caller zeroes them, as its initializer does). Returns -1, having said why, when the dir is unusable, -2 when
 * it could not be read for want of a resource. */
int svdir_read_config(struct service *s, int dfd, struct runas *ru, char ***envp)
{
	struct config c = { .s = s, .dfd = dfd, .ru = ru,
			    .hc = { .v = { 0, 30000, 10000, 3 } } };
	int had_needs = (s->xflags & X_NEEDS) != 0;
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
		cannot_read(&c, "service dir");
	} else if (!c.run) {
		config_fail(&c, "run", "missing");
	} else if (!c.bad && (c.env || c.varlen)) {
		*envp = read_env(&c);
	}
	if (c.bad)
		return c.transient ? -2 : -1;
	health_config(s, &c.hc);
	return 0;
}
