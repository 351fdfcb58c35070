# luartc build. Every runtime/*/*.c goes into librtc (position-independent, so the
# same objects serve rtc.so and the luartc runner); every tests/unit/*_test.c is a
# test binary linked against it. New modules need no Makefile change.

BUILD ?= build
CC ?= cc
LUAJIT_CFLAGS := $(shell pkg-config --cflags luajit 2>/dev/null || echo -I/usr/include/luajit-2.1)
LUAJIT_LIBS := $(shell pkg-config --libs luajit 2>/dev/null || echo -lluajit-5.1)
OPT ?= -O2
SAN ?=
CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -fPIC -Wall -Wextra -Werror -Wno-unused-parameter -Iruntime $(SAN)
LDFLAGS += $(SAN)
LIBS := -lmbedtls -lmbedx509 -lmbedcrypto -lcrypto -lusrsctp -lsrtp2 -logg -luv -lm

RUNTIME_SRC := $(wildcard runtime/*/*.c)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)
BINDINGS_SRC := $(filter-out bindings/luartc_main.c,$(wildcard bindings/*.c))
BINDINGS_OBJ := $(BINDINGS_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/*_test.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
SIM_SRC := $(wildcard tests/sim/*.c)
SIM_BIN := $(BUILD)/sim/luartc_sim
SEEDS ?= 1000

# The compiler and flags the objects of $(BUILD) were made with: a change rebuilds them
# all, so that a directory never links objects of two builds (a build-asan partly made
# without the sanitizers or by another compiler failed tests for no reason of the code).
# A missing stamp is written old: it forces nothing.
BUILD_FLAGS := $(CC) $(CFLAGS) $(LDFLAGS)
FLAGS_STAMP := $(BUILD)/.flags
$(shell mkdir -p $(BUILD); if [ ! -f $(FLAGS_STAMP) ]; then echo '$(BUILD_FLAGS)' > $(FLAGS_STAMP); \
  touch -d @0 $(FLAGS_STAMP); elif [ "$$(cat $(FLAGS_STAMP))" != '$(BUILD_FLAGS)' ]; then \
  echo '$(BUILD_FLAGS)' > $(FLAGS_STAMP); fi)

.PHONY: all deps run test unit lua-test interop asan-test bench fuzz clean format install pkg-test simtest

all: $(BUILD)/librtc.a $(BUILD)/rtc.so $(BUILD)/luartc

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUAJIT_CFLAGS) -I/usr/include/lua5.1 -MMD -MP -c $< -o $@

$(BUILD)/librtc.a: $(RUNTIME_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/rtc.so: $(BINDINGS_OBJ) $(BUILD)/librtc.a
	$(CC) -shared $(LDFLAGS) -o $@ $(BINDINGS_OBJ) $(BUILD)/librtc.a $(LIBS)

$(BUILD)/luartc: $(BUILD)/obj/bindings/luartc_main.o $(BINDINGS_OBJ) $(BUILD)/librtc.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LUAJIT_LIBS) $(LIBS) -ldl

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librtc.a $(wildcard tests/unit/*.h) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/librtc.a $(LDFLAGS) $(LIBS)

# The RSA interop unit test runs OpenSSL's DTLS (libssl) as the peer.
$(BUILD)/tests/dtls_rsa_test: LIBS += -lssl
# The out-of-memory test routes the core's allocations through its failing allocator.
$(BUILD)/tests/pc_oom_test: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup
# The Lua out-of-memory test links the bindings into a LuaJIT state with a failing
# allocator, and counts the C side's blocks (the same wraps).
$(BUILD)/tests/lua_oom_test: $(BINDINGS_OBJ)
$(BUILD)/tests/lua_oom_test: CFLAGS += $(LUAJIT_CFLAGS) -Ibindings
$(BUILD)/tests/lua_oom_test: LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup
$(BUILD)/tests/lua_oom_test: LIBS := $(BINDINGS_OBJ) $(BUILD)/librtc.a $(LUAJIT_LIBS) -ldl $(LIBS)

# The simulated network (tests/sim): make simtest [SEEDS=N] [JOBS=J], or replay
# one run with its trace: make simtest SEED=S SCENARIO=name
$(SIM_BIN): $(SIM_SRC) $(wildcard tests/sim/*.h) $(BUILD)/librtc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/sim -o $@ $(SIM_SRC) $(BUILD)/librtc.a $(LDFLAGS) $(LIBS)

simtest: $(SIM_BIN)
	@if [ -n "$(SEED)" ]; then $(SIM_BIN) --seed $(SEED) --scenario "$(SCENARIO)" --trace; \
	else $(SIM_BIN) --seeds $(SEEDS) --jobs $(or $(JOBS),1) $(if $(SCENARIO),--scenario $(SCENARIO)) \
	  --list tests/sim/regressions.txt; fi

deps:
	@bash tools/deps.sh

unit: $(UNIT_BIN)
	@bash tests/run_unit.sh $(BUILD)

lua-test: all
	@bash tests/run_lua.sh $(BUILD)

run: deps all
	$(BUILD)/luartc examples/hello.lua

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(SIM_BIN)
	@bash tests/run_all.sh $(BUILD)

interop: deps all
	@bash tests/interop/run.sh $(BUILD)

# STUN/TURN against coturn in network namespaces the script makes (root).
nettest: deps all
	@bash tests/net/run.sh $(BUILD)
	@bash tests/net/turn.sh $(BUILD)
	@bash tests/net/turn6.sh $(BUILD)

asan-test: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  all $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%) build-asan/sim/luartc_sim
	@ASAN_OPTIONS=detect_leaks=0 RTC_ASAN=1 bash tests/run_all.sh build-asan --no-interop --asan-interop

bench: deps all
	@bash bench/run.sh $(B)

# libFuzzer targets (clang): make fuzz [FUZZ_SECONDS=N] [FUZZ_ONLY=regex]; see tests/fuzz/build.sh
fuzz:
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),30) FUZZ_ONLY='$(FUZZ_ONLY)' bash tests/fuzz/build.sh

# Installs into a Lua tree (luarocks make passes LUADIR/LIBDIR/BINDIR): every
# lua/rtc/*.lua, the core as rtc/core.so, the runner.
PREFIX ?= /usr/local
LUADIR ?= $(PREFIX)/share/lua/5.1
LIBDIR ?= $(PREFIX)/lib/lua/5.1
BINDIR ?= $(PREFIX)/bin
install: all
	install -d $(DESTDIR)$(LUADIR)/rtc $(DESTDIR)$(LIBDIR)/rtc $(DESTDIR)$(BINDIR)
	install -m 644 lua/rtc/*.lua $(DESTDIR)$(LUADIR)/rtc/
	install -m 755 $(BUILD)/rtc.so $(DESTDIR)$(LIBDIR)/rtc/core.so
	install -m 755 $(BUILD)/luartc $(DESTDIR)$(BINDIR)/luartc

# luarocks make into a temporary tree, then a script outside the checkout.
pkg-test: deps
	@bash tests/pkg/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz

-include $(RUNTIME_OBJ:.o=.d) $(BINDINGS_OBJ:.o=.d)
