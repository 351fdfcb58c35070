/* luartc: the runner. `luartc script.lua args...` (or `luartc -e 'code' [args]`,
 * `luartc - [args]` for a script on stdin, `luartc --version`) runs the script as a coroutine on luv's loop (through lua/rtc's scheduler) and
 * runs the loop until nothing is left alive. Exit status 1 with the traceback when
 * the script raised; rtc.exit(code) exits at once. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <luajit.h> /* the runner embeds LuaJIT: its version for --version */

#include "rtc_lua_compat.h"

int luaopen_rtc_core(lua_State *L);

/* Benchmarks open thousands of sockets: the soft limit up to the hard one. */
static void main_raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* package.path: <exe dir>/../lua first (a checkout), <exe dir>/../share/lua/5.1 (a
 * LuaRocks or `make install` tree), then /usr/local, then the default. */
static void main_set_path(lua_State *L, const char *argv0) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) {
    if (!realpath(argv0, exe)) snprintf(exe, sizeof(exe), "%s", argv0);
  } else {
    exe[n] = '\0';
  }
  char *slash = strrchr(exe, '/');
  if (slash)
    *slash = '\0';
  else
    snprintf(exe, sizeof(exe), ".");
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L,
                  "%s/../lua/?.lua;%s/../lua/?/init.lua;"
                  "%s/../share/lua/5.1/?.lua;%s/../share/lua/5.1/?/init.lua;"
                  "/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua;%s",
                  exe, exe, exe, exe, lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 1);
  /* rtc.core is linked in. */
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_rtc_core);
  lua_setfield(L, -2, "rtc.core");
  lua_pop(L, 2);
}

static int main_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int main_report(lua_State *L, int status) {
  if (status == 0) return 0;
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "luartc: %s\n", msg ? msg : "(error object is not a string)");
  fflush(stderr);
  lua_pop(L, 1);
  return 1;
}

static int main_usage(const char *prog) {
  fprintf(stderr,
          "usage: %s script.lua [args...]\n       %s -e 'code' [args...]\n"
          "       %s - [args...]      (script from stdin)\n       %s --version\n",
          prog, prog, prog, prog);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return main_usage(argv[0]);
  int script = 1; /* argv index of the script (or of the -e code) */
  bool code = false, from_stdin = false, version = false;
  if (strcmp(argv[1], "-e") == 0) {
    if (argc < 3) return main_usage(argv[0]);
    code = true;
    script = 2;
  } else if (strcmp(argv[1], "-") == 0) {
    from_stdin = true; /* as luajit: "-" runs stdin, the rest are its arguments */
  } else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0) {
    version = true;
  } else if (argv[1][0] == '-') {
    if (strcmp(argv[1], "--") == 0 && argc > 2)
      script = 2;
    else
      return main_usage(argv[0]);
  }
  main_raise_nofile();
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "luartc: cannot create Lua state\n");
    return 1;
  }
  luaL_openlibs(L);
  main_set_path(L, argv[0]);

  /* arg as luajit sets it: arg[0] the script, negative indices the runner and its
   * options, positive ones the script's arguments. */
  lua_createtable(L, argc - script - 1, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");

  int status;
  lua_pushcfunction(L, main_traceback);
  int tb = lua_gettop(L);
  /* rtc (and luv) load on the main thread: loop callbacks run there. */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "rtc");
  status = lua_pcall(L, 1, 1, tb);
  if (main_report(L, status)) return 1;
  int rtc = lua_gettop(L);
  if (version) {
    lua_getfield(L, rtc, "version");
    printf("luartc %s (%s)\n", lua_tostring(L, -1), LUAJIT_VERSION);
    lua_close(L);
    return 0;
  }

  if (code)
    status = luaL_loadbuffer(L, argv[script], strlen(argv[script]), "=(command line)");
  else
    status = luaL_loadfile(L, from_stdin ? NULL : argv[script]);
  if (main_report(L, status)) return 1;
  int chunk = lua_gettop(L);

  /* rtc._main(chunk, args...) -> exit status: runs the chunk as a coroutine and the
   * loop until it returns. */
  lua_getfield(L, rtc, "_main");
  lua_pushvalue(L, chunk);
  for (int i = script + 1; i < argc; i++)
    lua_pushstring(L, argv[i]);
  status = lua_pcall(L, argc - script, 1, tb);
  if (main_report(L, status)) return 1;
  int rc = (int)lua_tointeger(L, -1);
  fflush(stdout);
  lua_close(L);
  return rc;
}
