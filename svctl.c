#include "init.h"
int svctl_main(int argc, char **argv) { (void)argc; (void)argv; return 2; }
