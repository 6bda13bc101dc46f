/* supervise.c: the life of one service.
 *
 * Each slot of svc[] is a service or the logger of one. A slot is in one
 * of the states of SPEC section 4 and moves only here:
 *
 *   DOWN --start--> STARTING --ready--> UP
 *     ^                 |                |
 *     |                 +----stop--------+--> STOPPING
 *     |                 |                        |
 *     |            run ends (either way, or after STOPPING)
 *     |                 v
 *     |      FINISHING (if ./finish) ----> decide():
 *     +-------- want down, once, 125, restart policy says no
 *               run lasted >= 5 s, or svctl restart/up: start at once
 *               run lasted < 5 s: BACKOFF (100 ms * 2^(k-1), at most 60 s)
 *               k reached max-failures: FATAL
 *
 * Nothing here blocks or sleeps: a wait is a deadline in the slot, and the
 * event loop in init.c wakes up for the nearest one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "init.h"

#define FAIL_MS      5000    /* a run shorter than this is a failure */
#define BACKOFF_MIN  100     /* first backoff, doubled each failure */
#define BACKOFF_MAX  60000
#define EOF_GRACE    1000    /* logger: time to drain the pipe and exit */
/* small helpers used in many places: one copy, not one per caller */
#define NOINLINE __attribute__((noinline))

static void decide(struct service *s, int finish_status);
static void logger_error(struct service *m);

int nnotify;  /* readiness pipes open: the loop polls them */

static NOINLINE struct service *peer(struct service *s)
{
	return s->peer >= 0 ? &svc[s->peer] : NULL;
}

void svc_dirty(struct service *s)
{
	status_dirty((int)(s - svc));
}

/* The loop's pass over the deadlines (svc_timers) walks every slot: at
 * 1000 services most of a restart's instructions. It is skipped while no
 * timer was set or cleared since the last pass and the nearest one it
 * found is still ahead. Whatever writes a timer sets timers_changed:
 * here, a deadline is set just before the state that waits for it, or
 * cleared by the next state (set_state); svc_wake; health.c. */
int timers_changed = 1;
static int64_t timer_next;  /* the nearest timer of the last pass; 0 none */

static void set_state(struct service *s, int st)
{
	if (s->state == S_FATAL && st != S_FATAL)
		svdir_unwatch(s);
	s->state = (uint8_t)st;
	if (s->deadline)
		timers_changed = 1;
	if (st != S_STOPPING && st != S_FINISHING && st != S_BACKOFF)
		s->deadline = 0;
	svc_dirty(s);
	if (st == S_UP && (s->flags & F_READY)) {
		svc_text(s, T_ERROR, NULL);  /* up and ready: the last failure is over */
		logger_error(s);
		if (ndeps)
			deps_up(s);
	}
	if (nheld && s->pid <= 0 && (s->xflags & X_NEEDS))
		deps_release();  /* a dependent is down: what it needs may stop */
}

/* Ready (notification-fd, or health.c's notify and check). */
void svc_set_ready(struct service *s)
{
	s->flags |= F_READY;
	if (s->state == S_STARTING)
		set_state(s, S_UP);
	else
		svc_dirty(s);
	if (s->flags & F_HEALTH)
		health_ready(s);  /* the watchdog armed, checks from now */
}

/* ---- why: texts beside the slot table (see init.h) ----
 * Mapped at the first text, and in their own region of the status file,
 * written through at once: only the pages of the slots that have one are
 * ever touched. */

static char (*texts)[MAXSLOT][TEXT_REC];
static uint32_t oom_kills[MAXSLOT];

const char *svc_text_of(const struct service *s, int t)
{
	return (s->xflags & (1u << t)) ? texts[t][s - svc] + 4 : NULL;
}

/* Keep "what: cause" (or what alone; NULL or "": clear) in table t;
 * too long, it is cut, but never inside a UTF-8 sequence. */
