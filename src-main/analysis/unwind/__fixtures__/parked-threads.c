/*
 * Target for the unwinder's tests (compiled by them with gcc -O2 -fomit-frame-pointer into a temp folder): each
 * thread parks in a distinctly named function and names itself (comm) after its wait, so a test can match a
 * core's threads to what they should show. Two threads deadlock on two mutexes; one joins a thread that never
 * ends; one sleeps in pause(2), one in read(2) on a pipe nobody writes, one in nanosleep(2); one spins; one sleeps
 * in pause(2) inside a signal handler (so stacks cross glibc's __restore_rt). Every call sits in an endless loop
 * with a compiler barrier after it, so -O2 cannot turn a call into a tail jump and drop the frame. Prints
 * "ready PID" when every thread has reached its wait function, then waits on stdin; "quit" ends it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BARRIER() __asm__ volatile("" ::: "memory")
#define NOINLINE __attribute__((noinline, noclone))

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static pthread_barrier_t started;
static pthread_t pauser;
static int quiet_pipe[2];
static volatile unsigned long spins;

NOINLINE void lock_second_while_holding_first(void) {
  for (;;) {
    pthread_mutex_lock(&second);
    BARRIER();
  }
}
NOINLINE void lock_first_while_holding_second(void) {
  for (;;) {
    pthread_mutex_lock(&first);
    BARRIER();
  }
}
NOINLINE void *deadlock_left(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "deadlock-a");
  pthread_mutex_lock(&first);
  pthread_barrier_wait(&started);
  pthread_barrier_wait(&both_hold_one);
  lock_second_while_holding_first();
  return NULL;
}
NOINLINE void *deadlock_right(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "deadlock-b");
  pthread_mutex_lock(&second);
  pthread_barrier_wait(&started);
  pthread_barrier_wait(&both_hold_one);
  lock_first_while_holding_second();
  return NULL;
}

NOINLINE void park_in_pause(void) {
  for (;;) {
    pause();
    BARRIER();
  }
}
NOINLINE void *pause_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "pauser");
  pthread_barrier_wait(&started);
  park_in_pause();
  return NULL;
}

NOINLINE void park_in_join(void) {
  for (;;) {
    pthread_join(pauser, NULL);
    BARRIER();
  }
}
NOINLINE void *join_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "joiner");
  pthread_barrier_wait(&started);
  park_in_join();
  return NULL;
}

NOINLINE void park_in_read(void) {
  char c;
  for (;;) {
    if (read(quiet_pipe[0], &c, 1) <= 0) _exit(3);
    BARRIER();
  }
}
NOINLINE void *read_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "reader");
  pthread_barrier_wait(&started);
  park_in_read();
  return NULL;
}

NOINLINE void park_in_nanosleep(void) {
  for (;;) {
    struct timespec ts = {100000, 0};
    nanosleep(&ts, NULL);
    BARRIER();
  }
}
NOINLINE void *sleep_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "sleeper");
  pthread_barrier_wait(&started);
  park_in_nanosleep();
  return NULL;
}

NOINLINE void park_busy(void) {
  for (;;) spins = spins + 1;
}
NOINLINE void *busy_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "busy");
  pthread_barrier_wait(&started);
  park_busy();
  return NULL;
}

NOINLINE void park_in_signal_handler(void) {
  for (;;) {
    pause();
    BARRIER();
  }
}
NOINLINE static void on_signal(int sig) {
  (void)sig;
  park_in_signal_handler();
}
NOINLINE void *signal_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "sighandler");
  pthread_barrier_wait(&started);
  for (;;) {
    pthread_kill(pthread_self(), SIGUSR2);
    BARRIER();
  }
  return NULL;
}

NOINLINE void main_wait_for_commands(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "quit", 4) == 0) exit(0);
    BARRIER();
  }
  exit(0);
}

#ifndef VARIANT
#define VARIANT 0
#endif
/* Another VARIANT is another program (another build id) with the same threads: the wrong-file tests use it. */
int variant_marker(void) { return VARIANT; }

int main(void) {
  void *(*fns[])(void *) = {deadlock_left, deadlock_right, pause_thread, join_thread, read_thread, sleep_thread, busy_thread, signal_thread};
  const int n = sizeof fns / sizeof fns[0];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR2, &sa, NULL);
  if (pipe(quiet_pipe) != 0) return 2;
  pthread_barrier_init(&started, NULL, n + 1);
  pthread_barrier_init(&both_hold_one, NULL, 2);
  pthread_t t;
  for (int i = 0; i < n; i++) {
    if (pthread_create(&t, NULL, fns[i], NULL) != 0) return 2;
    if (fns[i] == pause_thread) pauser = t;
  }
  pthread_barrier_wait(&started);
  printf("ready %d\n", getpid());
  fflush(stdout);
  main_wait_for_commands();
  return 0;
}
