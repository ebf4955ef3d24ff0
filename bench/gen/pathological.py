#!/usr/bin/env python3
"""Writes a valid .wasm module of a pathological shape, for compile-time
linearity tests (bench/linearity.sh):

  pathological.py SHAPE SCALE OUT.wasm

SHAPE is one of the names in SHAPES; SCALE multiplies its size (1 and 10
in the test). Every module exports one function "run" and validates.
"""
import sys


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


I32, I64, F64 = 0x7F, 0x7E, 0x7C
BLOCK, LOOP, IF, ELSE, END, BR, BR_IF, BR_TABLE = 2, 3, 4, 5, 0x0B, 0x0C, 0x0D, 0x0E
CALL, DROP, LOCAL_GET, LOCAL_SET, LOCAL_TEE = 0x10, 0x1A, 0x20, 0x21, 0x22
I32_LOAD, I32_STORE, I32_CONST, I32_ADD, I32_SUB, I32_MUL = 0x28, 0x36, 0x41, 0x6A, 0x6B, 0x6C
I32_AND, I32_XOR, I32_SHL, I32_LT_U, I32_EQZ = 0x71, 0x73, 0x74, 0x49, 0x45
I64_EXTEND_I32_U, I64_ADD, F64_CONVERT_I32_S, F64_ADD = 0xAD, 0x7C, 0xB7, 0xA0
I32_WRAP_I64, I32_TRUNC_SAT_F64_S = 0xA7, b"\xfc\x02"


def op(code, *imms):
    return bytes([code]) + b"".join(uleb(i) for i in imms)


def const(v):
    return bytes([I32_CONST]) + sleb(v)


def section(sid, payload):
    return bytes([sid]) + uleb(len(payload)) + payload


def vec(items):
    return uleb(len(items)) + b"".join(items)


def functype(params, results):
    return b"\x60" + vec([bytes([t]) for t in params]) + vec([bytes([t]) for t in results])


def body(local_groups, code):
    locals_ = vec([uleb(n) + bytes([t]) for n, t in local_groups])
    b = locals_ + code + bytes([END])
    return uleb(len(b)) + b


def module(types, funcs, bodies, memory=False):
    """funcs: type index of each function; function 0 is exported as run."""
    out = b"\0asm\x01\0\0\0"
    out += section(1, vec(types))
    out += section(3, vec([uleb(t) for t in funcs]))
    if memory:
        out += section(5, vec([b"\x00\x01"]))
    out += section(7, vec([uleb(3) + b"run" + b"\x00" + uleb(0)]))
    out += section(10, vec(bodies))
    return out


# ---- the shapes: each returns the module bytes for a scale ----

def nesting(scale):
    """Blocks, loops and ifs nested 5000*scale deep, each with a value
    waiting below it and a result merged at its end."""
    n = 5000 * scale
    code = bytearray()
    for i in range(n):
        code += op(LOCAL_GET, 0)
        kind = (BLOCK, LOOP, IF)[i % 3]
        if kind == IF:
            code += op(LOCAL_GET, 0)
        code += bytes([kind, I32])
    code += op(LOCAL_GET, 0) + op(LOCAL_GET, 0) + op(BR_IF, n - 1)
    for i in reversed(range(n)):
        if i % 3 == 2:
            code += bytes([ELSE]) + const(i)
        code += bytes([END, I32_ADD])
    return module([functype([I32], [I32])], [0], [body([], bytes(code))])


def br_table(scale):
    """One br_table of 200000*scale targets over 64 nested blocks."""
    n, depth = 200000 * scale, 64
    code = bytearray(bytes([BLOCK, 0x40]) * depth)
    code += op(LOCAL_GET, 0) + bytes([BR_TABLE]) + uleb(n)
    code += b"".join(uleb((i * 7) % depth) for i in range(n)) + uleb(depth - 1)
    for _ in range(depth):
        code += bytes([END]) + op(LOCAL_GET, 0) + const(1) + bytes([I32_ADD]) + op(LOCAL_SET, 0)
    code += op(LOCAL_GET, 0)
    return module([functype([I32], [I32])], [0], [body([], bytes(code))])


def br_targets(scale):
    """A br_table over 6000*scale distinct targets (as an interpreter's
    dispatch switch): that many nested blocks, each end followed by its own
    case code that updates a local and leaves the switch."""
    n = 6000 * scale
    code = bytearray(bytes([BLOCK, 0x40]))  # the switch's exit, depth n at the br_table
    code += bytes([BLOCK, 0x40]) * n
    code += op(LOCAL_GET, 0) + bytes([BR_TABLE]) + uleb(n) + b"".join(uleb(i) for i in range(n))
    code += uleb(n)
    for i in range(n):
        code += bytes([END]) + op(LOCAL_GET, 0) + const(i) + bytes([I32_XOR]) + op(LOCAL_SET, 0)
        code += op(BR, n - 1 - i)
    code += bytes([END]) + op(LOCAL_GET, 0)
    return module([functype([I32], [I32])], [0], [body([], bytes(code))])


