#ifndef PICKET_CGPIOD_SHIM_H
#define PICKET_CGPIOD_SHIM_H
// libgpiod 1.6, the v1 API that Debian 12 ships (libgpiod-dev).
#include <gpiod.h>
#endif
