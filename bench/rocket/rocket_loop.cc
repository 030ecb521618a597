// rocket_loop: N makeOrder calls, one after another, each through a new
// rocket::RpcChannel (so a new TCP connection per call, as rocket's client
// always does), the way rocket's testcases/test_rpc_client.cc makes its one
// call. Built against rocket's own library by bench/rocket/build.sh; it is the
// peer of `rpcdiag call --repeat N --concurrency 1 --connection-per-call`.
//
//   rocket_loop HOST:PORT CALLS [TIMEOUT_MS=10000] [LOG_LEVEL=ERROR]
//
// Prints one JSON line: {"calls","ok","failed","ms","callsPerSec","cpuMs"}.
// A call is ok when its controller has no error and the reply's order_id is
// "20230514" (rocket's test server). A request the server drops is counted
// failed after TIMEOUT_MS (rocket's client then runs the closure with
// ERROR_RPC_CALL_TIMEOUT). LOG_LEVEL is rocket's (DEBUG, INFO, ERROR): the
// client logs to stdout, synchronously, as the test client does; ERROR keeps
// per-call logging out of the figure.
//
// The whole run must end within TIMEOUT_MS (10 s by default, the test
// client's SetTimeout): each channel, and its socket, lives on until its
// timeout timer fires (rocket's CallMethod never cancels it), and once one
// closes its socket the next socket() gets that fd number back while rocket's
// EventLoop still lists it as added, so epoll_ctl(MOD) fails with ENOENT and
// that call never connects (seen here: the client hung after ~830 calls with
// a 1000 ms timeout). So every call holds an fd for the whole run (CALLS must
// stay under RLIMIT_NOFILE) and an alarm ends a run that outlives TIMEOUT_MS
// with exit 3.
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string>
#include <memory>
#include <google/protobuf/service.h>
#include "rocket/common/log.h"
#include "rocket/common/config.h"
#include "rocket/net/eventloop.h"
#include "rocket/net/rpc/rpc_channel.h"
#include "rocket/net/rpc/rpc_controller.h"
#include "rocket/net/rpc/rpc_closure.h"

#include "order.pb.h"

static std::string g_addr;
static long g_calls = 0;
static int g_timeout_ms = 10000;
static long g_ok = 0;
static long g_failed = 0;

static void call_once();

static void finished_one(bool ok) {
  if (ok) {
    g_ok++;
  } else {
    g_failed++;
  }
  if (g_ok + g_failed < g_calls) {
    call_once();
  } else {
    rocket::EventLoop::GetCurrentEventLoop()->stop();
  }
}

static void call_once() {
  NEWMESSAGE(makeOrderRequest, request);
  NEWMESSAGE(makeOrderResponse, response);
  request->set_price(100);
  request->set_goods("apple");

  NEWRPCCONTROLLER(controller);
  controller->SetTimeout(g_timeout_ms);

  std::shared_ptr<rocket::RpcClosure> closure = std::make_shared<rocket::RpcClosure>(nullptr, [request, response, controller]() mutable {
    bool ok = controller->GetErrorCode() == 0 && response->order_id() == "20230514";
    if (!ok) {
      ERRORLOG("call rpc failed, error code[%d], error info[%s]", controller->GetErrorCode(), controller->GetErrorInfo().c_str());
    }
    finished_one(ok);
  });

  CALLRPRC(g_addr, Order_Stub, makeOrder, controller, request, response, closure);
}

static double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void on_alarm(int) {
  static const char msg[] = "rocket_loop: the run outlived TIMEOUT_MS, past which rocket's client reuses fds it still watches; use fewer CALLS or a longer TIMEOUT_MS\n";
  ssize_t n = write(2, msg, sizeof(msg) - 1);
  (void)n;
  _exit(3);
}

int main(int argc, char* argv[]) {
  if (argc < 3) {
    fprintf(stderr, "usage: rocket_loop HOST:PORT CALLS [TIMEOUT_MS=10000] [LOG_LEVEL=ERROR]\n");
    return 2;
  }
  g_addr = argv[1];
  g_calls = atol(argv[2]);
  if (argc > 3) g_timeout_ms = atoi(argv[3]);
  if (g_calls <= 0 || g_timeout_ms <= 0) {
    fprintf(stderr, "rocket_loop: CALLS and TIMEOUT_MS must be positive\n");
    return 2;
  }

  rlimit fds;
  if (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur != RLIM_INFINITY && (rlim_t)g_calls + 64 > fds.rlim_cur) {
    fprintf(stderr, "rocket_loop: %ld calls need as many fds at once, the limit is %lu\n", g_calls, (unsigned long)fds.rlim_cur);
    return 2;
  }
  signal(SIGALRM, on_alarm);
  alarm((g_timeout_ms + 999) / 1000);

  rocket::Config::SetGlobalConfig(NULL);
  rocket::Config::GetGlobalConfig()->m_log_level = argc > 4 ? argv[4] : "ERROR";
  rocket::Logger::InitGlobalLogger(0);

  double cpu0 = cpu_ms();
  double t0 = now_ms();
  // The first call's connect() runs the event loop until the last call stops it.
  call_once();
  double ms = now_ms() - t0;
  double cpu = cpu_ms() - cpu0;

  printf("{\"calls\":%ld,\"ok\":%ld,\"failed\":%ld,\"ms\":%.3f,\"callsPerSec\":%.1f,\"cpuMs\":%.1f}\n",
         g_calls, g_ok, g_failed, ms, (g_ok + g_failed) * 1000.0 / ms, cpu);
  fflush(stdout);
  // The channels still waiting for their timeout timers are not torn down.
  _exit(g_failed == 0 && g_ok == g_calls ? 0 : 1);
}
