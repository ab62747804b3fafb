/*
 * Finding the program a recorder runs.
 */
#ifndef CMD_H
#define CMD_H

#include <stddef.h>

/*
 * Find name as execvp(3) would: as given if it holds a '/', else in
 * $PATH (or /bin:/usr/bin without one).  Stores the path in out.
 * Returns 0, -ENOENT if there is no such program, or -EACCES.
 */
int cmd_find(const char *name, char *out, size_t outsz);

/* The user's shell: $SHELL, else the password database's, else /bin/sh */
const char *cmd_user_shell(void);

#endif
