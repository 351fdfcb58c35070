package = "luartc"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/luartc/luartc.git",
  tag = "v0.1.0",
}
description = {
  summary = "WebRTC peer connections for Lua: a C core (ICE, DTLS, SCTP data channels) on libuv",
  detailed = [[
luartc gives Lua scripts RTCPeerConnection objects shaped like the W3C API. The
whole transport stack is in C on one libuv loop (shared with luv).]],
  homepage = "https://github.com/luartc/luartc",
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "luv",
}
external_dependencies = {
  LIBUV = { header = "uv.h" },
  MBEDTLS = { header = "mbedtls/ssl.h" },
  USRSCTP = { header = "usrsctp.h" },
  SRTP2 = { header = "srtp2/srtp.h" },
}
-- The Makefile's install target copies every lua/rtc/*.lua, rtc/core.so and the
-- luartc runner, so a new file under lua/rtc/ needs no change here.
build = {
  type = "make",
  build_target = "all",
  install_target = "install",
  install_variables = {
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
  },
}
