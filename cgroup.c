/* cgroup.c: a cgroup v2 of its own for every service and every logger.
 *
 * Layout, below init's cgroup BASE (the root of the hierarchy on a
 * machine; where init was started otherwise):
 *
 *   BASE/init        init itself (cgroup v2 lets only leaves hold
 *                    processes once controllers are handed down)
 *   BASE/svc/NAME    a service: run, finish and whatever they leave behind
 *   BASE/log/NAME    its logger, apart, so stopping one never kills the other
 *
 * A slot's cgroup is made at its first start and kept until the service is
 * forgotten: no mkdir/rmdir per restart. The child enters it itself before
 * exec (it writes "0" to cgroup.procs), so no process of a service ever
 * runs outside it. When run ends, a populated cgroup keeps the service
 * `stopping`: init watches its cgroup.events with inotify (no polling) and
 * at the deadline kills what is left (cgroup.kill, or SIGKILL to each pid).
 *
 * Not a machine, init uses cgroups only where it is alone in its cgroup
 * (a container, a delegated unit): it never takes over a cgroup shared
 * with processes it does not own, and then says nothing. Without cgroup
 * v2, or where it may not write, one line at start; everything else works
 * as without cgroups.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "init.h"

static HOT char basepath[PATHLEN]; /* BASE; "" without cgroups */
static int ino = -1;               /* inotify on cgroup.events of draining slots */
static unsigned enabled;           /* CG_* controllers handed down to svc/ */

/* per slot; only touched where cgroups are used */
static uint8_t made[MAXSLOT];      /* the cgroup dir exists */
static HOT uint8_t had[MAXSLOT];   /* CG_* bits: limits written at the last start */
static int32_t wd[MAXSLOT];        /* watch while draining, else 0 */
static uint32_t oomseen[MAXSLOT];  /* oom_kill in memory.events, as last read */

/* the slot's index in the side tables (one copy, not one per caller) */
static __attribute__((noinline)) int slot(const struct service *s)
{
	return (int)(s - svc);
}

int cgroup_watch_fd(void)
{
	return ino;
}

/* BASE/rel, in a buffer of its own */
static const char *at_base(const char *rel)
{
	static char buf[PATHLEN];
	return join(buf, basepath, rel);
}

/* BASE/svc/NAME (or log/NAME), then /FILE if file, in a buffer of its own
 * (BASE is at most DIRLEN: it fits) */
static const char *cgpath(const struct service *s, const char *file)
{
	static char buf[PATHLEN];
	char *p = stpcpy(stpcpy(stpcpy(buf, basepath), (s->flags & F_LOGGER) ? "/log/" : "/svc/"), s->name);
	if (file)
		stpcpy(stpcpy(p, "/"), file);
	return buf;
}

