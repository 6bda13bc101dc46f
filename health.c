/* health.c: is a running service well? Three ways to tell:
 *
 *   RUNDIR/notify  systemd's notification socket, one datagram socket for
 *                  every service (NOTIFY_SOCKET): READY=1, STATUS=TEXT,
 *                  WATCHDOG=1. A datagram counts for the service whose
 *                  main process, process group or session sent it.
 *   watchdog       ms: a ready service must send a keepalive (WATCHDOG=1,
 *                  or a newline on its notification-fd) at least that
 *                  often, or it is stopped and restarted as a failure.
 *   check          a probe run every check-interval ms while the service
 *                  is up; check-retries failures in a row restart it.
 *
 * What a service uses lives in a side table indexed by slot, touched only
 * for the services that have one of these files (F_HEALTH in the slot).
 * Timers exist only while such a service runs: an init whose services use
 * none of this never wakes up for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "init.h"

struct health {
	int64_t due;             /* next check; 0 none */
	int64_t check_end;       /* the running check is killed then; 0 none */
	int64_t alive_by;        /* watchdog: next keepalive needed by; 0 none */
	pid_t check_pid;         /* running check, or 0 */
	struct hconf c;
	uint32_t fails;          /* failed checks in a row */
	uint8_t failed;          /* this run ends as a failure, however long it ran */
};

static struct health ht[MAXSLOT];
static int nchecks;              /* checks running */

extern char **environ;
char **svc_environ;              /* init's env + NOTIFY_SOCKET: for services */

static __attribute__((noinline)) struct health *hp(const struct service *s)
{
	return &ht[s - svc];
}

/* ---- the life of a run ---- */

/* Read at each start of run (not for finish or check: pid is set then). */
void health_config(struct service *s, const struct hconf *c)
{
	if (s->pid > 0 || (!c->what && !(s->flags & F_HEALTH)))
		return;  /* nothing used, nothing touched */
	hp(s)->c = *c;
	s->flags = c->what ? s->flags | F_HEALTH : s->flags & (uint16_t)~F_HEALTH;
	timers_changed = 1;  /* its timers count, or no longer */
}

/* The next check: every check-interval once ready, before that (the
 * first pass is its readiness) at least every second. */
static void check_later(const struct service *s, struct health *h)
{
	uint32_t every = h->c.v[HC_INTERVAL];
	timers_changed = 1;
	h->due = now() + ((s->flags & F_READY) || every < 1000 ? every : 1000);
}

/* run started: does it wait for readiness from us (notify, or a check)? */
int health_started(struct service *s, int has_fd)
{
	struct health *h = hp(s);
	h->fails = 0;
	h->failed = 0;
	s->health = 0;  /* no check result yet */
	if (h->c.what & H_NOTIFY)
		return 1;
	if (has_fd || !(h->c.what & H_CHECK))
		return 0;
	check_later(s, h);
	return 1;
}

/* ready: the watchdog armed, checks every interval from now */
void health_ready(struct service *s)
{
	struct health *h = hp(s);
	if (h->c.what & H_WATCHDOG)
		h->alive_by = 1;
	health_keepalive(s);
	if ((h->c.what & H_CHECK) && !h->check_pid)
		check_later(s, h);
}

void health_keepalive(struct service *s)
{
	struct health *h = hp(s);
	timers_changed = 1;
	if (h->alive_by)
		h->alive_by = now() + h->c.v[HC_WATCHDOG];
}

int health_watchdog(const struct service *s)
{
	return (hp(s)->c.what & H_WATCHDOG) != 0;
}

/* The environment of a run with a watchdog: systemd's WATCHDOG_USEC and
 * WATCHDOG_PID put in front of base (init's own were left out of
 * svc_environ). Every environment a service gets (svc_environ, or the
 * one built from env/) keeps two free slots in front for this. The
 * child writes its pid at *pid_at. */
