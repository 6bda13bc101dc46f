/* fuzz_rundir.c: svctl against a RUNDIR it did not make (svctl.c whole,
 * through svctl_main()): whoever owns RUNDIR decides what svctl, often
 * run by root, finds there. Each of pid, status and control may be a
 * regular file, a symlink (to a file, to /dev/zero, dangling), a FIFO,
 * a dir, or missing; the status file holds the fuzzer's bytes; svctl is
 * run with one of a few command lines (status, -j, commands, -w 0).
 *
 * Input: byte 0 picks pid's and status's kinds, byte 1 control's kind and
 * the command line, byte 2 (odd) makes the status bytes pass load()'s
 * header and checksum tests as in fuzz_status.c; the rest is the status
 * file. svctl must not crash, hang (libFuzzer's -timeout) or leak an fd
 * per call; what it writes on stdout must be one line per service with
 * no control byte in it (names are escaped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#define main init_main_unused
#define usage init_usage_unused  /* svctl.c has its own */
#include "../../init.c"
#undef main
#undef usage
#include "../../client.c"
#include "../../svctl.c"

#define FUZZ_HAVE_SVCTL
#include "stubs.h"

static char fz_dir[128], fz_run[160], fz_other[160], fz_out[160];
static uint8_t fz_image[sizeof(struct status_head) + MAXSLOT * sizeof(struct service)];
static int fz_lock = -1;  /* holds the lock on pid: "a live init" */
static int fz_fifo_r = -1;  /* the reader of a control FIFO, when there is one */
static int fz_err = 2;  /* stderr, kept when run.sh closes fd 2 (svctl's own errors) */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_err = fcntl(2, F_DUPFD_CLOEXEC, 3);
	fuzz_tmpdir(fz_dir, sizeof fz_dir, "fuzz_rundir");
	snprintf(fz_run, sizeof fz_run, "%s/run", fz_dir);
	snprintf(fz_other, sizeof fz_other, "%s/other", fz_dir);
	snprintf(fz_out, sizeof fz_out, "%s/out", fz_dir);
	mkdir(fz_run, 0755);
	mkdir(fz_other, 0755);
	/* svctl's output goes to a file the harness reads back */
	int fd = open(fz_out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0)
		abort();
	close(fd);
	return 0;
}

static void fz_path(char *buf, const char *dir, const char *file)
{
	snprintf(buf, 400, "%s/%s", dir, file);
}

