// The peer runner: runs a wasm32-wasi command under node:wasi with the
// same options as `trident run`, so outputs can be compared.
//   node --no-warnings tests/wasi/node_run.mjs [--dir H[::G]] [--env K=V] FILE.wasm [ARGS...]
// Exits with the program's status.
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift();
  const val = argv.shift();
  if (opt === '--dir') {
    const [host, guest] = val.split('::');
    preopens[guest ?? host] = host;
  } else if (opt === '--env') {
    const eq = val.indexOf('=');
    env[val.slice(0, eq)] = val.slice(eq + 1);
  } else {
    console.error(`node_run: unknown option ${opt}`);
    process.exit(2);
  }
}
const [file, ...args] = argv;
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