static void set_text(struct service *s, int t, const char *what, const char *cause)
{
	uint8_t flag = (uint8_t)(1u << t);
	int i = (int)(s - svc);
	if (!(s->xflags & flag) && !cause && (!what || !*what))
		return;  /* nothing to clear: every start clears, most have none */
	if (!texts && !(texts = big_table(NTEXT * sizeof *texts)))
		return;  /* out of memory: no text shown */
	char *rec = texts[t][i], buf[2 * TEXT_REC];
	size_t max = t == T_NEEDS ? NEEDS_MAX : TEXT_MAX;
	size_t n = what ? strnlen(what, max + 1) : 0;
	if (n)
		memcpy(buf + 4, what, n);
	if (cause) {  /* what is at most max + 1 bytes: both fit */
		size_t c = strnlen(cause, max);
		memcpy(buf + 4 + n, ": ", 2);
		memcpy(buf + 6 + n, cause, c);
		n += 2 + c;
	}
	if (n > max)
		for (n = max; n > 0 && (buf[4 + n] & 0xc0) == 0x80; n--)
			;
	memset(buf + 4 + n, 0, TEXT_REC - 4 - n);
	if ((s->xflags & flag) ? !memcmp(rec + 4, buf + 4, TEXT_REC - 4) : !n)
		return;  /* the same again: nothing to write */
	svc_dirty(s);
	s->xflags &= (uint8_t)~flag;
	if (!n)
		return;
	uint32_t sum = checksum(buf + 4, TEXT_REC - 4);
	memcpy(buf, &sum, 4);
	memcpy(rec, buf, TEXT_REC);
	status_write(rec, TEXT_REC, TEXT_OFF(t, i));
	s->xflags |= flag;
}

void svc_text(struct service *s, int t, const char *text)
{
	set_text(s, t, text, NULL);
}

/* Keep "what: cause" (or what alone) as the reason it is not up. */
void svc_error(struct service *s, const char *what, const char *cause)
{
	set_text(s, T_ERROR, what, cause);
}

/* A service up and ready shows its logger's failure, "logger: WHY",
 * until the logger is up again (without it the service blocks once the
 * pipe is full). s: the service or its logger. */
static void logger_error(struct service *s)
{
	struct service *m = (s->flags & F_LOGGER) ? peer(s) : s, *l = peer(m);
	const char *why = l ? svc_text_of(l, T_ERROR) : NULL;
	if (m->state == S_UP && (m->flags & F_READY))
		set_text(m, T_ERROR, why ? "logger" : NULL, why);
}

/* One line "init: NAME: what: cause" on stderr, kept as the error too. */
void svc_fail(struct service *s, const char *what, const char *cause)
{
	say(svc_label(s), what, cause);
	svc_error(s, what, cause);
	if (s->flags & F_LOGGER)
		logger_error(s);
}

/* cgroup.c: the OOM killer killed a process of this service. */
void svc_oom_kill(struct service *s)
{
	int i = (int)(s - svc);
	oom_kills[i] = (s->xflags & X_OOM) ? oom_kills[i] + 1 : 1;
	status_write(&oom_kills[i], 4, OOM_OFF(i));
	s->xflags |= X_OOM;
	svc_error(s, "out of memory", NULL);
	svc_dirty(s);
}

static int running(const struct service *s)
{
	return s->state == S_STARTING || s->state == S_UP || s->state == S_STOPPING;
}

static void close_notify(struct service *s)
{
	if (s->notify >= 0) {
		close(s->notify);
		s->notify = -1;
		nnotify--;
	}
}

