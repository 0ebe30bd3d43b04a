/* e2e fixture: two threads take two mutexes in opposite order and deadlock; main waits in pause(). argv is
   ignored (the spec passes a marker to find the process by). Built by e2e/analyze-dump.spec.ts with gcc. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER, second = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static void *take(pthread_mutex_t *mine, pthread_mutex_t *other) {
  pthread_mutex_lock(mine);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(other);
  return NULL;
}
static void *worker_a(void *unused) { (void)unused; return take(&first, &second); }
static void *worker_b(void *unused) { (void)unused; return take(&second, &first); }

int main(void) {
  pthread_t a, b;
  pthread_barrier_init(&both_hold_one, NULL, 2);
  pthread_create(&a, NULL, worker_a, NULL);
  pthread_setname_np(a, "deadlock-a");
  pthread_create(&b, NULL, worker_b, NULL);
  pthread_setname_np(b, "deadlock-b");
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
  for (;;) pause();
}
