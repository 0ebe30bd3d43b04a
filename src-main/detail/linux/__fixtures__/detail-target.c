/*
 * Test target of the Linux detail source (compiled with gcc at test time, never committed as a binary): keeps
 * argv[1] open, listens on 127.0.0.1 (a port the kernel picks), holds both ends of a pipe of its own (its stdio
 * is whatever its starter gave it: Node's 'pipe' stdio is a socketpair), dlopen()s argv[2] and calls its function,
 * and parks one thread in detail_park_here() (blocked in pause()), then prints
 *   ready <pid> <parked tid> <port> <answer>
 * and waits for its stdin to close.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile pid_t parked_tid;

__attribute__((noinline)) void detail_park_here(void) {
  parked_tid = gettid();
  for (;;) pause();
}

__attribute__((noinline)) static void *parked_thread(void *arg) {
  (void)arg;
  detail_park_here();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int file = open(argv[1], O_RDONLY);
  if (file < 0) return 3;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 4) != 0) return 4;
  int ends[2];
  if (pipe(ends) != 0) return 7;
  socklen_t len = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &len);
  void *lib = dlopen(argv[2], RTLD_NOW);
  if (!lib) return 5;
  int (*answer)(void) = (int (*)(void))dlsym(lib, "detail_lib_answer");
  if (!answer) return 6;
  pthread_t t;
  pthread_create(&t, NULL, parked_thread, NULL);
  pthread_setname_np(t, "parked");
  while (parked_tid == 0) usleep(1000);
  printf("ready %d %d %d %d\n", getpid(), parked_tid, ntohs(a.sin_port), answer());
  fflush(stdout);
  char buf[64];
  while (read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}
