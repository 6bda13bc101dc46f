/* fuzz_svdir.c: the reader of a service dir (servicedir.c).
 *
 * The input is a list of records, each `TYPE LEN BYTES[LEN]`: TYPE (mod
 * 16) says which file of a fresh service dir gets the bytes (appended if
 * it exists). Then svdir_read_config() reads the dir as at each start of
 * run: numbers, signal names, restart, exitcodes, user (with a fake
 * /etc/passwd and /etc/group, see fuzz_open below) and env/. Finally
 * svdir_expected_exit() reads exitcodes again for a few codes.
 *
 * Anyone who may write into SVDIR feeds this parser to PID 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every open() of the program goes through here, so /etc/passwd and
 * /etc/group can be the fuzzer's. (Defined after the system headers, so
 * only the program's calls are renamed.) */
static char fake_passwd[256], fake_group[256];
static int fuzz_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!strcmp(path, "/etc/passwd"))
		path = fake_passwd;
	else if (!strcmp(path, "/etc/group"))
		path = fake_group;
	return open(path, flags, mode);
}
#define open fuzz_open

#define main init_main_unused
#include "../../init.c"
#undef main
#include "../../servicedir.c"
#undef open

#define FUZZ_HAVE_SERVICEDIR
#include "stubs.h"

static char base[128], svcdir[160];

static void count_one(const char *name, int type, void *arg)
{
	(void)name, (void)type;
	++*(int *)arg;
}

/* entries of a dir, from its start, not counting . and .. */
static int count_entries(int dfd)
{
	int n = 0;
	lseek(dfd, 0, SEEK_SET);
	each_entry(dfd, count_one, &n);
	lseek(dfd, 0, SEEK_SET);
	return n;
}

static const char *const files[16] = {
	"run", "finish", "timeout-kill", "timeout-finish", "max-failures",
	"notification-fd", "exitcodes", "down-signal", "restart", "user",
	NULL /* env/NAME */, NULL /* passwd */, NULL /* group */,
	"env" /* as a file, not a dir */, "down", "log/run",
};
static const char *const env_names[8] = {
	"A", "B", "PATH", "HOME", "BAD=NAME", "sub", "EMPTY",
	"N234567890123456789012345678901234567890123456789012345678901234567890",
};

/* (<dirent.h> would clash with servicedir.c's own struct dirent64, so
 * the harness walks dirs with servicedir.c's each_entry) */
static void rm_entry(const char *name, int type, void *arg)
{
	int dfd = *(int *)arg;
	(void)type;
	if (unlinkat(dfd, name, 0) < 0 && errno == EISDIR) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0) {
			while (each_entry(sub, rm_entry, &sub) == 0 && count_entries(sub) > 0)
				;
			close(sub);
		}
		unlinkat(dfd, name, AT_REMOVEDIR);
	}
}

static void rm_tree(int dfd)
{
	while (each_entry(dfd, rm_entry, &dfd) == 0 && count_entries(dfd) > 0)
		;
	close(dfd);
}

static void append(const char *path, const uint8_t *p, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
	if (fd < 0)
		return;
	if (n && write(fd, p, n) < 0) {
		/* a short file is as good an input as any */
	}
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_tmpdir(base, sizeof base, "fuzz_svdir");
	mkdir(base, 0755);
	snprintf(svcdir, sizeof svcdir, "%s/svc", base);
	snprintf(fake_passwd, sizeof fake_passwd, "%s/passwd", base);
	snprintf(fake_group, sizeof fake_group, "%s/group", base);
	errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);  /* init's say() */
	fuzz_quiet_stdout();
	return 0;
}

static int open_count(void)
{
	int fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int n = count_entries(fd);
	close(fd);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int b = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b < 0)
		abort();
	rm_tree(b);
	if (mkdir(svcdir, 0755) < 0 || mkdir(strcat(strcpy((char[200]){ 0 }, svcdir), "/log"), 0755) < 0)
		abort();
	append(fake_passwd, (const uint8_t *)"root:x:0:0::/root:/bin/sh\n", 26, 0644);
	append(fake_group, (const uint8_t *)"root:x:0:\n", 10, 0644);

	while (size >= 2) {
		unsigned type = data[0] % 16, len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = (unsigned)size;
		char path[400];
		if (files[type]) {
			snprintf(path, sizeof path, "%s/%s", svcdir, files[type]);
			append(path, data, len, 0755);
		} else if (type == 10) {
			/* env/NAME: the first byte names it; "sub" is a dir */
			unsigned k = len ? data[0] % 8 : 0;
			snprintf(path, sizeof path, "%s/env", svcdir);
			mkdir(path, 0755);
			snprintf(path, sizeof path, "%s/env/%s", svcdir, env_names[k]);
			if (k == 5)
				mkdir(path, 0755);
			else
				append(path, data + (len > 0), len - (len > 0), 0644);
		} else {
			append(type == 11 ? fake_passwd : fake_group, data, len, 0644);
		}
		data += len;
		size -= len;
	}

	/* the dir as svc_start() sees it: SVDIR is base, the service "svc" */
	int before = open_count();
	svdirfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	static struct service s;
	memset(&s, 0, sizeof s);
	s.flags = F_USED;
	s.peer = -1;
	strcpy(s.name, "svc");
	int dfd = svdir_open_service(&s);
	if (dfd < 0)
		abort();
	struct runas ru;
	char **envp = (char **)1;
	int r = svdir_read_config(&s, dfd, &ru, &envp);
	if (r == 0) {
		/* what a start would use must be sane */
		if (s.notify_fd != -1 && (s.notify_fd < 3 || s.notify_fd > 1023))
			abort();
		if (s.down_signal < 1 || s.down_signal > 64 || s.restart > R_NEVER)
			abort();
		if (ru.set && (ru.ngroups < 1 || ru.ngroups > 64))
			abort();
		for (char **e = envp; e && *e; e++)
			if (!strchr(*e, '='))
				abort();
	} else if (envp) {
		abort();
	}
	for (int code = 0; code < 256; code += 85)
		svdir_expected_exit(&s, code);
	close(dfd);
	close(svdirfd);
	svdirfd = -1;
	if (open_count() != before)
		abort();  /* an fd leaked */
	return 0;
}
