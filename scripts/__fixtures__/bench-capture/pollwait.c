/*
 * The peer of `npm run bench:capture`: ProcDump for Linux's `-w NAME` loop, rewritten from its source
 * (microsoft/ProcDump-for-Linux src/Monitor.cpp MonitorProcesses, src/Process.cpp GetProcessName): scandir("/proc")
 * with a digits-only filter and alphasort; for each pid the name is the basename of argv[0] from /proc/PID/cmdline
 * (skipping a leading "sudo"), compared with strcmp; a match is new when {pid, starttime from /proc/PID/stat} is;
 * then sleep(PollingInterval / 1000), i.e. sleep(1) (MIN_POLLING_INTERVAL 1000). Where ProcDump would start a
 * monitor (attach and dump), this prints "seen PID STARTTIME REALTIME_MS": an upper bound on what it could dump.
 * Ends on SIGTERM with "scans N MEAN_SCAN_MS MAX_SCAN_MS". Usage: pollwait NAME
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRACKED 65536

static volatile sig_atomic_t quit;
static unsigned long long known_start[MAX_TRACKED];

static void on_term(int sig) { (void)sig; quit = 1; }

static double realtime_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int filter_for_pid(const struct dirent *e) {
  for (const char *p = e->d_name; *p; p++)
    if (!isdigit((unsigned char)*p)) return 0;
  return e->d_name[0] != '\0';
}

/* As GetProcessName: argv[0]'s basename up to its first space, the first argument that is not "sudo". */
static int process_name(int pid, char *out, size_t size) {
  char path[32], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  if (n == 0) return 0;
  buf[n] = '\0';
  char *arg = buf;
  while (arg < buf + n && strcmp(arg, "sudo") == 0) arg += strlen(arg) + 1;
  if (arg >= buf + n) return 0;
  char *slash = strrchr(arg, '/');
  char *name = slash ? slash + 1 : arg;
  size_t len = strcspn(name, " ");
  if (len >= size) len = size - 1;
  memcpy(out, name, len);
  out[len] = '\0';
  return 1;
}

static unsigned long long start_time(int pid) {
  char path[32], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  // Fields after the comm: state is field 3, starttime field 22.
  int field = 2;
  unsigned long long value = 0;
  for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
    if (++field == 22) { value = strtoull(tok, NULL, 10); break; }
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa = { 0 };
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  long scans = 0;
  double total_scan_ms = 0, max_scan_ms = 0;
  printf("polling\n");
  while (!quit) {
    double t0 = realtime_ms();
    struct dirent **list;
    int count = scandir("/proc/", &list, filter_for_pid, alphasort);
    for (int i = 0; i < count; i++) {
      int pid = atoi(list[i]->d_name);
      char name[256];
      if (process_name(pid, name, sizeof name) && strcmp(name, argv[1]) == 0) {
        unsigned long long st = start_time(pid);
        if (st && pid < MAX_TRACKED && known_start[pid] != st) {
          known_start[pid] = st;
          printf("seen %d %llu %.3f\n", pid, st, realtime_ms());
        }
      }
      free(list[i]);
    }
    if (count >= 0) free(list);
    double scan_ms = realtime_ms() - t0;
    scans++;
    total_scan_ms += scan_ms;
    if (scan_ms > max_scan_ms) max_scan_ms = scan_ms;
    if (!quit) sleep(1);
  }
  printf("scans %ld %.3f %.3f\n", scans, scans ? total_scan_ms / scans : 0, max_scan_ms);
  return 0;
}