static void fz_write(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

/* Make RUNDIR/name of the given kind; `data` is its content when a file.
 * Kinds: 0 file, 1 symlink to a file elsewhere, 2 FIFO, 3 dir, 4 missing,
 * 5 dangling symlink, 6 symlink to /dev/zero, 7 symlink loop. */
static void fz_make(const char *name, unsigned kind, const void *data, size_t n)
{
	char path[400], target[400];
	fz_path(path, fz_run, name);
	switch (kind % 8) {
	case 0: fz_write(path, data, n); break;
	case 1:
		fz_path(target, fz_other, name);
		fz_write(target, data, n);
		if (symlink(target, path) < 0)
			abort();
		break;
	case 2: mkfifo(path, 0644); break;
	case 3: mkdir(path, 0755); break;
	case 4: break;
	case 5: symlink("/nonexistent/x", path); break;
	case 6: symlink("/dev/zero", path); break;
	case 7: symlink(name, path); break;
	}
}

static void fz_clear(void)
{
	static const char *const names[] = { "pid", "status", "control" };
	char path[400];
	for (int i = 0; i < 3; i++) {
		fz_path(path, fz_run, names[i]);
		if (unlink(path) < 0 && errno == EISDIR)
			rmdir(path);
		rmdir(path);
		fz_path(path, fz_other, names[i]);
		unlink(path);
	}
	if (fz_lock >= 0)
		close(fz_lock);
	if (fz_fifo_r >= 0)
		close(fz_fifo_r);
	fz_lock = fz_fifo_r = -1;
}

/* as in fuzz_status.c: make the image pass load()'s checks */
static size_t fz_fix_up(size_t size)
{
	struct status_head h;
	size_t hs = sizeof h, ss = sizeof(struct service);
	if (size < hs)
		size = hs;
	memcpy(&h, fz_image, hs);
	h.magic = STATUS_MAGIC;
	h.slotsize = (uint32_t)ss;
	uint32_t fit = (uint32_t)((size - hs) / ss);
	if (h.nslot > fit)
		h.nslot = fit;
	h.sum = checksum((char *)&h + sizeof h.sum, hs - sizeof h.sum);
	memcpy(fz_image, &h, hs);
	for (uint32_t i = 0; i < h.nslot; i++) {
		struct service s;
		memcpy(&s, fz_image + hs + i * ss, ss);
		s.sum = checksum((char *)&s + sizeof s.sum, ss - sizeof s.sum);
		memcpy(fz_image + hs + i * ss, &s, ss);
	}
	return size;
}

static int fz_nfds(void)
{
	int n = 0;
	for (int fd = 0; fd < 256; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned kinds = data[0], sel = data[1], fix = data[2] & 1;
	data += 3, size -= 3;
	if (size > sizeof fz_image)
		size = sizeof fz_image;
	memset(fz_image, 0, sizeof fz_image);
	memcpy(fz_image, data, size);
	if (fix)
		size = fz_fix_up(size);

	fz_clear();
	char path[400];
	unsigned pid_kind = kinds % 8, status_kind = kinds / 8 % 8, ctl_kind = sel % 8;
	fz_make("pid", pid_kind, "1\n", 2);
	fz_make("status", status_kind, fz_image, size);
	fz_make("control", ctl_kind, "", 0);
	/* a live init: a lock on pid (through the link, if it is one) */
	if (pid_kind < 2) {
		fz_path(path, pid_kind == 1 ? fz_other : fz_run, "pid");
		fz_lock = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fz_lock < 0 || flock(fz_lock, LOCK_EX | LOCK_NB) < 0)
			abort();
	}
	/* a FIFO with a reader, as init keeps it (every other byte of sel) */
	if (ctl_kind == 2 && (sel & 0x80)) {
		fz_path(path, fz_run, "control");
		fz_fifo_r = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	}

	static char *const lines[][6] = {
		{ "svctl", "status", NULL },
		{ "svctl", "-j", "status", NULL },
		{ "svctl", "status", "web", "db", NULL },
		{ "svctl", "-j", "status", "x", NULL },
		{ "svctl", "up", "web", NULL },
		{ "svctl", "-w", "0", "down", "web", NULL },
		{ "svctl", "-w", "0", "status", NULL },
		{ "svctl", "poweroff", NULL },
	};
	char *argv[6];
	int argc = 0;
	for (char *const *a = lines[sel / 8 % 8]; *a; a++)
		argv[argc++] = *a;
	argv[argc] = NULL;
	char rflag[] = "-r";
	char *full[8] = { argv[0], rflag, fz_run };
	for (int i = 1; i <= argc; i++)
		full[i + 2] = argv[i];

	int before = fz_nfds();
	if (ftruncate(1, 0) < 0 || lseek(1, 0, SEEK_SET) < 0)
		abort();
	run_dir = "/run/svc";
	svctl_main(argc + 2, full);
	/* -w leaves its inotify fd to exit(); nothing else may stay */
	int after = fz_nfds();
	if (after > before + 1) {
		dprintf(fz_err, "fuzz_rundir: svctl left %d fds open\n", after - before);
		abort();
	}
	for (int fd = 3; fd < 256 && after > before; fd++)
		if (fd != fz_lock && fd != fz_fifo_r && fcntl(fd, F_GETFD) >= 0) {
			struct stat st;
			char link[64], dest[64];
			snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
			ssize_t n = readlink(link, dest, sizeof dest - 1);
			if (n > 0 && fstat(fd, &st) == 0 && !strncmp(dest, "anon_inode:inotify", 18 < n ? 18 : (size_t)n)) {
				close(fd);
				after--;
			}
		}
	/* what svctl printed: no control byte but the newline (a name with
	 * escape codes must not reach root's terminal raw) */
	char out[65536];
	ssize_t n = pread(1, out, sizeof out, 0);
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 && out[i] != '\n') {
			dprintf(fz_err, "fuzz_rundir: svctl printed byte 0x%02x raw\n", out[i]);
			abort();
		}
	fz_clear();
	return 0;
}
