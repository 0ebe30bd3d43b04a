/*
 * Target for the Linux core writer's tests and bench:dump (compiled by them with gcc into a temp folder).
 * Four threads park in distinctly named functions (park_delta with a known pattern in xmm0), a marker string sits
 * on the heap, and an optional block of touched heap makes the process large. A heartbeat thread wakes every
 * millisecond and records the longest gap, which is how long the process was stopped. Two pages of a file mapping
 * lie beyond the file's end, so reading them fails (SIGBUS to the process, EFAULT to process_vm_readv): a dump must
 * count them as unreadable. Commands on stdin:
 *   ticks -> "ticks N"     gap -> "gap MS" (longest gap since the last "gap", then reset)     quit -> exit 0
 *   fork -> "fork MS": how long this process spent in one fork() (its child exits at once and is reaped): the
 *   kernel's floor under a snapshot dump's pause, whose clone is the same copy of the page tables (bench:dump)
 * Usage: dump-target [heapMiB]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_barrier_t parked;
static volatile uint64_t ticks;
static volatile double max_gap_ms;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define PARK(NAME)                          \
  __attribute__((noinline)) static void *NAME(void *arg) { \
    (void)arg;                              \
    pthread_barrier_wait(&parked);          \
    for (;;) pause();                       \
    return NULL;                            \
  }

PARK(park_alpha)
PARK(park_bravo)
PARK(park_charlie)

/* xmm0 = "PROCSCOPEXMM0000" (as v4_int32: 0x434f5250 0x504f4353 0x4d4d5845 0x30303030) while this thread sleeps in
 * pause(2) issued right here, with no libc code in between that could use SSE: a core must show exactly that
 * pattern and a rip just past this syscall, which gdb can then be asked for. */
static const char vector_pattern[16] = "PROCSCOPEXMM0000";

__attribute__((noinline)) static void *park_delta(void *arg) {
  (void)arg;
  pthread_barrier_wait(&parked);
  __asm__ volatile(
      "movdqu %0, %%xmm0\n"
      "1: mov $34, %%eax\n" /* SYS_pause */
      "syscall\n"
      "jmp 1b\n"
      :
      : "m"(vector_pattern)
      : "rax", "rcx", "r11", "xmm0", "memory");
  return NULL;
}

__attribute__((noinline)) static void *heartbeat_loop(void *arg) {
  (void)arg;
  struct timespec one_ms = {0, 1000000};
  double last = now_ms();
  pthread_barrier_wait(&parked);
  for (;;) {
    nanosleep(&one_ms, NULL);
    double t = now_ms();
    if (t - last > max_gap_ms) max_gap_ms = t - last;
    last = t;
    ticks++;
  }
  return NULL;
}

__attribute__((noinline)) static void main_command_loop(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "ticks", 5) == 0) {
      printf("ticks %llu\n", (unsigned long long)ticks);
    } else if (strncmp(line, "gap", 3) == 0) {
      printf("gap %.3f\n", max_gap_ms);
      max_gap_ms = 0;
    } else if (strncmp(line, "fork", 4) == 0) {
      double t0 = now_ms();
      pid_t child = fork();
      if (child == 0) _exit(0);
      double t1 = now_ms();
      if (child > 0) waitpid(child, NULL, 0);
      printf("fork %.3f\n", child < 0 ? -1.0 : t1 - t0);
    } else if (strncmp(line, "quit", 4) == 0) {
      exit(0);
    }
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  size_t heap_mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *marker = malloc(64);
  snprintf(marker, 64, "PROCSCOPE-MARKER-%d", (int)getpid());
  if (heap_mib > 0) {
    size_t words = heap_mib * 1024 * 1024 / 8;
    uint64_t *block = malloc(words * 8);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < words; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      block[i] = x;
    }
  }
  FILE *short_file = tmpfile();
  fputs("one page of file, then two pages past its end", short_file);
  fflush(short_file);
  ftruncate(fileno(short_file), 4096);
  mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fileno(short_file), 0);
  void *(*parks[])(void *) = {park_alpha, park_bravo, park_charlie, park_delta, heartbeat_loop};
  int n = sizeof parks / sizeof parks[0];
  pthread_barrier_init(&parked, NULL, n + 1);
  for (int i = 0; i < n; i++) {
    pthread_t t;
    pthread_create(&t, NULL, parks[i], NULL);
  }
  pthread_barrier_wait(&parked);
  printf("marker %p %s\n", (void *)marker, marker);
  printf("ready %d\n", (int)getpid());
  main_command_loop();
  return 0;
}