/* Write a short string to a file; -1 with errno on failure. */
static int put(const char *path, const char *text)
{
	int fd = openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = write_all(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/* The number after KEY at the start of a line of dir/file (KEY "" is the
 * first line: memory.current); -1 if none. svctl reads usage this way.
 * nlines: how many lines the file had. */
static int nlines;
struct find { const char *key; int64_t v; };

static int find_line(char *line, void *arg)
{
	struct find *f = arg;
	size_t k = strlen(f->key);
	uint64_t v;
	nlines++;
	if (f->v < 0 && !strncmp(line, f->key, k) && parse_size(line + k, 0, &v) == 0)
		f->v = (int64_t)v;
	return 0;
}

int64_t cgroup_stat(const char *dir, const char *file, const char *key)
{
	char p[PATHLEN];
	struct find f = { key, -1 };
	nlines = 0;
	each_line(join(p, dir, file), find_line, &f);
	return f.v;
}

/* ---- finding our place ---- */

/* "0::/PATH" is the v2 line of /proc/PID/cgroup */
static int cgroup_line(char *line, void *buf)
{
	if (strncmp(line, "0::/", 4) || strlen(buf) + strlen(line) > DIRLEN)
		return 0;
	strcat(buf, line + 3);
	return 1;
}

/* The cgroup dir of a process, from its /proc/PID/cgroup, into buf
 * (PATHLEN): below the v2 hierarchy, mounted alone at /sys/fs/cgroup or
 * beside v1 at /sys/fs/cgroup/unified. "" if there is none. */
const char *cgroup_of(char *buf, const char *proc)
{
	static const char *const at[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	struct statfs fs;
	buf[0] = 0;
	for (int i = 0; i < 2 && !buf[0]; i++)
		if (statfs(at[i], &fs) == 0 && fs.f_type == 0x63677270) {  /* CGROUP2_SUPER_MAGIC */
			size_t n = strlen(strcpy(buf, at[i]));
			each_line(proc, cgroup_line, buf);
			if (strlen(buf) == n)
				buf[0] = 0;
		}
	return buf;
}

/* mkdir BASE/rel (there already is fine) */
static int mkdir_in(const char *rel)
{
	return mkdir(at_base(rel), 0755) < 0 && errno != EEXIST ? -1 : 0;
}

void cgroup_setup(int machine)
{
	const char *why = "no cgroup v2";
	if (!cgroup_of(basepath, "/proc/self/cgroup")[0])
		;
	else if (!machine && (cgroup_stat(basepath, "cgroup.procs", "") != getpid() || nlines != 1))
		why = NULL;  /* shared with others: not ours to take; nothing to say */
	else if (mkdir_in("init") < 0 || put(at_base("init/cgroup.procs"), "0") < 0 ||
		 mkdir_in("svc") < 0 || mkdir_in("log") < 0 ||
		 (ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		why = errstr(errno);
	else
		return;
	if (why)
		say(NULL, "cgroups: not used", why);
	basepath[0] = 0;
}

/* ---- a slot's cgroup ---- */

/* Make the slot's cgroup if needed; 0 if it is there. */
static int make(struct service *s)
{
	int i = slot(s);
	if (!made[i] && mkdir(cgpath(s, NULL), 0755) < 0 && errno != EEXIST)
		return -1;
	return made[i] = 1, 0;
}

/* Before a spawn: an fd on the slot's cgroup.procs, which the child
 * writes "0" to; -1 without cgroups (or when it cannot be had: said). */
int cgroup_enter_fd(struct service *s)
{
	int fd = -1;
	if (basepath[0] &&
	    (make(s) < 0 || (fd = openat(AT_FDCWD, cgpath(s, "cgroup.procs"), O_WRONLY | O_CLOEXEC)) < 0)) {
		say_errno(svc_label(s), "cgroup", errno);
		made[slot(s)] = 0;  /* made again next time (it may have been removed) */
	}
	return fd;
}

static int populated(const struct service *s)
{
	return cgroup_stat(cgpath(s, NULL), "cgroup.events", "populated ") > 0;
}

static void unwatch(int i)
{
	if (wd[i] > 0)
		inotify_rm_watch(ino, wd[i]);
	wd[i] = 0;
}

/* run ended: are processes of it left? Then watch for the cgroup to empty
 * (svc_emptied() is called then). */
int cgroup_busy(struct service *s)
{
	int i = slot(s);
	if (!made[i] || !populated(s))
		return 0;
	if (!wd[i])
		wd[i] = inotify_add_watch(ino, cgpath(s, "cgroup.events"), IN_MODIFY);
	/* no change was missed before the watch (without one: do as
	 * without cgroups) */
	if (wd[i] > 0 && populated(s))
		return 1;
	unwatch(i);
	return 0;
}

void cgroup_input(void)
{
	char buf[512] __attribute__((aligned(8)));
	ssize_t n;
	while ((n = read(ino, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		for (ssize_t off = 0; off < n;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);
			off += (ssize_t)(sizeof *e + e->len);
			for (int i = 0; i < nslot; i++)
				if (wd[i] == e->wd && (!populated(&svc[i]) || (e->mask & IN_IGNORED))) {
					unwatch(i);
					svc_emptied(&svc[i]);
				}
		}
	/* or memory.events changed: OOM kills are counted when they happen,
	 * not only when run ends (the killed process is often a child) */
	for (int i = 0; i < nslot; i++)
		cgroup_oom(&svc[i]);
}

/* one pid a line of cgroup.procs */
static int signal_line(char *line, void *sig)
{
	uint32_t pid;
	if (parse_uint(line, INT32_MAX, &pid) == 0 && pid > 1)
		kill((pid_t)pid, *(int *)sig);
	return 0;
}

/* Send sig to every process in the slot's cgroup. */
void cgroup_signal(struct service *s, int sig)
{
	if (made[slot(s)])
		each_line(cgpath(s, "cgroup.procs"), signal_line, &sig);
}

/* Kill everything left in the slot's cgroup. */
void cgroup_kill(struct service *s)
{
	if (made[slot(s)] && put(cgpath(s, "cgroup.kill"), "1") < 0)
		cgroup_signal(s, SIGKILL);  /* kernels before 5.14 */
}

/* The slot is freed: its cgroup goes (it is empty: the slot was down). */
void cgroup_forget(struct service *s)
{
	int i = slot(s);
	if (!made[i])
		return;
	unwatch(i);
	made[i] = had[i] = 0;
	oomseen[i] = 0;
	if (rmdir(cgpath(s, NULL)) < 0)
		say_errno(svc_label(s), "remove cgroup", errno);
}

/* init exits: leave no cgroup behind but the one it is in */
void cgroup_cleanup(void)
{
	for (int i = 0; i < nslot; i++)
		cgroup_forget(&svc[i]);
	if (basepath[0]) {
		rmdir(at_base("svc"));
		rmdir(at_base("log"));
	}
}

/* ---- limits: memory-max, pids-max, cpu-weight ---- */

/* At a start, before the spawn: the limits the files give, and the
 * defaults back where a file went away. One line for each that cannot be
 * applied; the service runs all the same. */
const char cgroup_files[CG_N][11] = { "memory-max", "pids-max", "cpu-weight" };

void cgroup_apply(struct service *s, const struct runas *ru)
{
	static const char file[CG_N][11] = { "memory.max", "pids.max", "cpu.weight" };
	static const char ctl[CG_N][8] = { "+memory", "+pids", "+cpu" };
	static const char svc_sub[] = "svc/cgroup.subtree_control";  /* + 4: BASE's */
	int i = slot(s);
	for (int k = 0; k < CG_N; k++) {
		unsigned bit = 1u << k;
		char v[24] = "max";
		if (!((ru->cgset | had[i]) & bit))
			continue;
		if (ru->cgset & bit)
			*fmt_uint(v, ru->cg[k]) = 0;
		else if (k == CG_CPU)
			strcpy(v, "100");
		/* the controller is handed down from BASE to svc/ once */
		if (basepath[0] && !(enabled & bit) &&
		    put(at_base(svc_sub + 4), ctl[k]) == 0 && put(at_base(svc_sub), ctl[k]) == 0)
			enabled |= bit;
		const char *why = !basepath[0] ? "not applied: no cgroup" :
				  !(enabled & bit) ? "not applied: controller not available" :
				  make(s) < 0 || put(cgpath(s, file[k]), v) < 0 ? errstr(errno) : NULL;
		if (why && (ru->cgset & bit))
			say(svc_label(s), cgroup_files[k], why);
		if (!why)
			had[i] = (uint8_t)((had[i] & ~bit) | (ru->cgset & bit));
	}
	if (had[i] & (1u << CG_MEMORY))  /* an OOM kill wakes cgroup_input() */
		inotify_add_watch(ino, cgpath(s, "memory.events"), IN_MODIFY);
}

/* run ended, or memory.events changed: each OOM kill in its cgroup since
 * the last look is counted (svc_oom_kill); how many there were. */
int cgroup_oom(struct service *s)
{
	int i = slot(s), n = 0;
	int64_t k = (had[i] & (1u << CG_MEMORY)) ?
		    cgroup_stat(cgpath(s, NULL), "memory.events", "oom_kill ") : -1;
	for (; k > oomseen[i]; n++, oomseen[i]++)
		svc_oom_kill(s);
	return n;
}
