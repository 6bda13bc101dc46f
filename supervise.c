#include "init.h"