static void close_fd(int16_t *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* ---- the table ---- */

/* The name for messages: "web", or "web/log" for its logger. */
const char *svc_label(const struct service *s)
{
	static char buf[NAMELEN + 5];
	if (!(s->flags & F_LOGGER))
		return s->name;
	memcpy(stpcpy(buf, s->name), "/log", 5);
	return buf;
}

struct service *svc_find(const char *name)
{
	for (struct service *s = svc; s < svc + nslot; s++)
		if ((s->flags & (F_USED | F_LOGGER)) == F_USED && !strcmp(s->name, name))
			return s;
	return NULL;
}

/* A fresh slot, or NULL when the table is full. Loggers share the table,
 * so MAXSVC services with a logger each still fit. */
static int nservices;  /* used slots that are services, not loggers */
static int free_hint;  /* no free slot below this one */

static NOINLINE void slot_clear(struct service *s, uint16_t flags)
{
	memset(s, 0, sizeof *s);
	s->flags = flags;
	s->logpipe[0] = s->logpipe[1] = s->notify = s->peer = s->notify_fd = -1;
	svc_dirty(s);
}

static struct service *slot_new(void)
{
	int i = free_hint < nslot ? free_hint : nslot;
	while (i < nslot && (svc[i].flags & F_USED))
		i++;
	free_hint = i;
	if (i == MAXSLOT)
		return NULL;
	nslot += i == nslot;
	slot_clear(&svc[i], F_USED);
	return &svc[i];
}

/* A slot for a new service; NULL past MAXSVC (the caller says so). */
struct service *svc_new(const char *name)
{
	struct service *s = nservices < MAXSVC ? slot_new() : NULL;
	if (!s)
		return NULL;
	strcpy(s->name, name);
	s->want = 1;
	nservices++;
	return s;
}

static void slot_free(struct service *s)
{
	svdir_unwatch(s);
	cgroup_forget(s);
	ndeps -= (s->xflags & X_NEEDS) != 0;
	nheld -= (s->xflags & X_HELD) != 0;
	slot_clear(s, 0);
	if (s - svc < free_hint)
		free_hint = (int)(s - svc);
}

void svc_forget(struct service *s)
{
	struct service *l = peer(s);
	if (l && (l->flags & F_LOGGER))
		slot_free(l);
	close_fd(&s->logpipe[0]);
	close_fd(&s->logpipe[1]);
	close_notify(s);
	slot_free(s);
	nservices--;
	while (nslot > 0 && !(svc[nslot - 1].flags & F_USED))
		nslot--;
}

/* pid -> slot, a hint: pid_hint[pid % PIDHINT] is the slot + 1 of the
 * last child started with such a pid. Checked before use, so a collision
 * only costs a search of the table. */
#define PIDHINT 1024
static HOT int16_t pid_hint[PIDHINT];

static NOINLINE void set_pid(struct service *s, pid_t pid)
{
	s->pid = pid;
	pid_hint[(unsigned)pid % PIDHINT] = (int16_t)(s - svc + 1);
}

struct service *svc_by_pid(pid_t pid)
{
	/* the hint: a slot of the table (a freed one has no F_USED) */
	struct service *s = &svc[pid_hint[(unsigned)pid % PIDHINT]], *end = svc + nslot;
	if (s > svc && (--s)->pid == pid && (s->flags & F_USED))
		return s;
	for (s = svc; s < end; s++)
		if ((s->flags & F_USED) && s->pid == pid)
			return s;
	return NULL;
}

/* ---- starting a process ---- */

/* Written by the vfork child when exec fails; the parent is suspended
 * until the child has exec'd or exited, so reading it after vfork()
 * returns is race-free. */
static volatile int child_errno;

struct spawn {
	char *const *argv;         /* "./run", "./finish" or "./check" and its arguments */
	char **envp;
	int dirfd;                 /* the service dir: cwd of the child */
	int in, out;               /* fds for 0 and 1+2; -1 keeps init's */
	int cgroup;                /* cgroup.procs to enter, or -1 */
	int notify_w, notify_to;   /* readiness pipe and its number in the child */
	char *pid_at;              /* the child writes its pid here (WATCHDOG_PID) */
	struct runas ru;
};

extern int devnull;            /* init.c: /dev/null, close-on-exec */
extern struct rlimit nofile0;  /* init.c: RLIMIT_NOFILE init started with */
extern int nofile_raised;

/* dup2 that also clears close-on-exec when from == to (0, 1 and 2 never
 * have it: init only opens its own fds above them). */
static int move_fd(int from, int to)
{
	/* raw calls here (fcntl, fchdir, pipe2): the same number and int
	 * arguments on all six CPUs; libc adds only fallbacks never needed */
	if (from == to)
		return to <= 2 ? 0 : (int)syscall(SYS_fcntl, to, F_SETFD, 0);
	return dup2(from, to) < 0 ? -1 : 0;
}

/* Where the kernel has setresuid32 (32-bit ARM, i386), the plain
 * setresuid, setresgid and setgroups take 16-bit ids: 100000 would
 * become 34464, 65535 would be -1 ("unchanged", so root stays root).
 * Everywhere else the plain calls take 32-bit ids. (musl does the same.) */
#ifdef SYS_setresuid32
#define SYS_SETRESUID SYS_setresuid32
#define SYS_SETRESGID SYS_setresgid32
#define SYS_SETGROUPS SYS_setgroups32
#else
#define SYS_SETRESUID SYS_setresuid
#define SYS_SETRESGID SYS_setresgid
#define SYS_SETGROUPS SYS_setgroups
#endif

/* In the vfork child: only syscalls, no allocation, no stdio. The signal
 * mask is emptied with the raw syscall so that signals libc keeps for
 * itself are unblocked too; dispositions are already default (init reset
 * them at start and never installs a handler). */
static void NOINLINE __attribute__((noreturn)) child(const struct spawn *sp)
{
	if ((sp->cgroup >= 0 && write(sp->cgroup, "0", 1) != 1) ||
	    sigmask_set(ksig_none) < 0 ||
	    setsid() < 0 || syscall(SYS_fchdir, sp->dirfd) < 0 ||
	    move_fd(sp->in >= 0 ? sp->in : devnull, 0) < 0 ||
	    (sp->out >= 0 && (move_fd(sp->out, 1) < 0 || move_fd(sp->out, 2) < 0)) ||
	    (sp->notify_w >= 0 && move_fd(sp->notify_w, sp->notify_to) < 0) ||
	    (nofile_raised &&
	     syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &nofile0, NULL) < 0))
		goto fail;
	/* raw calls: libc's would sync threads (3 KiB of musl) that this
	 * child does not have; the 32-bit-id ones, see SYS_SETRESUID */
	if (limits_apply(&sp->ru) < 0 ||
	    (sp->ru.set && (syscall(SYS_SETGROUPS, (long)sp->ru.ngroups, sp->ru.groups) < 0 ||
	    syscall(SYS_SETRESGID, sp->ru.gid, sp->ru.gid, sp->ru.gid) < 0 ||
	    syscall(SYS_SETRESUID, sp->ru.uid, sp->ru.uid, sp->ru.uid) < 0)))
		goto fail;
	if (sp->pid_at)  /* in init's memory, unused until the next start */
		*fmt_uint(sp->pid_at, (uint64_t)getpid()) = 0;
	execve(sp->argv[0], sp->argv, sp->envp ? sp->envp : svc_environ);
fail:
	child_errno = errno;
	_exit(127);
}

