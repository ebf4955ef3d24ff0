// Times V8 alone on one module, in-process (node's start-up and the file
// read are not counted):
//   node [V8 flags] bench/v8-compile.mjs validate|compile FILE.wasm
// `validate` is WebAssembly.validate (every function body checked);
// `compile` is new WebAssembly.Module, which with --no-wasm-lazy-compilation
// --single-threaded compiles every function on this thread before returning.
// Prints the seconds taken: wall clock, then CPU (user + system, all threads).
import { readFileSync } from 'node:fs';

const [mode, file] = process.argv.slice(2);
if (!file || (mode !== 'validate' && mode !== 'compile')) {
  console.error('usage: node v8-compile.mjs validate|compile FILE.wasm');
  process.exit(2);
}
const bytes = readFileSync(file);
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
if (mode === 'compile') {
  new WebAssembly.Module(bytes);
} else if (!WebAssembly.validate(bytes)) {
  console.error(`${file}: invalid module`);
  process.exit(1);
}
const wall = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuStart);
console.log(`${wall.toFixed(6)} ${((cpu.user + cpu.system) / 1e6).toFixed(6)}`);
