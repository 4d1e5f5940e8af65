// Generates the wire module from proto/darkroom.proto: ESM code into dist/proto/darkroom.js and its
// types into proto/darkroom.d.ts, so TypeScript sources import '../proto/darkroom.js'.
// The module every process loads is generated without JSDoc comments, which are 40% of its text
// and stay in each process's heap as long as the module does; pbts reads the types from a
// commented copy of the same code, generated into a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const cli = dirname(require.resolve('protobufjs-cli/package.json'));
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, 'dist/proto/darkroom.js');
mkdirSync(dirname(out), { recursive: true });

const run = (bin, args) => execFileSync(process.execPath, [join(cli, 'bin', bin), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });

const PBJS_ARGS = ['-t', 'static-module', '-w', 'es6', '--no-verify', '--force-number', 'proto/darkroom.proto'];
// 64-bit fields decode to plain numbers (milliseconds and byte counts stay far below 2^53), not
// Long objects.
const importLine = 'import $protobuf from "protobufjs/minimal.js";';

/** pbjs output with `extra` arguments, with Long turned off, written to `path`. */
function generate(path, extra) {
  run('pbjs', [...PBJS_ARGS, ...extra, '-o', path]);
  const generated = readFileSync(path, 'utf8');
  if (!generated.includes(importLine)) throw new Error(`gen-proto: pbjs output no longer starts with ${importLine}`);
  writeFileSync(path, generated.replace(importLine, `${importLine}\n$protobuf.util.Long = undefined;\n$protobuf.configure();`));
}

generate(out, ['--no-comments']);
const scratch = mkdtempSync(join(tmpdir(), 'darkroom-gen-proto-'));
try {
  const commented = join(scratch, 'darkroom.js');
  generate(commented, []);
  run('pbts', ['--no-comments', '-o', join(root, 'proto/darkroom.d.ts'), commented]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