/* setrlimit for each line of `limits`, in a child before exec (also for
 * `check`); -1 with errno. Raw prlimit64: same on every architecture. */
int limits_apply(const struct runas *ru)
{
	for (int i = 0; i < ru->nlimits; i++)
		if (syscall(SYS_prlimit64, 0, ru->limit[i].res, &ru->limit[i], NULL) < 0)
			return -1;
	return 0;
}

/* Start a child of the slot, in its cgroup; returns its pid, or -1 with
 * errno set (fork or exec). */
static pid_t spawn(struct service *s, struct spawn *sp)
{
	sp->cgroup = cgroup_enter_fd(s);
	child_errno = 0;
	pid_t pid = vfork();
	if (pid == 0)
		child(sp);
	int e = pid < 0 ? errno : child_errno;
	if (pid > 0 && e)  /* the child exited: reap it here so no one else sees it */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (sp->cgroup >= 0)
		close(sp->cgroup);
	errno = e;
	return e ? -1 : pid;
}

/* A pipe whose fds fit the slot's 16-bit fields; out of fds, the limit
 * is raised once and the pipe tried again. */
static int pipe16(int16_t out[2], int flags)
{
	int p[2];
	/* raw: pipe2 is the same call on all six CPUs (MIPS's odd one is pipe) */
	if (syscall(SYS_pipe2, p, flags) < 0 &&
	    !(errno == EMFILE && more_fds() && syscall(SYS_pipe2, p, flags) == 0))
		return -1;
	if ((p[0] | p[1]) > INT16_MAX) {
		close(p[0]);
		close(p[1]);
		errno = EMFILE;
		return -1;
	}
	out[0] = (int16_t)p[0];
	out[1] = (int16_t)p[1];
	return 0;
}

/* ---- the logger pipe ----
 * init holds both ends of a service's log pipe from the logger's start
 * until the service is stopped for good, so either side may restart
 * without losing a line: what the service wrote waits in the pipe. */

static void log_start_if_down(struct service *l)
{
	l->want = 1;
	l->flags &= (uint16_t)~F_EOFWAIT;
	if (l->state == S_DOWN || l->state == S_FATAL)
		svc_start(l);
	else if (running(l) || l->state == S_FINISHING)
		l->flags |= F_NOW;  /* draining an old pipe: restart on the new one */
}

/* Make sure a service with log/ has its pipe and a running logger. */
static int log_ensure(struct service *s)
{
	struct service *l = peer(s);
	if (!l) {
		if (!(l = slot_new())) {
			svc_fail(s, "log", "no free slot for the logger");
			return -1;
		}
		memcpy(l->name, s->name, sizeof l->name);
		l->flags |= F_LOGGER;
		l->peer = (int16_t)(s - svc);
		s->peer = (int16_t)(l - svc);
		svc_dirty(s);
	}
	if (s->logpipe[1] < 0) {
		close_fd(&s->logpipe[0]);  /* an old logger drains its own copy */
		if (pipe16(s->logpipe, O_CLOEXEC) < 0) {
			svc_fail(s, "logger pipe", errstr(errno));
			return -1;
		}
	}
	log_start_if_down(l);
	return 0;
}

