/*
 * The spawning parent of `npm run bench:capture`. A secondary pthread, started before any watch attaches (the case
 * the issue names: seizing only the main thread misses its children), waits for "go" on stdin, then posix_spawns
 * the children its mode asks for, logging each spawn's CLOCK_REALTIME time (ms with fractions) just before the call.
 *   spread GAP_MIN GAP_MAX L:K...  K children of each lifetime L ms, one every GAP_MIN..GAP_MAX ms (uniform,
 *                                  seeded), not waited for one by one: lifetimes overlap as in a real service
 *   loop L:K...                    K children of each lifetime back to back, each waited for: "loop L K WALL_MS"
 * Prints "ready PID" at start; after the work "child PID L FORK_MS", "exit PID STATUS", "loop …" lines, then "done".
 * Usage: bparent CHILD_EXE LOG_PATH MODE ARGS...
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CHILDREN 8192
#define MAX_CLASSES 16

static int argc_g;
static char **argv_g;
static int go_pipe[2];
static int log_fd;
static int child_count;
static pid_t pids[MAX_CHILDREN];
static int life_of[MAX_CHILDREN];
static double fork_ms[MAX_CHILDREN];
static int status_of[MAX_CHILDREN];
static int loop_life[MAX_CLASSES], loop_k[MAX_CLASSES];
static double loop_wall[MAX_CLASSES];
static int loop_count;

static double realtime_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms) {
  struct timespec ts = { (time_t)(ms / 1e3), (long)((ms - (double)(time_t)(ms / 1e3) * 1e3) * 1e6) };
  while (nanosleep(&ts, &ts) != 0) {}
}

static void record_status(pid_t pid, int status) {
  for (int i = child_count - 1; i >= 0; i--)
    if (pids[i] == pid) { status_of[i] = status; return; }
}

static pid_t spawn_child(int life) {
  if (child_count >= MAX_CHILDREN) return -1;
  int i = child_count;
  char life_s[16], fork_s[32], fd_s[16], marker[32];
  snprintf(life_s, sizeof life_s, "%d", life);
  snprintf(fd_s, sizeof fd_s, "%d", log_fd);
  snprintf(marker, sizeof marker, "c%d-%d", life, i);
  double t = realtime_ms();
  snprintf(fork_s, sizeof fork_s, "%.3f", t);
  char *child_argv[] = { argv_g[1], life_s, fork_s, fd_s, marker, NULL };
  pid_t pid;
  if (posix_spawn(&pid, argv_g[1], NULL, NULL, child_argv, environ) != 0) return -1;
  pids[i] = pid;
  life_of[i] = life;
  fork_ms[i] = t;
  status_of[i] = -1;
  child_count++;
  return pid;
}

static void *worker(void *arg) {
  (void)arg;
  char c;
  if (read(go_pipe[0], &c, 1) != 1) return NULL;
  const char *mode = argv_g[3];
  if (strcmp(mode, "spread") == 0) {
    double gap_min = atof(argv_g[4]), gap_max = atof(argv_g[5]);
    srand(12);
    for (int a = 6; a < argc_g; a++) {
      int life = 0, k = 0;
      if (sscanf(argv_g[a], "%d:%d", &life, &k) != 2) continue;
      for (int j = 0; j < k; j++) {
        spawn_child(life);
        int status;
        pid_t done;
        while ((done = waitpid(-1, &status, WNOHANG)) > 0) record_status(done, status);
        sleep_ms(gap_min + (gap_max - gap_min) * (rand() / (double)RAND_MAX));
      }
    }
    int status;
    pid_t done;
    while ((done = waitpid(-1, &status, 0)) > 0) record_status(done, status);
  } else if (strcmp(mode, "loop") == 0) {
    for (int a = 4; a < argc_g && loop_count < MAX_CLASSES; a++) {
      int life = 0, k = 0;
      if (sscanf(argv_g[a], "%d:%d", &life, &k) != 2) continue;
      double t0 = mono_ms();
      for (int j = 0; j < k; j++) {
        pid_t pid = spawn_child(life);
        int status;
        if (pid > 0 && waitpid(pid, &status, 0) == pid) record_status(pid, status);
      }
      loop_life[loop_count] = life;
      loop_k[loop_count] = k;
      loop_wall[loop_count++] = mono_ms() - t0;
    }
  }
  for (int i = 0; i < child_count; i++) printf("child %d %d %.3f\n", pids[i], life_of[i], fork_ms[i]);
  for (int i = 0; i < child_count; i++) printf("exit %d %d\n", pids[i], status_of[i]);
  for (int i = 0; i < loop_count; i++) printf("loop %d %d %.3f\n", loop_life[i], loop_k[i], loop_wall[i]);
  printf("done\n");
  fflush(stdout);
  return NULL;
}

int main(int argc, char **argv) {
  argc_g = argc;
  argv_g = argv;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 4 || pipe(go_pipe) != 0) return 2;
  // Inherited by every child on purpose (no O_CLOEXEC): each appends its own "life" line.
  log_fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (log_fd < 0) return 2;
  fcntl(go_pipe[0], F_SETFD, FD_CLOEXEC);
  fcntl(go_pipe[1], F_SETFD, FD_CLOEXEC);
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  printf("ready %d\n", getpid());
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 3;
  if (write(go_pipe[1], "g", 1) != 1) return 4;
  pthread_join(t, NULL);
  return 0;
}
