// CPU seconds (user + system, all threads) V8 takes to compile one module:
//   node [V8 flags] bench/gen/v8_compile_cpu.mjs FILE.wasm
// With --no-wasm-lazy-compilation --single-threaded every function is
// compiled on this thread inside the constructor. CPU time, not wall
// clock, so other load on the machine matters less.
import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.argv[2]);
const before = process.cpuUsage();
new WebAssembly.Module(bytes);
const used = process.cpuUsage(before);
console.log(((used.user + used.system) / 1e6).toFixed(6));