/* The service is stopped for good: close init's write end so the logger
 * reads to EOF and exits; stop it for real if it is still there after
 * EOF_GRACE (a stray process of the service may hold the pipe). */
static void log_close(struct service *s)
{
	struct service *l = peer(s);
	close_fd(&s->logpipe[1]);
	if (!l)
		return;
	l->want = 0;
	l->flags &= (uint16_t)~F_NOW;
	if (running(l)) {
		l->flags |= F_EOFWAIT;
		l->deadline = now() + EOF_GRACE;
		set_state(l, S_STOPPING);
	} else if (l->state != S_FINISHING) {
		close_fd(&s->logpipe[0]);
		set_state(l, S_DOWN);
	}
}

/* A slot reaches DOWN or FATAL (st) with nothing running. */
static void settle(struct service *s, int st)
{
	set_state(s, st);
	if (s->flags & F_LOGGER) {
		struct service *m = peer(s);  /* a logger always has its service */
		if (m->logpipe[1] < 0)
			close_fd(&m->logpipe[0]);
		if ((m->flags & F_GONE) && m->state == S_DOWN)
			svc_forget(m);
		return;
	}
	if (!s->want || (s->flags & F_GONE) || shutting_down) {
		log_close(s);
		struct service *l = peer(s);
		if ((s->flags & F_GONE) && (!l || l->state == S_DOWN || l->state == S_FATAL))
			svc_forget(s);
	}
}

/* ---- start, stop ---- */

static void to_backoff(struct service *s);

/* Its files are wrong: fatal until they change (watched) or svctl up. */
void svc_config_fatal(struct service *s)
{
	svdir_watch(s);
	settle(s, S_FATAL);
}

void svc_start(struct service *s)
{
	static char *const run[] = { "./run", NULL };
	struct spawn sp = { .argv = run, .in = -1, .out = -1, .notify_w = -1 };
	int16_t np[2] = { -1, -1 };
	int r = -2, dfd = sp.dirfd = svdir_open_service(s);
	if (dfd < 0) {
		r = svdir_transient(errno) ? -2 : -1;
		goto out;
	}
	r = svdir_read_config(s, dfd, &sp.ru, &sp.envp);
	if ((s->flags & F_NEW) && (s->flags & F_DOWNFILE) && !(s->xflags & X_PULLED) &&
	    !(ndeps && deps_needed(s))) {
		/* first seen with a `down` file: stays down until svctl up */
		s->want = 0;
		r = 1;
	}
	s->flags &= (uint16_t)~F_NEW;
	if (r == 0 && (s->xflags & X_NEEDS)) {
		int go = deps_start(s);  /* 0: wait for its needs; < 0: a cycle (fatal) */
		r = go > 0 ? 0 : go == 0 ? 2 : 3;
	}
	if (r)
		goto out;
	/* a service writes to its logger, or else (both stdout and stderr)
	 * to init's stdout; a logger reads the pipe, writes where init does */
	if (s->flags & F_LOGGER)
		sp.in = peer(s)->logpipe[0];
	else if (!(s->flags & F_HASLOG))
		sp.out = 1;
	else if (log_ensure(s) == 0)
		sp.out = s->logpipe[1];
	else {  /* no pipe (out of fds): never start without the logger */
		r = -2;
		goto out;
	}
	if (s->notify_fd >= 0) {
		if (pipe16(np, O_CLOEXEC | O_NONBLOCK) < 0)
			svc_fail(s, "notification-fd pipe", errstr(errno));
		sp.notify_w = np[1];
		sp.notify_to = s->notify_fd;
	}
	if (s->flags & F_HEALTH)
		sp.envp = health_env(s, sp.envp ? sp.envp : svc_environ, &sp.pid_at);
	cgroup_apply(s, &sp.ru);
	pid_t pid = spawn(s, &sp);
	int err = errno;
	if (np[1] >= 0)
		close(np[1]);
	s->started = now();
	if (pid < 0) {
		if (np[0] >= 0)
			close(np[0]);
		struct stat st;
		if ((err == EACCES || err == ENOENT) &&
		    (access_at(dfd, "run", X_OK) < 0 ||
		     stat_at(dfd, "run", &st, 0) < 0 || !S_ISREG(st.st_mode))) {
			/* run itself not executable is a config error (fatal);
			 * a missing interpreter or a failing user switch is not */
			svc_fail(s, "run", "not executable");
			r = -1;
		} else {
			svc_fail(s, "run", errstr(err));
			r = -2;
		}
		goto out;
	}
	if (s->flags & F_AUTO)
		s->restarts++;
	s->flags &= (uint16_t)~(F_AUTO | F_NOW | F_READY);
	set_pid(s, pid);
	s->notify = np[0];
	nnotify += np[0] >= 0;
	int wait = np[0] >= 0;  /* for readiness: notification-fd, notify, check */
	if (s->flags & F_HEALTH)
		wait |= health_started(s, wait);
	set_state(s, S_STARTING);
	if (!wait)
		svc_set_ready(s);
out:
	if (dfd >= 0)
		close(dfd);
	/* r: -2 backoff (try again later), -1 its files are wrong, 1 down
	 * file, 2 waiting for its needs, 3 a cycle (deps.c made it fatal) */
	if (r == -2)
		to_backoff(s);
	else if (r == -1)
		svc_config_fatal(s);
	else if (r == 1)
		svc_dirty(s);
	else if (r == 2)
		set_state(s, S_WAITING);
}

