/*
 * Test parent for the Linux capture engine's fanotify exec mode. It reads commands from stdin, one a line, runs
 * them from its main thread, reaping every child and printing "child PID exit CODE" or "child PID signal SIG", then
 * "done" after each command:
 *   spawn N PATH [MS]   N children, each fork + execv(PATH, {PATH, i, MS}) for i = 1..N (exit code i)
 *   pspawn N PATH [MS]  the same through posix_spawn (vfork + exec)
 *   fork N              N children that _exit(i) without exec'ing
 *   par N PATH [MS]     N fork + exec children started together, then reaped
 *   stagger N PATH GAP  the same, but child i waits (i - 1) * GAP ms before its exec (and passes 0 as MS)
 * and prints "ready PID" first. EOF ends it with exit 0.
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {}
  if (WIFEXITED(status)) printf("child %d exit %d\n", pid, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("child %d signal %d\n", pid, WTERMSIG(status));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready %d\n", getpid());
  char line[4200];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[16] = "", path[4097] = "", ms[16] = "0";
    int n = 0;
    if (sscanf(line, "%15s %d %4096s %15s", cmd, &n, path, ms) < 2) return 2;
    pid_t started[256];
    int count = 0;
    for (int i = 1; i <= n; i++) {
      char code[16];
      snprintf(code, sizeof code, "%d", i);
      char *argv[] = {path, code, ms, NULL};
      pid_t pid = -1;
      if (strcmp(cmd, "spawn") == 0) {
        pid = fork();
        if (pid == 0) {
          execv(path, argv);
          _exit(127);
        }
      } else if (strcmp(cmd, "pspawn") == 0) {
        if (posix_spawn(&pid, path, NULL, NULL, argv, environ) != 0) pid = -1;
      } else if (strcmp(cmd, "fork") == 0) {
        pid = fork();
        if (pid == 0) _exit(i);
      } else if ((strcmp(cmd, "par") == 0 || strcmp(cmd, "stagger") == 0) && count < 256) {
        int stagger = strcmp(cmd, "stagger") == 0;
        pid = fork();
        if (pid == 0) {
          if (stagger) {
            long wait = (long)(i - 1) * atol(ms);
            struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            argv[2] = "0";
          }
          execv(path, argv);
          _exit(127);
        }
        if (pid > 0) started[count++] = pid;
        continue;
      }
      if (pid > 0) reap(pid);
    }
    for (int i = 0; i < count; i++) reap(started[i]);
    printf("done\n");
  }
  return 0;
}
