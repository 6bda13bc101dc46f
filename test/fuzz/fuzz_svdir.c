/* fuzz_svdir.c: the reader of a service dir (servicedir.c).
 *
 * The input is a list of records, each `TYPE LEN BYTES[LEN]`: TYPE (mod
 * 32) says which file of a fresh service dir gets the bytes (appended if
 * it exists). Then svdir_read_config() reads the dir as at each start of
 * run: numbers, signal names, restart, exitcodes, needs, limits, the
 * cgroup and health files, user (with a fake
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
static char fz_fake_passwd[256], fz_fake_group[256];
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
		path = fz_fake_passwd;
	else if (!strcmp(path, "/etc/group"))
		path = fz_fake_group;
	return open(path, flags, mode);
}
#define open fuzz_open

#include "checked.h"
#define main init_main_unused
#include "../../init.c"
#undef main
#include "../../servicedir.c"
#undef open

#define FUZZ_HAVE_SERVICEDIR
#include "stubs.h"

static char fz_base[128], fz_svcdir[160];

static void fz_count_one(const char *name, int type, void *arg)
{
	(void)name, (void)type;
	++*(int *)arg;
}

/* entries of a dir, from its start, not counting . and .. */
static int fz_count_entries(int dfd)
{
	int n = 0;
	lseek(dfd, 0, SEEK_SET);
	each_entry(dfd, fz_count_one, &n);
	lseek(dfd, 0, SEEK_SET);
	return n;
}

static const char *const fz_files[32] = {
	"run", "finish", "timeout-kill", "timeout-finish", "max-failures",
	"notification-fd", "exitcodes", "down-signal", "restart", "user",
	NULL /* env/NAME */, NULL /* passwd */, NULL /* group */,
	"env" /* as a file, not a dir */, "down", "log/run",
	"needs", "limits", "memory-max", "pids-max", "cpu-weight", "watchdog",
	"check-interval", "check-timeout", "check-retries", "check", "notify",
	"log/needs", "log/user", "log/limits", "log/memory-max", "log/finish",
};
static const char *const fz_env_names[8] = {
	"A", "B", "PATH", "HOME", "BAD=NAME", "sub", "EMPTY",
	"N234567890123456789012345678901234567890123456789012345678901234567890",
};

/* (<dirent.h> would clash with servicedir.c's own struct dirent64, so
 * the harness walks dirs with servicedir.c's each_entry) */
static void fz_rm_entry(const char *name, int type, void *arg)
{
	int dfd = *(int *)arg;
	(void)type;
	if (unlinkat(dfd, name, 0) < 0 && errno == EISDIR) {
		int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0) {
			while (each_entry(sub, fz_rm_entry, &sub) == 0 && fz_count_entries(sub) > 0)
				;
			close(sub);
		}
		unlinkat(dfd, name, AT_REMOVEDIR);
	}
}

static void fz_rm_tree(int dfd)
{
	while (each_entry(dfd, fz_rm_entry, &dfd) == 0 && fz_count_entries(dfd) > 0)
		;
	close(dfd);
}

static void fz_append(const char *path, const uint8_t *p, size_t n, mode_t mode)
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
	fuzz_tmpdir(fz_base, sizeof fz_base, "fuzz_svdir");
	mkdir(fz_base, 0755);
	snprintf(fz_svcdir, sizeof fz_svcdir, "%s/svc", fz_base);
	snprintf(fz_fake_passwd, sizeof fz_fake_passwd, "%s/passwd", fz_base);
	snprintf(fz_fake_group, sizeof fz_fake_group, "%s/group", fz_base);
	errfd = open("/dev/null", O_WRONLY | O_CLOEXEC);  /* init's say() */
	notify_open(0);  /* svc_environ, as init sets it before any service */
	fuzz_quiet_stdout();
	return 0;
}

static int fz_open_count(void)
{
	int fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int n = fz_count_entries(fd);
	close(fd);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int b = open(fz_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b < 0)
		abort();
	fz_rm_tree(b);
	if (mkdir(fz_svcdir, 0755) < 0 || mkdir(strcat(strcpy((char[200]){ 0 }, fz_svcdir), "/log"), 0755) < 0)
		abort();
	fz_append(fz_fake_passwd, (const uint8_t *)"root:x:0:0::/root:/bin/sh\n", 26, 0644);
	fz_append(fz_fake_group, (const uint8_t *)"root:x:0:\n", 10, 0644);

	while (size >= 2) {
		unsigned type = data[0] % 32, len = data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = (unsigned)size;
		char path[400];
		if (fz_files[type]) {
			snprintf(path, sizeof path, "%s/%s", fz_svcdir, fz_files[type]);
			fz_append(path, data, len, 0755);
		} else if (type == 10) {
			/* env/NAME: the first byte names it; "sub" is a dir */
			unsigned k = len ? data[0] % 8 : 0;
			snprintf(path, sizeof path, "%s/env", fz_svcdir);
			mkdir(path, 0755);
			snprintf(path, sizeof path, "%s/env/%s", fz_svcdir, fz_env_names[k]);
			if (k == 5)
				mkdir(path, 0755);
			else
				fz_append(path, data + (len > 0), len - (len > 0), 0644);
		} else {
			fz_append(type == 11 ? fz_fake_passwd : fz_fake_group, data, len, 0644);
		}
		data += len;
		size -= len;
	}

	/* the dir as svc_start() sees it: SVDIR is base, the service "svc" */
	int before = fz_open_count();
	svdir = fz_base;  /* init reaches service dirs by path */
	static struct service s;
	memset(&s, 0, sizeof s);
	s.flags = F_USED;
	s.peer = -1;
	strcpy(s.name, "svc");
	int dfd = svdir_open_service(&s);
	if (dfd < 0)
		abort();
	struct runas ru = { 0 };  /* zeroed by the caller, as svc_start does */
	char **envp = NULL;
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
	if (fz_open_count() != before)
		abort();  /* an fd leaked */
	return 0;
}
