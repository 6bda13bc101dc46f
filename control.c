/* control.c: RUNDIR, the only place init writes to.
 *
 *   RUNDIR/pid      init's pid; init holds an exclusive flock on it, so
 *                   "is a live init here?" is one flock test for anyone
 *   RUNDIR/control  FIFO, 0600: one command per line, each line written by
 *                   svctl in one write of at most PIPE_BUF bytes
 *   RUNDIR/status   0644: a header, then the slot table of init verbatim,
 *                   then the side tables (init.h), sparse
 *
 * A command line is `CMD [NAME] [@TOKEN]`. Commands are applied in the
 * order they arrive; applying one stores its TOKEN in the slot (or the
 * header, for commands without a name) so a waiting svctl knows its own
 * command has been seen. Garbage gets one line on stderr and is dropped.
 *
 * The status file is rewritten in place, only the slots that changed,
 * once per turn of the event loop. Each slot carries a checksum, so a
 * reader that raced with a write sees the mismatch and reads again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "init.h"

static int ctlfd = -1, statfd = -1, lockfd = -1, wd_run = -1;
static int dirty_lo = MAXSLOT, dirty_hi = -1;
static HOT struct status_head head;
static int control_files(int dfd);
static int head_dirty = 1;

int control_fd(void)
{
	return ctlfd;
}

/* Why control_open() failed: what, and the cause. */
static const char *bad_what, *bad_cause;

static int fail(const char *what, const char *cause)
{
	bad_what = what;
	bad_cause = cause;
	control_close();
	return -1;
}

/* fail() with errno; denied, it says it is the run dir and how to pick
 * another */
static int fail_errno(const char *what)
{
	static char cause[96];
	int e = errno;
	strcpy(stpcpy(cause, errstr(e)), e == EACCES || e == EPERM || e == EROFS ?
	       " (the run dir: choose another with -r DIR or SVRUN)" : "");
	return fail(what, cause);
}

/* fchmod(): libc's has a fallback through /proc for O_PATH fds, which
 * these are not */
