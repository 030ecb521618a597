#!/usr/bin/env bash
# Build rocket (github.com/Gooddbird/rocket), its test RPC server and client,
# and rocket_loop (the load peer, rocket_loop.cc here) from a rocket source
# tree into PREFIX, for the benches that compare rpcdiag with rocket's own
# client on a real rocket server (bench/call.ts, bench/startup.ts).
#
#   bench/rocket/build.sh SRC [PREFIX=/opt/rocket]
#
# SRC is a rocket checkout (upstream master was 0228310, 2023-09-09). It is
# not modified: it is copied to PREFIX/build, patched there and built with
# rocket's own makefile. Needs g++, make, protoc and the headers/static libs of
# protobuf and tinyxml (Debian 12: apt-get install g++ make protobuf-compiler
# libprotobuf-dev libtinyxml-dev). Then the benches find PREFIX/bin through
# RPCDIAG_ROCKET_DIR=PREFIX (default /opt/rocket).
#
# What differs from upstream, and why:
# - the makefile's LIBS names /usr/lib/libprotobuf.a and /usr/lib/libtinyxml.a;
#   Debian installs them under /usr/lib/<multiarch>: LIBS is given to make.
# - rocket includes <tinyxml/tinyxml.h>; Debian installs <tinyxml.h>: a one-line
#   header in PREFIX/build/compat, found through CPATH.
# - the makefile neither makes obj/ lib/ bin/ nor runs protoc on
#   testcases/order.proto: done here.
# - patches/00: abstract_protocol.h uses std::string without <string>, which
#   g++ 12's <memory> no longer brings in (Debian 12): the include is added.
# - patches/01: the test server's makeOrder sleeps 5 s per call; removed (the
#   server the issue's figures and TINYPB.md's observations were taken on).
# - patches/02: the test client calls 127.0.0.1:12345 and never leaves its
#   event loop; it takes HOST:PORT as argv[1] and exits from its closure as
#   rocket's generated clients do (exit 0 on success, 1 on an error).
# Compiler flags stay the makefile's (-g -O0 -std=c++11), as rocket ships;
# ROCKET_OPT=-O2 (say) replaces its -O0 to see what the optimiser changes.
# MAKE_JOBS (default 2) is make's -j.
set -euo pipefail

SRC=${1:?usage: build.sh ROCKET_SRC [PREFIX=/opt/rocket]}
PREFIX=${2:-/opt/rocket}
JOBS=${MAKE_JOBS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$SRC" && pwd)

for tool in g++ make protoc; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (Debian: apt-get install g++ make protobuf-compiler libprotobuf-dev libtinyxml-dev)" >&2; exit 1; }
done
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || true)
find_lib() {
  for d in "/usr/lib/$MULTIARCH" /usr/lib /usr/local/lib; do
    [ -f "$d/$1" ] && { echo "$d/$1"; return; }
  done
  echo "build.sh: $1 not found (Debian: libprotobuf-dev, libtinyxml-dev)" >&2
  exit 1
}
PROTOBUF_A=$(find_lib libprotobuf.a)
TINYXML_A=$(find_lib libtinyxml.a)
[ -f "$SRC/makefile" ] && [ -f "$SRC/testcases/order.proto" ] || { echo "build.sh: $SRC is not a rocket source tree" >&2; exit 1; }

BUILD="$PREFIX/build"
rm -rf "$BUILD"
mkdir -p "$BUILD" "$PREFIX/bin"
# A copy without .git: the build never writes into SRC.
(cd "$SRC" && tar --exclude=.git -cf - .) | (cd "$BUILD" && tar -xf -)
COMMIT=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo "unknown (not a git checkout)")

cd "$BUILD"
for p in "$HERE"/patches/*.patch; do
  patch -p1 --forward --quiet < "$p"
done
mkdir -p obj lib bin compat/tinyxml
if [ -f /usr/include/tinyxml.h ] && [ ! -f /usr/include/tinyxml/tinyxml.h ]; then
  echo '#include <tinyxml.h>' > compat/tinyxml/tinyxml.h
fi
protoc --cpp_out=testcases --proto_path=testcases testcases/order.proto

export CPATH="$BUILD/compat${CPATH:+:$CPATH}"
LIBS="$PROTOBUF_A $TINYXML_A"
CXXFLAGS=$(make --no-print-directory PRINT-CXXFLAGS | sed 's/^CXXFLAGS = //')
if [ -n "${ROCKET_OPT:-}" ]; then CXXFLAGS=${CXXFLAGS/-O0/$ROCKET_OPT}; fi
make -j"$JOBS" LIBS="$LIBS" CXXFLAGS="$CXXFLAGS" lib/librocket.a
make -j"$JOBS" LIBS="$LIBS" CXXFLAGS="$CXXFLAGS" bin/test_rpc_server bin/test_rpc_client
# rocket_loop, compiled like the test client (the same flags and libraries).
# shellcheck disable=SC2086
g++ $CXXFLAGS -Itestcases "$HERE/rocket_loop.cc" testcases/order.pb.cc -o bin/rocket_loop lib/librocket.a $LIBS -ldl -pthread

cp bin/test_rpc_server bin/test_rpc_client bin/rocket_loop "$PREFIX/bin/"
{
  echo "rocket source: $SRC"
  echo "rocket commit: $COMMIT"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(g++ --version | head -1), $(protoc --version)"
  echo "flags: $CXXFLAGS"
  echo "libraries: $LIBS"
  echo "patches: $(cd "$HERE/patches" && ls *.patch | tr '\n' ' ')"
} > "$PREFIX/BUILD-INFO"
cat "$PREFIX/BUILD-INFO"
echo "built: $PREFIX/bin/test_rpc_server $PREFIX/bin/test_rpc_client $PREFIX/bin/rocket_loop"
