/*
 * The short-lived child of `npm run bench:capture`. It lives until fork time + L ms (both on CLOCK_REALTIME, the
 * fork time passed by its parent), so exec and tracing overhead count against its life instead of lengthening it,
 * then appends "life PID L MS MAIN_MS" (MS = fork to exit, MAIN_MS = fork to the start of main(): exec, the dynamic
 * loader and every tracer stop on the way) to the log descriptor it inherited and exits 0.
 * Usage: bchild L_MS FORK_MS LOG_FD MARKER (the marker only makes each command line distinct).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double realtime_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  double life_ms = atof(argv[1]);
  double fork_ms = atof(argv[2]);
  int log_fd = atoi(argv[3]);
  double main_ms = realtime_ms() - fork_ms;
  double end_ms = fork_ms + life_ms;
  struct timespec until = { (time_t)(end_ms / 1e3), (long)((end_ms - (double)(time_t)(end_ms / 1e3) * 1e3) * 1e6) };
  if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
  while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL) != 0) {}
  char line[96];
  int n = snprintf(line, sizeof line, "life %d %s %.3f %.3f\n", getpid(), argv[1], realtime_ms() - fork_ms, main_ms);
  // One write(2) on an O_APPEND descriptor: lines from concurrent children never interleave.
  if (write(log_fd, line, (size_t)n) != n) return 3;
  return 0;
}
