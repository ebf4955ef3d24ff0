// Runs a wasm32-wasi program under node's WASI:
//   node [V8 flags] bench/node-wasi.mjs PROGRAM.wasm [ARGS...]
// The program's stdout and stderr are node's; node exits with the program's
// status. The time measured around this includes node's start-up and V8's
// compilation of the module, as `trident run` includes Trident's.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node node-wasi.mjs PROGRAM.wasm [ARGS...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