/* Send the stop signal (and SIGCONT, so a stopped process sees it) to the
 * whole process group; SIGKILL follows at the deadline. */
void svc_stop(struct service *s)
{
	if (s->state != S_STARTING && s->state != S_UP)
		return;
	if (!s->want && deps_hold(s))
		return;  /* its dependents stop first */
	if (s->flags & F_HEALTH)
		health_stopped(s);
	if (kill(-s->pid, s->down_signal) < 0)
		kill(s->pid, s->down_signal);
	kill(-s->pid, SIGCONT);
	s->deadline = now() + s->timeout_kill;
	set_state(s, S_STOPPING);
}

static void to_backoff(struct service *s)
{
	if (!s->want) {  /* e.g. `once` whose exec failed: no retry */
		settle(s, S_DOWN);
		return;
	}
	if (s->failures < UINT16_MAX)
		s->failures++;
	if (s->max_failures && s->failures >= s->max_failures) {
		char n[16];
		*fmt_uint(n, s->failures) = 0;
		svc_fail(s, "fatal: consecutive failures", n);
		settle(s, S_FATAL);
		return;
	}
	s->flags |= F_AUTO;
	s->deadline = now() + (s->failures > 10 ? BACKOFF_MAX : BACKOFF_MIN << (s->failures - 1));
	set_state(s, S_BACKOFF);
}

/* ---- run or finish ended ---- */

/* Start ./finish or ./check (argv, NULL-terminated) beside run: in the service dir, as
 * its user, output where run's goes. Its pid, or -1 with errno, said. */
pid_t svc_spawn_aux(struct service *s, char *const argv[3])
{
	int dfd = (s->flags & F_GONE) ? svdir_open_service_quiet(s) : svdir_open_service(s);
	struct spawn sp = { .argv = argv, .dirfd = dfd, .in = -1, .out = -1, .notify_w = -1 };
	pid_t pid = -1;
	if (dfd >= 0 && svdir_read_config(s, dfd, &sp.ru, &sp.envp) == 0) {
		if (!(s->flags & F_LOGGER))
			sp.out = s->logpipe[1] >= 0 ? s->logpipe[1] : 1;
		if ((pid = spawn(s, &sp)) < 0)
			svc_fail(s, argv[0] + 2, errstr(errno));
	}
	int e = errno;
	if (dfd >= 0)
		close(dfd);
	errno = e;
	return pid;
}

static void start_finish(struct service *s)
{
	int st = s->last_status;
	char code[12], sig[12];
	*fmt_int(code, WIFEXITED(st) ? WEXITSTATUS(st) : -1) = 0;
	*fmt_int(sig, WIFSIGNALED(st) ? WTERMSIG(st) : 0) = 0;
	char *argv[4] = { "./finish", code, sig, NULL };
	pid_t pid = svc_spawn_aux(s, argv);
	if (pid < 0) {
		decide(s, 0);
		return;
	}
	set_pid(s, pid);
	s->deadline = now() + s->timeout_finish;
	set_state(s, S_FINISHING);
}

