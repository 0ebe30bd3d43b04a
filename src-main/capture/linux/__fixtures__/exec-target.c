/*
 * The binary the fanotify exec-mode tests name: `exec-target CODE [MS]` prints "ran PID EPOCH_MS" (when it began
 * running, to whatever stdout it inherited), sleeps MS ms, then exits with CODE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  printf("ran %d %lld\n", getpid(), (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
  fflush(stdout);
  long ms = argc > 2 ? atol(argv[2]) : 0;
  if (ms > 0) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  return argc > 1 ? atoi(argv[1]) : 0;
}
