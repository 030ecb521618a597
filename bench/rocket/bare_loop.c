// bare_loop: the floor of any connection-per-call client of a TinyPB server.
// Blocking calls, nothing else: for each call a socket, connect, one write of
// a pre-encoded Order.makeOrder frame ({"price":100,"goods":"apple"}), reads
// until the whole reply frame is in, then either close (as rpcdiag and any
// well-behaved client do) or keep the socket open until the run ends (as
// rocket's RpcChannel does: bench/rocket/rocket_loop.cc). bench/call.ts
// compiles it with the system's cc and runs it beside rocket_loop and rpcdiag,
// each on a fresh rocket server.
//
//   bare_loop HOST PORT CALLS close|hold [TIMEOUT_MS=30000]
//
// Prints one JSON line like rocket_loop's: {"calls","ok","failed","ms","callsPerSec","cpuMs"}.
// A call is ok when a whole TinyPB frame came back (0x02, a pk_len of at least
// the 26 bytes of an empty frame, 0x03 at its end). A server that stops
// answering would block a read for ever: like rocket_loop, the whole run must
// end within TIMEOUT_MS, else an alarm ends it with exit 3.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static size_t put32(unsigned char *at, uint32_t v) {
  v = htonl(v);
  memcpy(at, &v, 4);
  return 4;
}

static void timed_out(int sig) {
  (void)sig;
  static const char msg[] = "bare_loop: the run outlived its timeout\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(3);
}

int main(int argc, char **argv) {
  if (argc < 5 || argc > 6 || (strcmp(argv[4], "close") != 0 && strcmp(argv[4], "hold") != 0)) {
    fprintf(stderr, "usage: bare_loop HOST PORT CALLS close|hold [TIMEOUT_MS]\n");
    return 2;
  }
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    fprintf(stderr, "bare_loop: not an IPv4 address: %s\n", argv[1]);
    return 2;
  }
  long calls = atol(argv[3]);
  long timeout_ms = argc > 5 ? atol(argv[5]) : 30000;
  if (calls <= 0 || timeout_ms <= 0) {
    fprintf(stderr, "bare_loop: CALLS and TIMEOUT_MS must be positive\n");
    return 2;
  }
  int hold = strcmp(argv[4], "hold") == 0;
  int *held = hold ? calloc((size_t)calls, sizeof(int)) : NULL;
  if (hold && held == NULL) {
    perror("bare_loop: calloc");
    return 1;
  }
  signal(SIGALRM, timed_out);
  alarm((unsigned)((timeout_ms + 999) / 1000));

  // The frame: 0x02, pk_len, msg_id, method, err_code 0, err_info "", pb body, checksum 1, 0x03.
  static const char id[] = "20000000000000000001", method[] = "Order.makeOrder";
  static const unsigned char pb[] = {0x08, 0x64, 0x12, 0x05, 'a', 'p', 'p', 'l', 'e'};
  unsigned char frame[128];
  size_t len = 26 + strlen(id) + strlen(method) + sizeof pb, at = 0;
  frame[at++] = 0x02;
  at += put32(frame + at, (uint32_t)len);
  at += put32(frame + at, (uint32_t)strlen(id));
  memcpy(frame + at, id, strlen(id)), at += strlen(id);
  at += put32(frame + at, (uint32_t)strlen(method));
  memcpy(frame + at, method, strlen(method)), at += strlen(method);
  at += put32(frame + at, 0);
  at += put32(frame + at, 0);
  memcpy(frame + at, pb, sizeof pb), at += sizeof pb;
  at += put32(frame + at, 1);
  frame[at++] = 0x03;

  long ok = 0;
  unsigned char reply[4096];
  double t0 = now_ms();
  for (long i = 0; i < calls; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
      perror("bare_loop: socket");
      return 1;
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
      perror("bare_loop: connect");
      return 1;
    }
    ssize_t sent = write(s, frame, at);
    if (sent != (ssize_t)at) {
      if (sent < 0) perror("bare_loop: write");
      else fprintf(stderr, "bare_loop: wrote %zd of %zu bytes\n", sent, at);
      return 1;
    }
    size_t got = 0, need = 5;
    while (got < need && got < sizeof reply) {
      ssize_t r = read(s, reply + got, sizeof reply - got);
      if (r <= 0) break;
      got += (size_t)r;
      if (got >= 5) {
        uint32_t n;
        memcpy(&n, reply + 1, 4);
        need = ntohl(n);
      }
    }
    if (got >= need && need >= 26 && need <= sizeof reply && reply[0] == 0x02 && reply[need - 1] == 0x03) ok++;
    if (hold) held[i] = s;
    else close(s);
  }
  double ms = now_ms() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  if (hold)
    for (long i = 0; i < calls; i++) close(held[i]);
  printf("{\"calls\":%ld,\"ok\":%ld,\"failed\":%ld,\"ms\":%.3f,\"callsPerSec\":%.1f,\"cpuMs\":%.1f}\n", calls, ok, calls - ok, ms, calls * 1000.0 / ms, cpu);
  return 0;
}
