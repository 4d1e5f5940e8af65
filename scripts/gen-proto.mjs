// Generates the wire module from proto/darkroom.proto: ESM code into dist/proto/darkroom.js and its
// types into proto/darkroom.d.ts, so TypeScript sources import '../proto/darkroom.js'.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const cli = dirname(require.resolve('protobufjs-cli/package.json'));
const root = join(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, 'dist/proto/darkroom.js');
mkdirSync(dirname(out), { recursive: true });

const run = (bin, args) => execFileSync(process.execPath, [join(cli, 'bin', bin), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });

run('pbjs', ['-t', 'static-module', '-w', 'es6', '--no-verify', '--force-number', '-o', out, 'proto/darkroom.proto']);
// Node's ESM loader needs the file extension, and protobufjs/minimal is CommonJS.
const code = readFileSync(out, 'utf8').replace(
  /import \* as \$protobuf from "protobufjs\/minimal";/,
  'import $protobuf from "protobufjs/minimal.js";',
);
writeFileSync(out, code);
run('pbts', ['--no-comments', '-o', join(root, 'proto/darkroom.d.ts'), out]);
