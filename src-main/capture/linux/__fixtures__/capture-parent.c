/*
 * Test parent for the Linux capture engine. A secondary pthread, started before any watch can attach, waits for a
 * line on stdin ("go") and then makes the children the mode asks for, reaping each one and printing
 * "child PID exit CODE" or "child PID signal SIG"; then "done" and the parent exits 0.
 *   forks N      N children from the pthread, child i does _exit(i % 256) at once
 *   segv         one child that writes through a null pointer in crash_here()
 *   codes A B..  one child per code, each _exit(code)
 *   sleepy MS    one child that sleeps MS ms, then _exit(7)
 *   execs N      N children, child i execs /bin/sh -c 'exit $1' sh (i % 256): a new name and command line, gone at once
 *   leader-exit MS  one child whose main thread ends with pthread_exit; its other thread sleeps MS ms, then exit(5)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int argc_g;
static char **argv_g;
static int go_pipe[2];

static void *late_exit(void *arg) {
  int ms = *(int *)arg;
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
  exit(5);
}

__attribute__((noinline)) void crash_here(volatile int *where) { *where = 42; }

static void reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {}
  if (WIFEXITED(status)) printf("child %d exit %d\n", pid, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("child %d signal %d\n", pid, WTERMSIG(status));
}

static void *worker(void *arg) {
  (void)arg;
  char c;
  if (read(go_pipe[0], &c, 1) != 1) return NULL;
  const char *mode = argv_g[1];
  if (strcmp(mode, "forks") == 0) {
    int n = atoi(argv_g[2]);
    for (int i = 0; i < n; i++) {
      pid_t pid = fork();
      if (pid == 0) _exit(i % 256);
      reap(pid);
    }
  } else if (strcmp(mode, "segv") == 0) {
    pid_t pid = fork();
    if (pid == 0) { crash_here((volatile int *)0); _exit(0); }
    reap(pid);
  } else if (strcmp(mode, "codes") == 0) {
    for (int i = 2; i < argc_g; i++) {
      int code = atoi(argv_g[i]);
      pid_t pid = fork();
      if (pid == 0) _exit(code);
      reap(pid);
    }
  } else if (strcmp(mode, "sleepy") == 0) {
    int ms = atoi(argv_g[2]);
    pid_t pid = fork();
    if (pid == 0) {
      struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
      nanosleep(&ts, NULL);
      _exit(7);
    }
    reap(pid);
  } else if (strcmp(mode, "execs") == 0) {
    int n = atoi(argv_g[2]);
    for (int i = 0; i < n; i++) {
      char code[8];
      snprintf(code, sizeof code, "%d", i % 256);
      pid_t pid = fork();
      if (pid == 0) {
        execl("/bin/sh", "/bin/sh", "-c", "exit $1", "sh", code, (char *)NULL);
        _exit(127);
      }
      reap(pid);
    }
  } else if (strcmp(mode, "leader-exit") == 0) {
    static int ms;
    ms = atoi(argv_g[2]);
    pid_t pid = fork();
    if (pid == 0) {
      pthread_t late;
      pthread_create(&late, NULL, late_exit, &ms);
      pthread_exit(NULL);
    }
    reap(pid);
  }
  printf("done\n");
  fflush(stdout);
  return NULL;
}

int main(int argc, char **argv) {
  argc_g = argc;
  argv_g = argv;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2 || pipe(go_pipe) != 0) return 2;
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  printf("ready %d\n", getpid());
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 3;
  if (write(go_pipe[1], "g", 1) != 1) return 4;
  pthread_join(t, NULL);
  return 0;
}
