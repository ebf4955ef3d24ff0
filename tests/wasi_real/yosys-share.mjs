// Writes the file tree YoWASP's yosys expects at /share to a host directory:
//   node yosys-share.mjs PACKAGE/gen/resources-yosys.js OUT
// The package keeps it as a JS object (`filesystem.share`) whose leaves are
// file contents or URLs of files shipped beside it.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [resources, out] = process.argv.slice(2);
const { filesystem } = await import(pathToFileURL(resolve(resources)).href);

function put(dir, tree) {
  mkdirSync(dir, { recursive: true });
  for (const [name, leaf] of Object.entries(tree)) {
    const path = join(dir, name);
    if (typeof leaf === 'string' || leaf instanceof Uint8Array) writeFileSync(path, leaf);
    else if (leaf instanceof URL) copyFileSync(fileURLToPath(leaf), path);
    else put(path, leaf);
  }
}
put(out, filesystem.share);