/* exit code of a wait status; -1 if killed by a signal */
static NOINLINE int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* After run (and finish) ended: restart now, later, or not at all. */
static void decide(struct service *s, int finish_status)
{
	int code = exit_code(s->last_status);
	int failed = (s->flags & F_HEALTH) && health_failed(s);  /* watchdog, check */
	int now_ = (s->flags & F_NOW) != 0;
	if (code == 125 || exit_code(finish_status) == 125 || (s->flags & (F_ONCE | F_EOFWAIT)) ||
	    (!now_ && (s->restart == R_NEVER ||
		       (s->restart == R_ONFAILURE && !failed && code >= 0 &&
			svdir_expected_exit(s, code)))))
		s->want = 0;
	s->flags &= (uint16_t)~(F_ONCE | F_EOFWAIT);

	if (!s->want || shutting_down || (s->flags & F_GONE)) {
		s->flags &= (uint16_t)~F_NOW;
		settle(s, S_DOWN);
	} else if (!now_ && (failed || now() - s->started < FAIL_MS)) {
		to_backoff(s);
	} else {
		if (!now_)
			s->flags |= F_AUTO;
		s->failures = 0;
		svc_start(s);
	}
}

/* run and every process it left are gone */
static void after_run(struct service *s)
{
	if (s->flags & F_FINISH)
		start_finish(s);
	else
		decide(s, 0);
}

static void run_ended(struct service *s, int status)
{
	s->last_status = status;
	s->flags |= F_RAN;
	s->flags &= (uint16_t)~F_READY;
	s->pid = 0;
	close_notify(s);
	if (s->flags & F_HEALTH)
		health_stopped(s);  /* a check left would keep the cgroup busy */
	cgroup_oom(s);  /* OOM kills counted */
	if (cgroup_busy(s)) {
		/* processes of run are left in its cgroup: they are stopped
		 * like the service, and it is down when the cgroup is empty */
		s->flags &= (uint16_t)~F_EOFWAIT;
		cgroup_signal(s, s->down_signal);
		cgroup_signal(s, SIGCONT);
		if (s->state != S_STOPPING)
			s->deadline = now() + s->timeout_kill;
		else if (!s->deadline)  /* killed already: again in a while */
			s->deadline = now() + 1000;
		set_state(s, S_STOPPING);
		return;
	}
	after_run(s);
}

/* The cgroup of a slot that was waiting for it is empty. */
void svc_emptied(struct service *s)
{
	if (s->state == S_STOPPING && s->pid == 0)
		after_run(s);
}

/* A child was reaped: find whose it was. Orphans re-parented to init
 * match no slot and are simply gone. */
void svc_reaped(pid_t pid, int status)
{
	struct service *s = svc_by_pid(pid);
	if (!s) {
		health_reaped(pid, status);  /* a check, or an orphan */
		return;
	}
	if (s->state == S_FINISHING) {
		s->pid = 0;
		decide(s, status);
	} else {
		run_ended(s, status);
	}
}

/* ---- deadlines ---- */

static void kill_both(pid_t pid, int sig)
{
	kill(-pid, sig);
	kill(pid, sig);
}

static void deadline_passed(struct service *s)
{
	s->deadline = 0;
	switch (s->state) {
	case S_DOWN:  /* wanted up as a need (deps.c) */
		if (!s->want)
			break;
		/* fall through */
	case S_BACKOFF:
	case S_WAITING:
		svc_start(s);
		break;
	case S_STOPPING:
		if ((s->flags & F_EOFWAIT) && s->pid > 0) {
			/* the logger did not exit on EOF: stop it like a service
			 * (want is 0: it is not restarted), SIGKILL next */
			s->flags &= (uint16_t)~F_EOFWAIT;
			s->state = S_UP;
			svc_stop(s);
			break;
		}
		cgroup_kill(s);
		if (s->pid <= 0) {  /* left in the cgroup: until it is empty */
			s->deadline = now() + 1000;
			break;
		}
		/* fall through */
	case S_FINISHING:
		kill_both(s->pid, SIGKILL);
	}
}

static int woken;  /* svc_wake() since the pass began */

/* Act on s in the next pass over the deadlines (deps.c: start a need, or
 * a waiting service whose need came up), not from inside the caller. */
void svc_wake(struct service *s)
{
	s->deadline = now();
	woken = timers_changed = 1;
}

static int64_t nearer(int64_t a, int64_t b)
{
	return !a || (b && b < a) ? b : a;
}

