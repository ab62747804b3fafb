/*
 * tlog-rec: record a command, or the user's shell, and its terminal I/O.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "ident.h"
#include "rec_conf.h"
#include "recorder.h"

#define PROG "tlog-rec"

static const struct conf_prog prog = {
    .name = PROG,
    .files = true,
    .usage = "Usage: " PROG " [OPTION...] [CMD_FILE [CMD_ARG...]]\n"
             "Record the terminal I/O of a command, or of the user's"
             " shell.\n",
};

int
main(int argc, char **argv)
{
    struct conf *c = NULL;
    struct ident id;
    struct recorder_conf cfg;
    char err[1024] = "", path[PATH_MAX];
    char *shell_argv[2];
    char **cmd_argv;
    int first = argc, status = 1, r;

    if (rec_conf_new(REC_PROG_REC, &c) < 0) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    r = conf_start(c, &prog, argc, argv, &first);
    if (r != CONF_GO_ON) {
        status = r;
        goto out;
    }

    if (first < argc) {
        cmd_argv = argv + first;
    } else {
        shell_argv[0] = (char *)cmd_user_shell();
        shell_argv[1] = NULL;
        cmd_argv = shell_argv;
    }
    r = cmd_find(cmd_argv[0], path, sizeof(path));
    if (r < 0) {
        fprintf(stderr, PROG ": %s: %s\n", cmd_argv[0],
                r == -ENOENT && strchr(cmd_argv[0], '/') != NULL ?
                "command not found (check the path)" :
                r == -ENOENT ? "command not found in PATH (check the name, or"
                " give its path)" :
                r == -EACCES ? "Permission denied (it must be an executable"
                " file: check its mode)" :
                strerror(-r));
        status = r == -ENOENT ? 127 : 126;
        goto out;
    }
    r = ident_get(&id, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        goto out;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.prog = PROG;
    cfg.path = path;
    cfg.argv = cmd_argv;
    cfg.ident = &id;
    cfg.semaphore = *conf_str(c, "semaphore") ? conf_str(c, "semaphore") : NULL;
    r = rec_conf_run(c, &cfg, false, &status, err, sizeof(err));
    /* the terminal is restored by now: the one place to speak */
    if (r < 0) {
        fprintf(stderr, PROG ": %s\n", err);
    }
out:
    conf_free(c);
    return status;
}