static int fd_chmod(int fd, mode_t mode)
{
	return (int)syscall(SYS_fchmod, fd, mode);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void control_close(void)
{
	close_fd(&ctlfd);
	close_fd(&statfd);
	close_fd(&lockfd);
}

/* One line on why RUNDIR is not usable; `after` says what init does. */
void control_say(const char *after)
{
	say(bad_what, bad_cause, after);
}

/* Create RUNDIR and its files; -1 (why: control_say()) if another init
 * owns it, it cannot be made, or someone else could change it: init
 * writes there as root, so a dir or file made by another user (or a
 * symlink they planted) is refused before anything is touched. New files
 * are made O_EXCL, none is opened through a symlink. Returns 1 if
 * another init holds it. */
int control_open(void)
{
	int made = mkdir_p(rundir);
	int dfd = made < 0 ? -1 : openat(AT_FDCWD, rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return fail_errno(rundir);
	if (made)
		fd_chmod(dfd, 0755);  /* whatever the umask: status is for all */
	int r = control_files(dfd);
	close(dfd);
	if (r == 0)  /* init notices when its RUNDIR is removed or tampered with */
		wd_run = svdir_add_watch(rundir, IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
					 IN_MOVE_SELF | IN_ONLYDIR);
	return r;
}

int control_wd(void)
{
	return wd_run;
}

/* RUNDIR, or a file in it, was removed or moved: make it again, so that
 * svctl keeps working and no second init can start on it. */
void control_lost(void)
{
	svdir_rm_watch(wd_run);
	wd_run = -1;
	control_close();
	say(NULL, rundir, "removed or moved: made again");
	if (control_open() < 0)
		control_say("no control");
}

static int control_files(int dfd)
{
	if (!trusted(dfd, S_IFDIR))
		return fail(rundir, UNSAFE);
	lockfd = openat(dfd, "pid", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
	if (lockfd < 0)
		return fail_errno("RUNDIR/pid");
	if (!trusted(lockfd, S_IFREG))
		return fail("RUNDIR/pid", UNSAFE);
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return fail_errno(rundir);
		return fail(rundir, "in use by another init") - 1;
	}
	char buf[16];
	char *end = fmt_int(buf, getpid());
	*end++ = '\n';
	if (ftruncate(lockfd, 0) < 0 || pwrite_all(lockfd, buf, (size_t)(end - buf), 0) < 0 ||
	    fd_chmod(lockfd, 0644) < 0)
		return fail_errno("RUNDIR/pid");
	/* status and control: made anew each time, never through a link */
	if ((unlinkat(dfd, "status", 0) < 0 && errno != ENOENT) ||
	    (statfd = openat(dfd, "status", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644)) < 0 ||
	    fd_chmod(statfd, 0644) < 0)
		return fail_errno("RUNDIR/status");
	/* the FIFO is opened read-write so it never reads EOF */
	if ((unlinkat(dfd, "control", 0) < 0 && errno != ENOENT) || mkfifoat(dfd, "control", 0600) < 0 ||
	    (ctlfd = openat(dfd, "control", O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fd_chmod(ctlfd, 0600) < 0)
		return fail_errno("RUNDIR/control");
	head.magic = STATUS_MAGIC;
	head.slotsize = sizeof(struct service);
	head.pid = (int32_t)getpid();
	head_dirty = 1;
	if (nslot) {  /* made anew while running: write it all */
		status_dirty(0);
		status_dirty(nslot - 1);
	}
	/* the status file stays empty (svctl: "no live init") until the
	 * loop's first flush, after SVDIR has been read */
	return 0;
}

/* ---- the status file ---- */

void status_dirty(int slot)
{
	if (slot < dirty_lo)
		dirty_lo = slot;
	if (slot > dirty_hi)
		dirty_hi = slot;
}

/* The checksum of a slot or the header: of all after `sum`, its first word. */
static uint32_t sum_of(const void *rec, size_t len)
{
	return checksum((const char *)rec + sizeof(uint32_t), len - sizeof(uint32_t));
}

void status_flush(void)
{
	static int failed;
	if (statfd < 0)
		return;
	int ok = 1;
	if (dirty_hi >= dirty_lo) {
		for (int i = dirty_lo; i <= dirty_hi; i++)
			svc[i].sum = sum_of(&svc[i], sizeof svc[i]);
		size_t len = (size_t)(dirty_hi - dirty_lo + 1) * sizeof(struct service);
		off_t off = (off_t)(sizeof head + (size_t)dirty_lo * sizeof(struct service));
		ok = pwrite_all(statfd, &svc[dirty_lo], len, off) == 0;
		if (ok)
			dirty_lo = MAXSLOT, dirty_hi = -1;
	}
	if (ok && (head_dirty || head.nslot != (uint32_t)nslot)) {
		head.nslot = (uint32_t)nslot;
		head.sum = sum_of(&head, sizeof head);
		ok = pwrite_all(statfd, &head, sizeof head, 0) == 0;
		head_dirty = !ok;
	}
	if (!ok && !failed)
		say_sys("RUNDIR/status");
	failed = !ok;
}

/* A record of a side table (init.h), written through at once. */
void status_write(const void *rec, size_t len, size_t off)
{
	if (statfd >= 0 && pwrite_all(statfd, rec, len, (off_t)off) < 0)
		say_sys("RUNDIR/status");
}

/* ---- commands ---- */

/* One line on stderr about a bad command: WHAT and the start of the
 * untrusted bytes it is about, made printable. */
static void bad(const char *what, const char *s, size_t len)
{
	char out[48];
	size_t n = len < sizeof out - 4 ? len : sizeof out - 4;
	for (size_t i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	strcpy(out + n, len > n ? "..." : "");
	say(NULL, what, out);
}

/* The commands, each ended by its NUL: those of init itself, then those
 * for a service. */
static const char init_cmds[] = "rescan\0poweroff\0reboot\0halt\0";
static const char svc_cmds[] =
	"up\0down\0restart\0once\0term\0hup\0int\0quit\0kill\0usr1\0usr2\0"
	"stop\0cont\0alrm\0winch\0";

/* The index of word in list, or -1. */
static int find(const char *list, const char *word)
{
	for (int i = 0; *list; i++, list += strlen(list) + 1)
		if (!strcmp(list, word))
			return i;
	return -1;
}

/* The command with this token has been applied. */
static void ack(uint32_t token)
{
	head.ack[head.nack++ % NACK] = token;
	head_dirty = 1;
}

static void command(char *line, size_t len)
{
	char *word[4] = { 0 };
	int n = 0;
	if (memchr(line, 0, len)) {
		bad("control: bad command", line, len);
		return;
	}
	for (char *p = strtok(line, " \t\r"); p && n < 4; p = strtok(NULL, " \t\r"))
		word[n++] = p;
	if (n == 0)
		return;
	uint32_t token = 0;
	if (n > 1 && word[n - 1][0] == '@') {
		if (parse_uint(word[n - 1] + 1, UINT32_MAX, &token) < 0) {
			bad("control: bad token", word[n - 1], strlen(word[n - 1]));
			return;
		}
		word[--n] = NULL;
	}
	const char *cmd = word[0];
	int own = n == 1 ? find(init_cmds, cmd) : -1;
	if (own == 0)
		svdir_scan();
	else if (own > 0)
		request_shutdown("xprh"[own]);
	if (own >= 0) {
		ack(token);
		return;
	}
	int known = find(svc_cmds, cmd) >= 0;
	if (n != 2 || !known) {
		bad(known && n == 1 ? "control: service name missing" : "control: unknown command",
		    cmd, strlen(cmd));
		return;
	}
	if (!valid_name(word[1])) {
		bad("control: invalid service name", word[1], strlen(word[1]));
		return;
	}
	struct service *s = svc_find(word[1]);
	if (!s) {
		say(word[1], "control", "unknown service");
		ack(token);  /* a waiting svctl sees it gone */
		return;
	}
	svc_command(s, cmd);
	ack(token);
}

/* Read what is in the FIFO and apply every complete line, in order. */
void control_input(void)
{
	static HOT char buf[512];  /* svctl's lines are < 128 bytes */
	static size_t have;
	static int skipping;  /* inside an over-long line: drop to its end */
	for (;;) {
		size_t room = sizeof buf - 1 - have;
		ssize_t n = read(ctlfd, buf + have, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		int drained = (size_t)n < room;  /* a pipe gives all it holds */
		have += (size_t)n;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = 0;
			if (!skipping)
				command(start, (size_t)(nl - start));
			skipping = 0;
			start = nl + 1;
		}
		have -= (size_t)(start - buf);
		memmove(buf, start, have);
		if (have == sizeof buf - 1) {
			if (!skipping)
				bad("control: command too long", buf, have);
			skipping = 1;
			have = 0;
		}
		if (drained)
			return;  /* no read just to see EAGAIN */
	}
}
