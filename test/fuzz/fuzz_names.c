/* fuzz_names.c: what anyone who can write into SVDIR can put there, as
 * init reads it: entry names (any bytes but '/' and NUL, up to 255 of
 * them), symlinks with any target (loops, files, FIFOs, dirs far away,
 * long paths), files, FIFOs, entries removed and renamed. Seen both ways
 * init sees them: svdir_scan() (start, rescan, SIGHUP) and the inotify
 * events of svdir_inotify_input().
 *
 * The real supervisor runs with fake processes (fakes.h): a new service
 * is started (its dir read as at each start) but nothing is executed.
 *
 * Each input is a list of records `OP LEN BYTES[LEN]`, OP mod 8:
 *   0  mkdir SVDIR/NAME, with a run file     1  symlink SVDIR/NAME -> T
 *   2  a regular file SVDIR/NAME             3  a FIFO SVDIR/NAME
 *   4  remove SVDIR/NAME                     5  rename the last entry to NAME
 *   6  svdir_scan()                          7  svdir_inotify_input()
 * For a symlink, the first byte splits the bytes: NAME, then the target;
 * a target of one byte picks one of fz_targets below. After each record
 * the inotify events are read (unless the record's LEN is odd: then they
 * pile up, as when init is busy). After each input: the table's
 * invariants (fakes.h check()), every service named validly, no fd left
 * open.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakes.h"

static char fz_base[128], fz_sv[160], fz_dirs[160];
static char fz_last[256];  /* the last entry made, for op 5 */

/* Targets for one-byte symlink records: a good service dir, one whose
 * timeout-kill is a FIFO, one whose run is a dir, a missing dir, a file,
 * SVDIR itself, the link itself (a loop), a FIFO. */
static const char *const fz_targets[] = {
	"../svcs/good", "../svcs/fifo", "../svcs/rundir", "../svcs/none",
	"../svcs/good/run", ".", "self", "../fifo",
};

static void fz_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char path[400];
	fuzz_tmpdir(fz_base, sizeof fz_base, "fuzz_names");
	snprintf(fz_sv, sizeof fz_sv, "%s/sv", fz_base);
	snprintf(fz_dirs, sizeof fz_dirs, "%s/svcs", fz_base);
	mkdir(fz_sv, 0755);
	mkdir(fz_dirs, 0755);
	static const char run[] = "#!/bin/sh\nexec sleep 1000\n";
	static const char *const dirs[] = { "good", "fifo", "rundir" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", fz_dirs, dirs[i]);
		mkdir(path, 0755);
		snprintf(path, sizeof path, "%s/%s/run", fz_dirs, dirs[i]);
		if (i == 2)
			mkdir(path, 0755);
		else
			fz_file(path, run, 0755);
	}
	snprintf(path, sizeof path, "%s/fifo/timeout-kill", fz_dirs);
	mkfifo(path, 0644);
	snprintf(path, sizeof path, "%s/fifo", fz_base);
	mkfifo(path, 0644);
	errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);  /* init's say() */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	svdir = fz_sv;
	rundir = fz_base;
	svdir_open();
	fuzz_quiet_stdout();
	return 0;
}

/* Remove everything in SVDIR (a dir made by op 0 holds a run file). */
static void fz_rm(const char *name, int type, void *arg)
{
	int dfd = *(int *)arg;
	char sub[300];
	(void)type;
	if (unlinkat(dfd, name, 0) < 0 && errno == EISDIR) {
		snprintf(sub, sizeof sub, "%s/run", name);
		unlinkat(dfd, sub, 0);
		unlinkat(dfd, name, AT_REMOVEDIR);
	}
}

static void fz_clear_svdir(void)
{
	int dfd = open(fz_sv, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		abort();
	for (int i = 0; i < 8; i++) {  /* getdents and unlink do not mix well */
		lseek(dfd, 0, SEEK_SET);
		each_entry(dfd, fz_rm, &dfd);
	}
	close(dfd);
}

/* bytes as an entry name: no '/', no NUL (the kernel allows no other) */
static int fz_name(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = p[i] == '/' ? '_' : p[i] == 0 ? '\001' : (char)p[i];
	out[n] = 0;
	return n > 0 && strcmp(out, ".") && strcmp(out, "..");
}

static void fz_record(unsigned op, const uint8_t *p, size_t n)
{
	char name[256], path[600], target[600];
	int fd;
	switch (op) {
	case 0:
		if (!fz_name(name, p, n))
			return;
		snprintf(path, sizeof path, "%s/%s", fz_sv, name);
		if (mkdir(path, 0755) == 0) {
			snprintf(path, sizeof path, "%s/%s/run", fz_sv, name);
			fz_file(path, "#!/bin/sh\nexec sleep 1000\n", 0755);
		}
		break;
	case 1: {
		size_t k = n ? p[0] % (n ? n : 1) : 0;
		if (n < 2)
			return;
		if (k == 0)
			k = 1;
		if (!fz_name(name, p + 1, k > n - 1 ? n - 1 : k))
			return;
		size_t tl = n - 1 - strlen(name);
		const uint8_t *t = p + 1 + strlen(name);
		if (tl <= 1) {
			const char *pick = fz_targets[(tl ? t[0] : 0) % 8];
			snprintf(target, sizeof target, "%s", strcmp(pick, "self") ? pick : name);
		} else {
			for (size_t i = 0; i < tl; i++)
				target[i] = t[i] ? (char)t[i] : '/';
			target[tl] = 0;
		}
		snprintf(path, sizeof path, "%s/%s", fz_sv, name);
		symlink(target, path);
		break;
	}
	case 2:
	case 3:
		if (!fz_name(name, p, n))
			return;
		snprintf(path, sizeof path, "%s/%s", fz_sv, name);
		if (op == 3) {
			mkfifo(path, 0644);
			break;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
		if (fd >= 0)
			close(fd);
		break;
	case 4:
		if (!fz_name(name, p, n))
			return;
		fd = open(fz_sv, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fz_rm(name, 0, &fd);
			close(fd);
		}
		return;
	case 5: {
		if (!fz_last[0] || !fz_name(name, p, n))
			return;
		char from[600];
		snprintf(from, sizeof from, "%s/%s", fz_sv, fz_last);
		snprintf(path, sizeof path, "%s/%s", fz_sv, name);
		rename(from, path);
		break;
	}
	case 6:
		svdir_scan();
		return;
	case 7:
		svdir_inotify_input();
		return;
	}
	snprintf(fz_last, sizeof fz_last, "%s", name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_reset_table();
	fz_check_leaks();
	fz_clear_svdir();
	fz_last[0] = 0;
	fz_set_time(1000000);
	svdir_scan();  /* init's start: an empty SVDIR */
	fz_drain_inotify();
	while (size >= 2) {
		unsigned op = data[0] % 8, len = data[1];
		data += 2, size -= 2;
		if (len > size)
			len = (unsigned)size;
		fz_record(op, data, len);
		data += len, size -= len;
		if (!(len & 1))
			svdir_inotify_input();
		check();
	}
	svdir_inotify_input();
	svdir_scan();
	check();
	for (int i = 0; i < nslot; i++)
		if ((svc[i].flags & F_USED) && !valid_name(svc[i].name)) {
			fprintf(stderr, "fuzz_names: a service with an invalid name\n");
			abort();
		}
	fz_clear_svdir();
	fz_reset_table();
	fz_drain_inotify();
	fz_check_leaks();
	return 0;
}
