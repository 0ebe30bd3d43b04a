/*
 * Test target of single-thread Suspend / Resume / Kill on Linux (compiled with gcc at test time, never committed as
 * a binary): two threads, pair-a and pair-b, each ticking in pair_tick() (a nanosleep of 1 ms per turn, so each
 * advances its own voluntary_ctxt_switches in /proc/PID/task/TID/status), then prints
 *   ready <pid> <tid of a> <tid of b>
 * and waits for its stdin to close; the main thread does nothing else.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t tids[2];
static volatile unsigned long ticks[2];

__attribute__((noinline)) void pair_tick(int i) {
  struct timespec ms = {0, 1000000};
  tids[i] = gettid();
  for (;;) {
    ticks[i]++;
    nanosleep(&ms, NULL);
  }
}

static void *pair_thread(void *arg) {
  pair_tick((int)(long)arg);
  return NULL;
}

int main(void) {
  pthread_t t[2];
  for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, pair_thread, (void *)i);
  pthread_setname_np(t[0], "pair-a");
  pthread_setname_np(t[1], "pair-b");
  while (tids[0] == 0 || tids[1] == 0) usleep(1000);
  printf("ready %d %d %d\n", getpid(), tids[0], tids[1]);
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
