/* svlog: append stdin to DIR/current, rotate by size. (stub) */
#include "init.h"
int svlog_main(int argc, char **argv) { (void)argc; (void)argv; return 111; }
