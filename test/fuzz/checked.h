/* checked.h: libc string functions the sanitizers do not look into.
 *
 * ASan checks memcpy, strcpy and friends at their call, but not stpcpy:
 * an stpcpy past the end of a stack buffer writes on silently (this hid
 * a 200-byte SVDIR entry name smashing init's stack). Here it is plain C,
 * so ASan checks every byte it writes. Included by every harness before
 * the sources, after the system headers.
 */
#ifndef FUZZ_CHECKED_H
#define FUZZ_CHECKED_H
#include <string.h>

static char *fz_stpcpy(char *d, const char *s)
{
	while ((*d = *s++))
		d++;
	return d;
}
#define stpcpy fz_stpcpy

#endif
