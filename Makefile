# Trident build. `make` builds build/trident and build/libtrident.a,
# `make test` sets up what is missing, builds release and ASan+UBSan trees
# and runs every test in both, `make bench` runs the benchmarks.

BUILD ?= build
CC := $(shell command -v clang-19 >/dev/null 2>&1 && echo clang-19 || echo cc)
OPT ?= -O2
SAN ?=
CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -g $(OPT) -Iinclude -Isrc $(SAN) $(EXTRA_CFLAGS)
LDFLAGS := $(SAN) -lm -lpthread

# One folder per pipeline stage; the library is every .c file in them.
STAGES := base decode text validate compiler x64 singlepass optimizing runtime wasi
# The llvm backend is a plugin (BUILD/libtrident-llvm.so) loaded the first
# time it is asked for, so the other backends never pay libLLVM's start-up
# cost (about 20 ms a process). It resolves the library's symbols from the
# executable, which is therefore linked with -rdynamic and the whole library.
LLVM_CONFIG := $(shell command -v llvm-config-19 2>/dev/null)
ifneq ($(LLVM_CONFIG),)
LLVM_CFLAGS := $(shell $(LLVM_CONFIG) --cflags) -DTRI_HAVE_LLVM=1 -fPIC
CFLAGS += -DTRI_LLVM_PLUGIN='"libtrident-llvm.so"'
LLVM_LIBS := $(shell $(LLVM_CONFIG) --ldflags --libs core analysis passes target x86 mc object 2>/dev/null) $(shell $(LLVM_CONFIG) --system-libs 2>/dev/null)
LLVM_PLUGIN := $(BUILD)/libtrident-llvm.so
LLVM_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/llvm/*.c))
endif

LIB_SRCS := $(foreach d,$(STAGES),$(wildcard src/$(d)/*.c))
CLI_SRCS := $(wildcard src/cli/*.c)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:src/%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/unit/*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

EXE_LIBS := -rdynamic -Wl,--whole-archive $(BUILD)/libtrident.a -Wl,--no-whole-archive -ldl

all: $(BUILD)/trident $(BUILD)/libtrident.a $(LLVM_PLUGIN)

$(BUILD)/libtrident.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/trident: $(CLI_OBJS) $(BUILD)/libtrident.a
	$(CC) -o $@ $(CLI_OBJS) $(EXE_LIBS) $(LDFLAGS)

$(LLVM_PLUGIN): $(LLVM_OBJS)
	$(CC) -shared -o $@ $^ $(LLVM_LIBS) $(SAN)

$(BUILD)/obj/llvm/%.o: src/llvm/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LLVM_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libtrident.a $(LLVM_PLUGIN)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(EXE_LIBS) $(LDFLAGS)

tests: $(TEST_BINS)

# Installs the Debian packages the build and the tests need, if missing.
setup:
	@bash scripts/setup.sh

# The sanitizer tree: same sources, ASan+UBSan, no recovery from UB.
asan:
	$(MAKE) BUILD=build/asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" all tests

test: setup
	$(MAKE) all tests
	$(MAKE) asan
	bash tests/run.sh build build/asan

# The bundled example: a C program compiled to wasm32-wasi, then run.
$(BUILD)/examples/hello.wasm: examples/hello.c
	@mkdir -p $(@D)
	clang-19 --target=wasm32-wasi --sysroot=/usr -O2 $< -o $@

example: setup
	$(MAKE) all $(BUILD)/examples/hello.wasm
	./$(BUILD)/trident run $(BUILD)/examples/hello.wasm 1 2 3

# libFuzzer target over decode + validate (tests/fuzz/), built from just the
# stages it needs, with its seed corpus made from the spec modules.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_OBJS := $(foreach d,base decode validate,$(patsubst src/%.c,build/fuzz/obj/%.o,$(wildcard src/$(d)/*.c)))

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build/fuzz/fuzz_validate: tests/fuzz/fuzz_validate.c $(FUZZ_OBJS)
	$(CC) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lpthread

build/fuzz/seeds/.done: tests/fuzz/seed.sh
	bash tests/fuzz/seed.sh build/fuzz/seeds && touch $@

fuzz: build/fuzz/fuzz_validate build/fuzz/seeds/.done

bench: setup all
	bash bench/run.sh

clean:
	rm -rf build

.PHONY: all tests setup asan test example bench clean fuzz

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(LLVM_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
