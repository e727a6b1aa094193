/*
 * The plugvm command line: QEMU's spelling for every option QEMU also has,
 * so a QEMU command line for the same machine runs unchanged. See
 * docs/options.md for each option and the decisions behind it.
 */
#ifndef PLUGVM_OPTIONS_H
#define PLUGVM_OPTIONS_H

#include <stdio.h>

#include "config.h"

/* Fills cfg (which need not be initialised) from argv and checks the whole
 * configuration. Returns:
 *   0  run the machine; release cfg with options_free() afterwards;
 *   1  --help/-h or --version was printed to stdout: exit with status 0;
 *   2  the command line is wrong: exactly one "plugvm: -opt: problem" line
 *      went to stderr: exit with a failure status.
 * On 1 and 2 nothing is left allocated in cfg (options_free is harmless).
 * The string fields point into argv, except cfg->name, which is a copy. */
int options_parse(int argc, char **argv, struct plugvm_config *cfg);

/* Frees what options_parse allocated (name, -object and -device lists).
 * Safe to call twice. */
void options_free(struct plugvm_config *cfg);

/* The --help text. */
void options_usage(FILE *out);

#endif
