/*
 * Replays a fuzz target's seed corpus without libFuzzer, so that make
 * check runs every seed through the target (under the sanitizers when
 * the build has them).  With no arguments it reads
 * $top_srcdir/tests/fuzz/corpus/NAME, NAME being the program's own
 * name after "replay_" (replay_dec reads corpus/dec); otherwise the
 * files named.  One driver, linked into every replay program.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds larger than this are not seeds */
#define SEED_MAX (16 * 1024 * 1024)

static int
replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    data = malloc(SEED_MAX);
    if (data == NULL) {
        fclose(f);
        fprintf(stderr, "replay: out of memory for %s\n", path);
        return -1;
    }
    n = fread(data, 1, SEED_MAX, f);
    fclose(f);
    LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *top = getenv("top_srcdir");
    const char *name = strrchr(argv[0], '/');
    char dir[4096], path[8192];
    struct dirent *de;
    DIR *d;
    int count = 0;
    int i;

    if (argc > 1) {
        for (i = 1; i < argc; i++) {
            if (replay_file(argv[i]) < 0) {
                return 1;
            }
        }
        printf("replayed %d inputs\n", argc - 1);
        return 0;
    }
    name = name != NULL ? name + 1 : argv[0];
    if (strncmp(name, "replay_", 7) != 0 || name[7] == 0) {
        fprintf(stderr, "replay: run as replay_NAME, to replay the corpus"
                " of target NAME (not as %s)\n", name);
        return 1;
    }
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
             top ? top : ".", name + 7);
    d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "replay: cannot open corpus %s\n", dir);
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (replay_file(path) < 0) {
            closedir(d);
            return 1;
        }
        count++;
    }
    closedir(d);
    printf("replayed %d seeds from %s\n", count, dir);
    /* an empty corpus means the seeds went missing */
    return count > 0 ? 0 : 1;
}
