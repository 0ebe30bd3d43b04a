/*
 * e2e fixture for the Properties window, the lower pane and Find Handle or DLL (issue 14). Built at test time with
 * gcc, twice: with -DDETAIL_LIB -shared as the known shared library (libpsdetail.so), and as the program, which
 *   argv: MARKER OPEN_FILE LIBRARY_PATH
 *   - keeps OPEN_FILE open (read-only),
 *   - listens on TCP 127.0.0.1, a port the kernel picks,
 *   - dlopen()s LIBRARY_PATH and calls into it,
 *   - parks a thread named "detail-parked" in psdetail_parked_here(), which never returns,
 * prints "ready <port> <parked tid>" and then waits until killed. The environment marker comes from the test.
 */
#ifdef DETAIL_LIB
int psdetail_library_answer(void) { return 42; }
#else
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile pid_t parked_tid;

/* Never returns and is never inlined, so a stack read of that thread names it. */
__attribute__((noinline)) void psdetail_parked_here(void) {
  parked_tid = (pid_t)syscall(SYS_gettid);
  for (;;) {
    pause();
    __asm__ volatile("" ::: "memory");
  }
}

static void *parked_main(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "detail-parked");
  psdetail_parked_here();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: detail-target MARKER OPEN_FILE LIBRARY_PATH\n");
    return 2;
  }
  int file = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (file < 0) {
    perror("open");
    return 1;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 4) != 0) {
    perror("listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(listener, (struct sockaddr *)&addr, &len);
  void *lib = dlopen(argv[3], RTLD_NOW);
  int (*answer)(void) = lib ? (int (*)(void))dlsym(lib, "psdetail_library_answer") : NULL;
  if (!answer || answer() != 42) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, parked_main, NULL) != 0) return 1;
  while (parked_tid == 0) usleep(1000);
  printf("ready %d %d\n", ntohs(addr.sin_port), (int)parked_tid);
  fflush(stdout);
  for (;;) pause();
}
#endif
