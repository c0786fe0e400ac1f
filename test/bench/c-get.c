/*
 * The floor for Augeas work in the benchmarks (scenario `c.get`): times
 * aug_get on a tree holding only /etc/hosts, loaded the way machinad loads
 * it (no module autoload, one transform). Compiled at bench time by
 * test/src/bench/c-get.ts with `cc $(pkg-config --cflags --libs augeas)`.
 *
 * usage: c-get ROOT LENS FILE PATH BATCHES BATCH_SIZE
 * Prints one line per batch: the mean nanoseconds of one aug_get in it.
 * The binding scenario times its calls the same way (batches, clock per
 * batch), so the two are comparable.
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
  if (argc != 7) {
    fprintf(stderr, "usage: %s ROOT LENS FILE PATH BATCHES BATCH_SIZE\n", argv[0]);
    return 2;
  }
  const char *root = argv[1], *lens = argv[2], *file = argv[3], *path = argv[4];
  int batches = atoi(argv[5]), size = atoi(argv[6]);
  if (batches <= 0 || size <= 0) {
    fprintf(stderr, "c-get: BATCHES and BATCH_SIZE must be positive\n");
    return 2;
  }
  augeas *aug = aug_init(root, NULL, AUG_NO_MODL_AUTOLOAD | AUG_NO_LOAD);
  if (aug == NULL) {
    fprintf(stderr, "c-get: aug_init failed\n");
    return 1;
  }
  if (aug_transform(aug, lens, file, 0) < 0 || aug_load(aug) < 0) {
    fprintf(stderr, "c-get: loading %s with %s failed: %s\n", file, lens, aug_error_message(aug));
    return 1;
  }
  const char *value = NULL;
  if (aug_get(aug, path, &value) != 1 || value == NULL) {
    fprintf(stderr, "c-get: %s does not match exactly one node with a value\n", path);
    return 1;
  }
  /* Warm-up: as many calls as one tenth of the measured ones. */
  for (int i = 0; i < batches * size / 10 + 1; i++) aug_get(aug, path, &value);
  volatile int sink = 0;
  for (int b = 0; b < batches; b++) {
    long long t0 = now_ns();
    for (int i = 0; i < size; i++) sink += aug_get(aug, path, &value);
    long long t1 = now_ns();
    printf("%.1f\n", (double)(t1 - t0) / size);
  }
  aug_close(aug);
  return sink == batches * size ? 0 : 1;
}