char **health_env(const struct service *s, char **base, char **pid_at)
{
	static char usec[40], pid[32] = "WATCHDOG_PID=";
	if (!health_watchdog(s) || base == environ)
		return base;  /* (environ: too large to copy, no room in front) */
	*fmt_uint(stpcpy(usec, "WATCHDOG_USEC="), (uint64_t)hp(s)->c.v[HC_WATCHDOG] * 1000) = 0;
	base[-2] = usec;
	base[-1] = pid;
	*pid_at = pid + 13;
	return base - 2;
}

/* run is being stopped or has ended: no more checks or keepalives. A
 * killed check is still reaped, and then ignored. */
void health_stopped(struct service *s)
{
	struct health *h = hp(s);
	if (h->check_pid > 0)
		kill(-h->check_pid, SIGKILL);
	h->due = h->alive_by = 0;
	timers_changed = 1;
}

/* Was the run that just ended stopped by us as a failure? */
int health_failed(struct service *s)
{
	struct health *h = hp(s);
	int f = h->failed;
	h->failed = 0;
	return f;
}

/* The service is unwell: stop it; its run counts as a failed one. */
static void unwell(struct service *s, const char *why)
{
	svc_fail(s, why, NULL);
	hp(s)->failed = 1;
	svc_stop(s);
}

/* ---- checks ---- */

/* A check ended (or could not start): passed or not. */
static void check_done(struct service *s, struct health *h, int ok)
{
	int ready = (s->flags & F_READY) != 0;
	if (s->state != S_STARTING && s->state != S_UP)
		return;  /* stopped meanwhile: the result means nothing */
	h->fails = ok ? 0 : h->fails + ready;  /* while starting, failures do not count */
	if (ok || ready)  /* status: 1 ok, 1 + N failing:N (at most 255), 0 nothing yet */
		s->health = (uint8_t)(h->fails < 254 ? 1 + h->fails : 255);
	svc_dirty(s);
	if (ok && !ready)
		svc_set_ready(s);  /* the first pass is its readiness */
	if (ready && h->fails >= h->c.v[HC_RETRIES])
		unwell(s, "check failed");
	else
		check_later(s, h);
}

/* A child that is no service's main process: one of our checks? */
void health_reaped(pid_t pid, int status)
{
	for (int i = 0; nchecks && i < nslot; i++) {
		struct health *h = &ht[i];
		if (!(svc[i].flags & F_HEALTH) || h->check_pid != pid)
			continue;
		h->check_pid = 0;
		h->check_end = 0;
		timers_changed = 1;
		nchecks--;
		check_done(&svc[i], h, WIFEXITED(status) && WEXITSTATUS(status) == 0);
		return;
	}
}

static int64_t nearer(int64_t a, int64_t b)
{
	return !a || (b && b < a) ? b : a;
}

/* Has timer *t passed? Then it is cleared. */
static int passed(int64_t *t)
{
	if (!*t || *t > now())
		return 0;
	*t = 0;
	return 1;
}

/* Act on the health timers of a slot that passed; the nearest one left
 * (0: none). Only slots with F_HEALTH get here. */
int64_t health_timer(struct service *s)
{
	struct health *h = hp(s);
	if (passed(&h->check_end))
		kill(-h->check_pid, SIGKILL);  /* a failure, when it is reaped */
	if (passed(&h->alive_by))
		unwell(s, "watchdog timeout");
	if (!h->check_pid && passed(&h->due)) {
		char *argv[3] = { "./check", NULL, NULL };
		pid_t pid = svc_spawn_aux(s, argv);
		if (pid > 0) {
			h->check_pid = pid;
			h->check_end = now() + h->c.v[HC_TIMEOUT];
			nchecks++;
		} else if (svdir_transient(errno)) {
			check_later(s, h);  /* not the service's fault */
		} else {
			check_done(s, h, 0);
		}
	}
	return nearer(nearer(h->due, h->check_end), h->alive_by);
}

/* ---- the notification socket ---- */

static int nfd = -1;

int notify_fd(void)
{
	return nfd;
}

/* Services get init's environment with NOTIFY_SOCKET set to ours, and
 * without the variables a systemd above init may have set for init; two
 * free slots in front for health_env(). */