/* Act on the deadlines that passed; return the nearest one left (0: none). */
int64_t svc_timers(void)
{
	if (!timers_changed && (!timer_next || now() < timer_next))
		return timer_next;  /* the pass would find what the last one did */
	int64_t next;
	int again = 1;
	do {
		woken = timers_changed = 0;
		next = 0;
		for (struct service *s = svc; s < svc + nslot; s++) {
			if (s->deadline && s->deadline <= now())
				deadline_passed(s);
			/* after: a start sets health timers, they may stop the service */
			if (s->flags & F_HEALTH)
				next = nearer(next, health_timer(s));
			next = nearer(next, s->deadline);
		}
		/* again if woken, or (once) if a timer was set meanwhile: it may
		 * be on a slot the pass had gone by (a logger's, say) */
	} while (woken || (timers_changed && again--));
	return timer_next = next;
}

/* ---- readiness (notification-fd) ---- */

void svc_ready_input(struct service *s)
{
	char buf[64];
	ssize_t n = read(s->notify, buf, sizeof buf);
	if ((n < 0 && (errno == EINTR || errno == EAGAIN)) ||
	    (n > 0 && !memchr(buf, '\n', (size_t)n)))
		return;
	/* newline, EOF or error: done listening, but for the keepalives
	 * of a watchdog after the first newline */
	if (n <= 0 || !(s->flags & F_HEALTH) || !health_watchdog(s))
		close_notify(s);
	if (n <= 0)
		return;
	if (!(s->flags & F_READY))
		svc_set_ready(s);
	else if (s->flags & F_HEALTH)
		health_keepalive(s);
}

/* ---- commands from svctl, in the order they came ---- */

/* Wanted down: stopped, or down now (at shutdown a DOWN one again, so
 * its logger goes too). */
static void want_down(struct service *s, int shutdown)
{
	s->want = 0;
	s->flags &= (uint16_t)~(F_NOW | F_ONCE);
	if (s->state == S_STARTING || s->state == S_UP)
		svc_stop(s);
	else if (s->state != S_STOPPING && s->state != S_FINISHING &&
		 (shutdown || s->state != S_DOWN))
		settle(s, S_DOWN);
}

void svc_command(struct service *s, const char *cmd)
{
	/* control.c took only known commands: the others are signals */
	static const char cmds[][8] = { "down", "up", "restart", "once" };
	enum { DOWN, UP, RESTART, ONCE, SIGNAL };
	int c = DOWN;
	while (c < SIGNAL && strcmp(cmd, cmds[c]))
		c++;
	if (c == DOWN) {
		s->want = 0;
		s->xflags &= (uint8_t)~X_PULLED;
		if (ndeps && !(s->flags & F_GONE))
			deps_down(s);  /* what needs it goes down first */
		want_down(s, 0);
	} else if (c == SIGNAL) {
		int sig = signal_number(cmd);
		if (sig > 0 && s->pid > 0 && running(s))
			kill(s->pid, sig);
	} else if (shutting_down) {  /* nothing starts again once shutdown began */
		say(svc_label(s), cmd, "ignored: shutting down");
		return;
	} else {
		s->want = 1;
		s->flags &= (uint16_t)~(F_ONCE | F_GONE);
		if (c == ONCE)
			s->flags |= F_ONCE;
		else
			s->failures = 0;
		if (s->state == S_STARTING || s->state == S_UP) {
			if (c == RESTART) {
				s->flags |= F_NOW;
				svc_stop(s);
			}
		} else if (s->state == S_STOPPING || s->state == S_FINISHING) {
			if (c != ONCE)  /* start as soon as it ends */
				s->flags |= F_NOW;
		} else {  /* down, backoff, fatal, waiting */
			s->failures = 0;
			s->flags &= (uint16_t)~F_AUTO;
			svc_start(s);
		}
		if (c == ONCE)  /* wanted down once this run ends */
			s->want = 0;
	}
	svc_dirty(s);
}

/* ---- whole-table operations ---- */

/* Shutdown: stop every service at once; loggers follow their service. */
void svc_want_all_down(void)
{
	for (struct service *s = svc; s < svc + nslot; s++)
		if ((s->flags & (F_USED | F_LOGGER)) == F_USED)
			want_down(s, 1);
}

int svc_all_down(void)
{
	for (struct service *s = svc; s < svc + nslot; s++)
		if ((s->flags & F_USED) && (s->pid > 0 || s->state == S_STOPPING))
			return 0;
	return 1;
}

/* At a rescan: log/ appeared (start the logger now; run's output goes
 * to it from run's next start) or went away (the logger drains and ends). */
void svc_log_check(struct service *s)
{
	struct service *l = peer(s);
	if (s->flags & F_HASLOG) {
		if (s->want && (!l || l->state == S_DOWN))
			log_ensure(s);
	} else if (l && l->want) {
		log_close(s);
	}
}
