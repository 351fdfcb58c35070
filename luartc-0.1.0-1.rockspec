package = "luartc"
version = "0.1.0-1"
source = {
  url = "git+file:///work/main",
}
description = {
  summary = "WebRTC peer connections for Lua: a C core (ICE, DTLS, SCTP data channels) on libuv",
  detailed = [[
luartc gives Lua scripts RTCPeerConnection objects shaped like the W3C API. The
whole transport stack is in C on one libuv loop (shared with luv).]],
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
build = {
  type = "make",
  build_target = "build/rtc.so",
  install_pass = false,
  install = {
    lib = { ["rtc.core"] = "build/rtc.so" },
    lua = {
      ["rtc"] = "lua/rtc/init.lua",
    },
  },
}
