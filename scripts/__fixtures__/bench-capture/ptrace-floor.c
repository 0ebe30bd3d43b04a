/*
 * The floor for bench:capture's spawn loop: the least a ptrace follow-fork watch can cost. It seizes every thread of
 * the parent with the options `procscope watch --on crash` uses (fork/vfork/clone/exec, no exit events), blocks in
 * waitpid(-1, __WALL) and resumes each stop at once (a signal-delivery stop with its signal); it reads nothing and
 * prints nothing but its "armed" line. It ends when the parent does. Usage: ptrace-floor PID
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int pid = atoi(argv[1]);
  long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) return 3;
  for (struct dirent *e; (e = readdir(d));) {
    int tid = atoi(e->d_name);
    if (tid > 0 && ptrace(PTRACE_SEIZE, tid, 0, opts) != 0) { perror("PTRACE_SEIZE"); return 4; }
  }
  closedir(d);
  printf("{\"event\":\"armed\"}\n");
  fflush(stdout);
  for (;;) {
    int st;
    int t = waitpid(-1, &st, __WALL);
    if (t < 0) break;
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (t == pid) break;
      continue;
    }
    int sig = WSTOPSIG(st);
    int event = st >> 16;
    // Events (fork, exec, …), a new tracee's first stop and group-stops go on with no signal; others get theirs.
    int deliver = event || sig == SIGTRAP || sig == SIGSTOP ? 0 : sig;
    ptrace(PTRACE_CONT, t, 0, deliver);
  }
  printf("{\"event\":\"done\"}\n");
  return 0;
}
