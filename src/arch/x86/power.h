/* Power and reset registers: FADT sleep control/status, the reset register
 * at 0xCF9, the keyboard controller's reset line at 0x64, and the pvpanic
 * port through which a guest reports a kernel panic. */
#ifndef PLUGVM_POWER_H
#define PLUGVM_POWER_H

#include "machine.h"

/* Claims the ports; returns -1 if one is taken. */
int power_init(struct machine *m);

#endif
