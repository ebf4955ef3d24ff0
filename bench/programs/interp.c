/* A bytecode interpreter: a stack machine with locals, calls and a switch
   dispatch loop, running a program written in its own bytecode that counts
   the primes below 30000 * SCALE by trial division (one call per candidate)
   and sums the decimal digits of each prime (another call). Self-checked
   against the same computation in C. Checksum: both results. */
#include "bench.h"

enum op { PUSH, LOAD, STORE, ADD, MUL, DIV, MOD, LT, JMP, JZ, CALL, RET, HALT };

/* An instruction is an opcode and one immediate. */
struct insn {
    uint8_t op;
    int32_t arg;
};

enum { STACK = 1024, FRAMES = 64, LOCALS = 4 };

struct frame {
    int32_t ret, locals[LOCALS];
};

/* Runs from pc 0 with local 0 = arg until HALT; copies the main frame's
   locals to out. CALL pops one argument into local 0 of a new frame. */
static void run(const struct insn *code, int32_t arg, int32_t out[LOCALS])
{
    int32_t stack[STACK], sp = 0, fp = 0, pc = 0;
    struct frame frames[FRAMES];
    frames[0].locals[0] = arg;
    for (;;) {
        const struct insn *in = &code[pc++];
        int32_t a, b;
        switch (in->op) {
        case PUSH: stack[sp++] = in->arg; break;
        case LOAD: stack[sp++] = frames[fp].locals[in->arg]; break;
        case STORE: frames[fp].locals[in->arg] = stack[--sp]; break;
#define BINARY(OP, EXPR) \
        case OP: b = stack[--sp]; a = stack[sp - 1]; stack[sp - 1] = (EXPR); break;
        BINARY(ADD, (int32_t)((uint32_t)a + (uint32_t)b))
        BINARY(MUL, (int32_t)((uint32_t)a * (uint32_t)b))
        BINARY(DIV, a / b)
        BINARY(MOD, a % b)
        BINARY(LT, a < b)
#undef BINARY
        case JMP: pc = in->arg; break;
        case JZ: if (!stack[--sp]) pc = in->arg; break;
        case CALL:
            fp++;
            frames[fp].ret = pc;
            frames[fp].locals[0] = stack[--sp];
            pc = in->arg;
            break;
        case RET: pc = frames[fp--].ret; break;
        case HALT: memcpy(out, frames[0].locals, sizeof frames[0].locals); return;
        }
    }
}

enum { IS_PRIME = 29, DIGITS = 52 };

static const struct insn program[] = {
    /* main(n): locals 0=n 1=i 2=primes 3=digit sum */
    /*  0 */ {PUSH, 2}, {STORE, 1}, {PUSH, 0}, {STORE, 2}, {PUSH, 0}, {STORE, 3},
    /*  6 loop */ {LOAD, 1}, {LOAD, 0}, {LT, 0}, {JZ, 27},
    /* 10 */ {LOAD, 1}, {CALL, IS_PRIME}, {JZ, 22},
    /* 13 */ {LOAD, 2}, {PUSH, 1}, {ADD, 0}, {STORE, 2},
    /* 17 */ {LOAD, 1}, {CALL, DIGITS}, {LOAD, 3}, {ADD, 0}, {STORE, 3},
    /* 22 next */ {LOAD, 1}, {PUSH, 1}, {ADD, 0}, {STORE, 1}, {JMP, 6},
    /* 27 done */ {PUSH, 0}, {HALT, 0},
    /* 29 is_prime(x): locals 0=x 1=d */ {PUSH, 2}, {STORE, 1},
    /* 31 loop: while d*d < x+1 */ {LOAD, 1}, {LOAD, 1}, {MUL, 0}, {LOAD, 0}, {PUSH, 1},
    {ADD, 0}, {LT, 0}, {JZ, 50},
    /* 39 */ {LOAD, 0}, {LOAD, 1}, {MOD, 0}, {JZ, 48},
    /* 43 */ {LOAD, 1}, {PUSH, 1}, {ADD, 0}, {STORE, 1}, {JMP, 31},
    /* 48 composite */ {PUSH, 0}, {RET, 0},
    /* 50 prime */ {PUSH, 1}, {RET, 0},
    /* 52 digits(x): locals 0=x 1=s */ {PUSH, 0}, {STORE, 1},
    /* 54 loop */ {LOAD, 0}, {JZ, 67},
    /* 56 */ {LOAD, 1}, {LOAD, 0}, {PUSH, 10}, {MOD, 0}, {ADD, 0}, {STORE, 1},
    /* 62 */ {LOAD, 0}, {PUSH, 10}, {DIV, 0}, {STORE, 0}, {JMP, 54},
    /* 67 done */ {LOAD, 1}, {RET, 0},
};

/* The same computation in C, for the self-check. */
static void reference(int32_t n, int32_t *primes, int32_t *digits)
{
    *primes = *digits = 0;
    for (int32_t i = 2; i < n; i++) {
        int prime = 1;
        for (int32_t d = 2; d * d <= i; d++)
            if (i % d == 0) {
                prime = 0;
                break;
            }
        if (!prime)
            continue;
        ++*primes;
        for (int32_t x = i; x; x /= 10)
            *digits += x % 10;
    }
}

int main(int argc, char **argv)
{
    int32_t n = bench_scale(argc, argv, 30) * 30000, out[LOCALS], want_p, want_d;
    run(program, 1000, out);
    reference(1000, &want_p, &want_d);
    if (out[2] != want_p || out[3] != want_d) {
        printf("interp: self-test FAILED (%d %d, want %d %d)\n", out[2], out[3], want_p, want_d);
        return 1;
    }
    run(program, n, out);
    printf("interp n=%d: %d primes, digit sum %d\n", n, out[2], out[3]);
    return bench_done("interp", mix(mix(MIX_INIT, (uint32_t)out[2]), (uint32_t)out[3]));
}
