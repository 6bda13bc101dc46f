/* fuzz_svlog.c: svlog's line handling and rotation (svlog.c), end to end.
 *
 * Input: a 7-byte header, then what svlog reads on stdin. svlog_main()
 * runs in this process on a fresh DIR until EOF.
 *   byte 0  bit 0: -t; bits 1-2: added to BYTES; bit 3: inject write errors
 *   byte 1  BYTES = 100 + 4 * byte 1 (+ bits 1-2 of byte 0)
 *   byte 2  each read of stdin returns at most 1 + byte2^2 bytes
 *   3..6    with bit 3: 2 bits per write to the log, for the first 16:
 *           0 ok, 1 ENOSPC, 2 EINTR, 3 a short write (half)
 * Reads and writes are intercepted (fuzz_read, fuzz_write) so that all of
 * this is deterministic.
 *
 * Then, without -t, the SPEC's promises are checked on what it wrote:
 *   - the archives in name order, then current, are the input byte for
 *     byte, plus a newline if the input did not end with one;
 *   - no file is over BYTES;
 *   - a file ends inside a line only if that line is longer than BYTES;
 *   - at most FILES archives are kept (FILES is large here: none is
 *     deleted, so the first check sees everything).
 * With -t every line must start with a well-formed timestamp.
 * With write errors (transient: they stop after 16 writes), when the input
 * has no line near BYTES long (no split lines): the log holds input lines
 * in order, some missing, plus "svlog: dropped N lines" lines, and the Ns
 * add up to the lines missing (at most, if archives were deleted to make
 * room: their lines are lost without being counted).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#define main init_main_unused
#include "../../init.c"
#undef main

/* stdin in pieces, and failing log writes, as the input says */
static size_t fz_read_piece;
static uint32_t fz_write_plan;
static int fz_write_calls;
static ssize_t fuzz_read(int fd, void *buf, size_t n)
{
	if (fd == 0 && n > fz_read_piece)
		n = fz_read_piece;
	return read(fd, buf, n);
}
static ssize_t fuzz_write(int fd, const void *buf, size_t n)
{
	if (fd > 2 && fz_write_calls < 16) {
		unsigned what = (fz_write_plan >> (2 * fz_write_calls++)) & 3;
		if (what == 1) {
			errno = ENOSPC;
			return -1;
		}
		if (what == 2) {
			errno = EINTR;
			return -1;
		}
		if (what == 3 && n > 1)
			n /= 2;
	}
	return write(fd, buf, n);
}
/* deleting archives to make room loses their lines, uncounted (SPEC) */
static int fz_deleted;
static int fuzz_unlinkat(int dfd, const char *name, int flags)
{
	fz_deleted++;
	return unlinkat(dfd, name, flags);
}
#define read fuzz_read
#define write fuzz_write
#define unlinkat fuzz_unlinkat
#include "../../svlog.c"
#undef read
#undef write
#undef unlinkat

#define FUZZ_HAVE_SVLOG
#include "stubs.h"

static char fz_base[128], fz_logdir[160], fz_input[160];
static char fz_got[1 << 20];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tmpdir(fz_base, sizeof fz_base, "fuzz_svlog");
	mkdir(fz_base, 0755);
	snprintf(fz_logdir, sizeof fz_logdir, "%s/log", fz_base);
	snprintf(fz_input, sizeof fz_input, "%s/input", fz_base);
	return 0;
}

/* names of the files in logdir, archives sorted, "current" last */
static int fz_list_files(char names[][ARCHLEN + 1], int max)
{
	int n = 0, fd = open(fz_logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_Alignas(8) char b[4096];
	long got_;
	int has_current = 0;
	if (fd < 0)
		abort();
	while ((got_ = syscall(SYS_getdents64, fd, b, sizeof b)) > 0)
		for (long off = 0; off < got_;) {
			unsigned short reclen;
			const char *name = b + off + 19;
			memcpy(&reclen, b + off + 16, sizeof reclen);
			off += reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			if (!strcmp(name, "current")) {
				has_current = 1;
				continue;
			}
			if (!lg_is_archive(name) || n == max - 1)
				abort();  /* svlog makes nothing else */
			memcpy(names[n++], name, ARCHLEN + 1);
		}
	close(fd);
	/* insertion sort by name */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[ARCHLEN + 1];
			memcpy(t, names[j], sizeof t);
			memcpy(names[j], names[j - 1], sizeof t);
			memcpy(names[j - 1], t, sizeof t);
		}
	if (!has_current)
		abort();
	strcpy(names[n++], "current");
	return n;
}

static void fz_clean(void)
{
	static char names[2048][ARCHLEN + 1];
	char path[256];
	int fd = open(fz_logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	close(fd);
	int n = fz_list_files(names, 2048);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", fz_logdir, names[i]);
		unlink(path);
	}
	rmdir(fz_logdir);
}

static int fz_is_stamp(const char *p)
{
	static const char pat[] = "####-##-##T##:##:##.######Z ";
	for (int i = 0; pat[i]; i++)
		if (pat[i] == '#' ? p[i] < '0' || p[i] > '9' : p[i] != pat[i])
			return 0;
	return 1;
}

static const char fz_marker[] = "svlog: dropped ";

/* With write errors: the log is input lines in order with some left out,
 * and "svlog: dropped N lines" lines that count them. Checked only when
 * no input line could have been split (each is well under BYTES) and no
 * input line looks like the marker. */
