// Snapshot-mode target (issue 15): what a snapshot dump must leave unchanged. The main thread blocks in read() on
// stdin (the thread the clone is run in), one thread loops in nanosleep() and counts calls that did not return 0,
// one waits on a condition variable (futex) and one blocks in read() on a pipe. A SIGCHLD handler counts signals, a
// pthread_atfork handler creates ATFORK_FILE, a MADV_DONTFORK region and the heap hold markers. With argv[1] ==
// "seccomp" a filter makes clone return EPERM; argv[3] = MiB of heap to touch. Commands on stdin: "status", "wake", "pipe TEXT", "quit".
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sigchld_count;
static const char *atfork_file;
static volatile int sleep_errors, sleep_calls, woken;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pipe_fds[2];

static void on_sigchld(int sig) { (void)sig; sigchld_count++; }
static void atfork_prepare(void) {
  FILE *f = fopen(atfork_file, "w");
  if (f) fclose(f);
}

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    long r = syscall(SYS_nanosleep, &ts, NULL);
    sleep_calls++;
    if (r != 0) sleep_errors++;
  }
  return NULL;
}

static void *waiter(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  while (!woken) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  printf("woken\n");
  fflush(stdout);
  return NULL;
}

static void *piper(void *arg) {
  (void)arg;
  char buf[256];
  for (;;) {
    ssize_t n = read(pipe_fds[0], buf, sizeof buf - 1);
    if (n <= 0) {
      printf("pipe read returned %zd errno %d\n", n, errno);
    } else {
      buf[n] = 0;
      printf("pipe got %s\n", buf);
    }
    fflush(stdout);
  }
  return NULL;
}

static void deny_clone(void) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) perror("seccomp");
}

int main(int argc, char **argv) {
  atfork_file = argc > 2 ? argv[2] : "/nonexistent/atfork";
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  pthread_atfork(atfork_prepare, NULL, NULL);
  if (pipe(pipe_fds) != 0) return 1;

  char *heap = malloc(4096);
  strcpy(heap, "SNAPSHOT_HEAP_MARKER_7c1d");
  char *dontfork = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(dontfork, 1 << 20, MADV_DONTFORK);
  strcpy(dontfork + 8192, "SNAPSHOT_DONTFORK_MARKER_91aa");
  char *wipe = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(wipe, 1 << 16, MADV_WIPEONFORK);
  strcpy(wipe + 100, "SNAPSHOT_WIPEONFORK_MARKER_5e02");

  size_t big_mib = argc > 3 ? (size_t)atol(argv[3]) : 0; // touched heap, to make a dump take a while
  char *big = big_mib ? malloc(big_mib << 20) : NULL;
  for (size_t i = 0; i < (big_mib << 20); i += 64) big[i] = (char)(i >> 6 | 1);
  if (argc > 1 && strcmp(argv[1], "seccomp") == 0) deny_clone();
  pthread_t t;
  pthread_create(&t, NULL, sleeper, NULL);
  pthread_create(&t, NULL, waiter, NULL);
  pthread_create(&t, NULL, piper, NULL);
  printf("ready %p %p %p\n", (void *)heap, (void *)(dontfork + 8192), (void *)(wipe + 100));
  fflush(stdout);

  char line[512];
  for (;;) {
    ssize_t n = read(0, line, sizeof line - 1); // the injected thread sits here
    if (n < 0) {
      printf("stdin read returned %zd errno %d\n", n, errno);
      fflush(stdout);
      continue;
    }
    if (n == 0) return 0;
    line[n] = 0;
    if (strncmp(line, "status", 6) == 0) {
      printf("status sigchld=%d sleep_calls=%d sleep_errors=%d\n", (int)sigchld_count, sleep_calls, sleep_errors);
    } else if (strncmp(line, "wake", 4) == 0) {
      pthread_mutex_lock(&mu);
      woken = 1;
      pthread_cond_signal(&cv);
      pthread_mutex_unlock(&mu);
    } else if (strncmp(line, "pipe ", 5) == 0) {
      if (write(pipe_fds[1], line + 5, strcspn(line + 5, "\n")) < 0) return 2;
    } else if (strncmp(line, "quit", 4) == 0) {
      return 0;
    }
    fflush(stdout);
  }
}