def loops(scale):
    """Loops nested 500*scale deep with eight locals live throughout, each
    level updating one and branching back: liveness that iterates to a
    fixed point over the nest would be quadratic here."""
    n = 500 * scale
    code = bytearray()
    for i in range(n):
        code += bytes([LOOP, 0x40]) + op(LOCAL_GET, 1 + i % 8) + const(i) + bytes([I32_ADD])
        code += op(LOCAL_SET, 1 + i % 8)
    for i in reversed(range(n)):
        code += op(LOCAL_GET, 1 + (i + 3) % 8) + op(LOCAL_GET, 0) + bytes([I32_LT_U])
        code += op(BR_IF, 0) + bytes([END])
    code += const(0)
    for k in range(8):
        code += op(LOCAL_GET, 1 + k) + bytes([I32_ADD])
    return module([functype([I32], [I32])], [0], [body([(8, I32)], bytes(code))])


def many_locals(scale):
    """4000*scale locals of three types, each written 8 times in a
    scattered order and read back, with a branch every 16 writes so merges
    see many of them at once."""
    n = 4000 * scale
    groups = [(n // 3, I32), (n // 3, I64), (n - 2 * (n // 3), F64)]
    kinds = [I32] * (n // 3) + [I64] * (n // 3) + [F64] * (n - 2 * (n // 3))
    code = bytearray(bytes([BLOCK, 0x40]))
    conv = {I32: b"", I64: bytes([I64_EXTEND_I32_U]), F64: bytes([F64_CONVERT_I32_S])}
    for rep in range(8):
        for i in range(n):
            x = 1 + (i * 31 + rep) % n
            code += op(LOCAL_GET, 0) + const(i) + bytes([I32_ADD]) + conv[kinds[x - 1]]
            code += op(LOCAL_SET, x)
            if i % 16 == 15:
                code += op(LOCAL_GET, 0) + op(BR_IF, 0)
    code += bytes([END])
    code += const(0)
    for i in range(0, n, 97):
        back = {I32: b"", I64: bytes([I32_WRAP_I64]), F64: I32_TRUNC_SAT_F64_S}
        code += op(LOCAL_GET, 1 + i) + back[kinds[i]] + bytes([I32_ADD])
    return module([functype([I32], [I32])], [0], [body(groups, bytes(code))])


def straight(scale):
    """One function of 400000*scale instructions without branches:
    arithmetic on a few locals, loads and stores."""
    n = 20000 * scale
    code = bytearray()
    for i in range(n):
        a, b = 1 + i % 5, 1 + (i * 3) % 5
        code += op(LOCAL_GET, a) + op(LOCAL_GET, b) + bytes([(I32_ADD, I32_MUL, I32_XOR)[i % 3]])
        code += const(i & 0xFFFF) + bytes([I32_AND])
        code += op(LOCAL_TEE, b) + op(LOCAL_GET, 0) + bytes([I32_SHL])
        code += op(LOCAL_GET, 0) + op(I32_LOAD, 2, i % 1024) + bytes([I32_SUB])
        code += op(LOCAL_SET, a)
        code += op(LOCAL_GET, 0) + op(LOCAL_GET, a) + op(I32_STORE, 2, (i * 4) % 4096)
    code += op(LOCAL_GET, 1)
    return module([functype([I32], [I32])], [0], [body([(5, I32)], bytes(code))], memory=True)


def small_funcs(scale):
    """20000*scale small functions, each calling the next two."""
    n = 20000 * scale
    bodies = []
    for i in range(n):
        code = op(LOCAL_GET, 0) + const(1) + bytes([I32_LT_U])
        code += bytes([IF, I32]) + op(LOCAL_GET, 0) + bytes([ELSE])
        code += op(LOCAL_GET, 0) + const(1) + bytes([I32_SUB])
        code += op(CALL, (i + 1) % n) + op(LOCAL_GET, 0) + op(CALL, (i + 2) % n)
        code += bytes([I32_ADD, END])
        bodies.append(body([], code))
    return module([functype([I32], [I32])], [0] * n, bodies)


SHAPES = {
    "nesting": nesting,
    "br_table": br_table,
    "br_targets": br_targets,
    "loops": loops,
    "locals": many_locals,
    "straight": straight,
    "functions": small_funcs,
}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in SHAPES:
        sys.stderr.write("usage: pathological.py %s SCALE OUT.wasm\n" % "|".join(SHAPES))
        return 2
    data = SHAPES[sys.argv[1]](int(sys.argv[2]))
    with open(sys.argv[3], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