static void fz_check_drops(const uint8_t *in, size_t size, size_t len, unsigned bytes, int tflag)
{
	size_t skip = tflag ? TSLEN : 0;
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(in + i, '\n', size - i);
		size_t l = nl ? (size_t)(nl - in) - i + 1 : size - i + 1;
		if (l + skip + 40 > bytes || (l > 6 && !memcmp(in + i, fz_marker, 6)))
			return;
		i += l;
	}
	uint64_t missing = 0, counted = 0;
	size_t at = 0;  /* in the input */
	for (size_t i = 0; i < len;) {
		const char *line = fz_got + i + skip;
		char *nl = memchr(fz_got + i, '\n', len - i);
		size_t l = (size_t)(nl - line) + 1;  /* with its newline */
		i = (size_t)(nl - fz_got) + 1;
		if (l > sizeof fz_marker - 1 && !memcmp(line, fz_marker, sizeof fz_marker - 1)) {
			counted += strtoull(line + sizeof fz_marker - 1, NULL, 10);
			continue;
		}
		/* the next input line that equals this one */
		for (;;) {
			if (at >= size)
				abort();  /* a line that is not in the input, or out of order */
			const uint8_t *e = memchr(in + at, '\n', size - at);
			size_t il = e ? (size_t)(e - in) - at + 1 : size - at;
			int same = e ? il == l && !memcmp(in + at, line, l)
				     : il + 1 == l && !memcmp(in + at, line, il) && line[il] == '\n';
			at += il;
			if (same)
				break;
			missing++;
		}
	}
	while (at < size) {  /* input lines after the last one logged */
		const uint8_t *e = memchr(in + at, '\n', size - at);
		at = e ? (size_t)(e - in) + 1 : size;
		missing++;
	}
	if (fz_deleted ? counted > missing : counted != missing)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 7 || size > 64 * 1024)
		return 0;
	int tflag = data[0] & 1, inject = (data[0] >> 3) & 1;
	unsigned bytes = 100 + (unsigned)data[1] * 4 + ((data[0] >> 1) & 3);
	fz_read_piece = 1 + (size_t)data[2] * data[2];
	fz_write_plan = inject ? (uint32_t)data[3] | (uint32_t)data[4] << 8 |
			      (uint32_t)data[5] << 16 | (uint32_t)data[6] << 24 : 0;
	fz_write_calls = 0;
	fz_deleted = 0;
	data += 7;
	size -= 7;

	fz_clean();
	fz_deleted = 0;
	int fd = open(fz_input, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	int saved0 = dup(0);
	fd = open(fz_input, O_RDONLY);
	if (fd < 0 || dup2(fd, 0) < 0)
		abort();
	close(fd);

	char sarg[16];
	snprintf(sarg, sizeof sarg, "%u", bytes);
	char *argv[8];
	int argc = 0;
	argv[argc++] = "svlog";
	argv[argc++] = "-s";
	argv[argc++] = sarg;
	argv[argc++] = "-n";
	argv[argc++] = "100000";
	if (tflag)
		argv[argc++] = "-t";
	argv[argc++] = fz_logdir;
	argv[argc] = NULL;
	memset(&S, 0, sizeof S);  /* a new process would start with it zeroed */
	/* svlog blocks and resets signals that libFuzzer handles: put them
	 * back afterwards (run.sh runs this fuzzer with -timeout=0, so no
	 * SIGALRM of libFuzzer's comes meanwhile and makes svlog rotate) */
	static const int sigs[] = { SIGTERM, SIGINT, SIGALRM, SIGHUP, SIGPIPE };
	struct sigaction old[5];
	sigset_t mask;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	for (int i = 0; i < 5; i++)
		sigaction(sigs[i], NULL, &old[i]);
	int rc = svlog_main(argc, argv);
	/* svlog leaves its fds and buffer to exit: free them here */
	if (S.curfd >= 0)
		close(S.curfd);
	if (S.dirfd >= 0)
		close(S.dirfd);
	if (S.sigfd >= 0)
		close(S.sigfd);
	if (S.buf && S.buf != MAP_FAILED)
		munmap(S.buf - NOTEMAX, S.cap + NOTEMAX);
	for (int i = 0; i < 5; i++)
		sigaction(sigs[i], &old[i], NULL);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	dup2(saved0, 0);
	close(saved0);
	/* 111: a write at EOF failed (svlog does not retry it then); only
	 * the sizes are checked */
	if (rc != 0 && !(fz_write_plan && rc == 111))
		abort();

	/* read back what it wrote */
	static char names[2048][ARCHLEN + 1];
	int n = fz_list_files(names, 2048);
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", fz_logdir, names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			abort();
		size_t start = len;
		ssize_t r;
		while ((r = read(fd, fz_got + len, sizeof fz_got - len)) > 0)
			len += (size_t)r;
		close(fd);
		size_t flen = len - start;
		if (flen > bytes)
			abort();  /* a file over BYTES */
		if (!fz_write_plan && i < n - 1 && flen == 0)
			abort();  /* an empty archive */
		/* a file that ends inside a line: only a line longer than BYTES,
		 * which fills the file, may do that */
		if (!fz_write_plan && flen && fz_got[len - 1] != '\n' && flen != bytes)
			abort();
	}
	if (len && fz_got[len - 1] != '\n' && rc == 0)
		abort();  /* the log ends inside a line */
	if (fz_write_plan) {
		if (rc == 0)
			fz_check_drops(data, size, len, bytes, tflag);
		return 0;
	}
	if (tflag) {
		/* every line starts with a timestamp */
		for (size_t i = 0; i < len;) {
			if (len - i < TSLEN || !fz_is_stamp(fz_got + i))
				abort();
			char *nl = memchr(fz_got + i, '\n', len - i);
			if (!nl)
				abort();
			i = (size_t)(nl - fz_got) + 1;
		}
		return 0;
	}
	size_t want = size + (size && data[size - 1] != '\n');
	if (len != want || memcmp(fz_got, data, size) != 0 || (want > size && fz_got[size] != '\n'))
		abort();  /* lost, added or changed bytes */
	return 0;
}
