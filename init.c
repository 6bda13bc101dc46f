#include <string.h>
#include "init.h"
int main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/');
	me = me ? me + 1 : argv[0];
	if (argc > 1 && !strcmp(argv[1], "svlog")) return svlog_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "svctl")) return svctl_main(argc - 1, argv + 1);
	if (!strcmp(me, "svlog")) return svlog_main(argc, argv);
	if (!strcmp(me, "svctl")) return svctl_main(argc, argv);
	return 0;
}