static void notify_env(const char *path)
{
	static HOT2 char *env[2 + 512];  /* its head is hot: every start */
	static HOT char var[sizeof "NOTIFY_SOCKET=" + DIRLEN + 8];
	size_t n = 2;
	svc_environ = environ;
	for (char **e = environ; *e; e++) {
		if (n == sizeof env / sizeof env[0] - 2)
			return;  /* too many to copy: left as it is */
		if (strncmp(*e, "NOTIFY_SOCKET=", 14) && strncmp(*e, "WATCHDOG_", 9))
			env[n++] = *e;
	}
	if (path)
		memcpy(stpcpy(env[n] = var, "NOTIFY_SOCKET="), path, strlen(path) + 1);
	svc_environ = env + 2;
}

/* The socket, if RUNDIR is init's (use); the services' environment always. */
void notify_open(int use)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int one = 1, fd = -1;
	errno = ENAMETOOLONG;
	if (use && (strlen(rundir) + sizeof "/notify" > sizeof a.sun_path ||
	    !memcpy(stpcpy(a.sun_path, rundir), "/notify", sizeof "/notify") ||
	    (unlink(a.sun_path), 0) ||  /* an old one: if it stays, bind says why */
	    (fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    chmod(a.sun_path, 0666) < 0)) {  /* services of every user send */
		say_errno(NULL, "RUNDIR/notify", errno);
		if (fd >= 0)
			close(fd);
		use = 0;
	}
	if (use)
		nfd = fd;
	notify_env(use ? a.sun_path : NULL);
}

/* Whose is this pid: a service's main process, or a process in its
 * process group or session (asked of the kernel only then). */
static struct service *sender(pid_t pid)
{
	struct service *s = NULL;
	for (int k = 0; !s && k < 3; k++) {
		pid_t id = k == 0 ? pid : k == 1 ? getpgid(pid) : getsid(pid);  /* < 0: gone */
		if (id > 1)
			s = svc_by_pid(id);
	}
	return s && s->state >= S_STARTING && s->state <= S_STOPPING ? s : NULL;
}

/* One datagram of a service: lines of KEY=VALUE. */
static void datagram(struct service *s, char *msg)
{
	for (char *line = msg, *end; *line; line = end) {
		end = line + strcspn(line, "\n");
		if (*end)
			*end++ = 0;
		if (!strcmp(line, "READY=1")) {
			if (!(s->flags & F_READY) && s->state == S_STARTING)
				svc_set_ready(s);
		} else if (!strcmp(line, "WATCHDOG=1")) {
			if ((s->flags & F_HEALTH) && (s->flags & F_READY))
				health_keepalive(s);
		} else if (!strncmp(line, "STATUS=", 7)) {
			svc_text(s, T_NOTE, line + 7);
		}
	}
}

/* Read what is queued, a bounded number at a time (the rest is there at
 * the next turn of the loop). Whatever comes is taken apart with care:
 * oversized datagrams are dropped, and anything not from a process of a
 * running service ignored. The control buffer has room for the sender's
 * credentials alone (the kernel puts them first): fds sent along do not
 * fit, so the kernel closes them (unix(7)) and init never holds one. */
void notify_input(void)
{
	static char buf[4097];  /* systemd's limit is 4096 bytes */
	for (int k = 0; k < 16; k++) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred))];
		} ctl;
		struct iovec iov = { buf, sizeof buf - 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = &ctl, .msg_controllen = sizeof ctl };
		/* raw: musl's recvmsg converts time stamps we never ask for */
		ssize_t n = syscall(SYS_recvmsg, nfd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return;  /* EAGAIN: all read (no EINTR: every signal is blocked) */
		pid_t pid = ((const struct ucred *)CMSG_DATA(&ctl.h))->pid;
		struct service *s;
		if (m.msg_controllen >= CMSG_LEN(sizeof(struct ucred)) &&
		    ctl.h.cmsg_level == SOL_SOCKET && ctl.h.cmsg_type == SCM_CREDENTIALS &&
		    pid > 0 && !(m.msg_flags & MSG_TRUNC) && (s = sender(pid))) {
			buf[n] = 0;
			datagram(s, buf);
		}
	}
}
