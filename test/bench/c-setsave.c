/*
 * The floor for a one-line change saved to disk (scenario `c.setsave`, the
 * peer of broker.setsave.rtt): aug_set then aug_save on a tree holding only
 * /etc/hosts, loaded as machinad loads it (no module autoload, one
 * transform), saved in libaugeas' default mode (a new file, fsync, rename
 * over the old one). Compiled at bench time by test/src/bench/c-get.ts.
 *
 * usage: c-setsave ROOT LENS FILE PATH COUNT
 * Prints one line per set + save pair: its nanoseconds. The value set
 * alternates, so every save really writes the file.
 */
#include <augeas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s ROOT LENS FILE PATH COUNT\n", argv[0]);
    return 2;
  }
  const char *root = argv[1], *lens = argv[2], *file = argv[3], *path = argv[4];
  int count = atoi(argv[5]);
  if (count <= 0) {
    fprintf(stderr, "c-setsave: COUNT must be positive\n");
    return 2;
  }
  augeas *aug = aug_init(root, NULL, AUG_NO_MODL_AUTOLOAD | AUG_NO_LOAD);
  if (aug == NULL) {
    fprintf(stderr, "c-setsave: aug_init failed\n");
    return 1;
  }
  if (aug_transform(aug, lens, file, 0) < 0 || aug_load(aug) < 0) {
    fprintf(stderr, "c-setsave: loading %s with %s failed: %s\n", file, lens, aug_error_message(aug));
    return 1;
  }
  /* Warm-up: one tenth of the measured pairs. */
  int warm = count / 10 + 1;
  for (int i = 0; i < warm + count; i++) {
    long long t0 = now_ns();
    if (aug_set(aug, path, i % 2 ? "c-bench-a" : "c-bench-b") < 0 || aug_save(aug) < 0) {
      fprintf(stderr, "c-setsave: set + save of %s failed: %s\n", path, aug_error_message(aug));
      return 1;
    }
    long long t1 = now_ns();
    if (i >= warm) printf("%lld\n", t1 - t0);
  }
  aug_close(aug);
  return 0;
}
