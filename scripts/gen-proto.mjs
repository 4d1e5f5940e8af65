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
// 64-bit fields decode to plain numbers (milliseconds and byte counts stay far below 2^53), not
// Long objects.
const importLine = 'import $protobuf from "protobufjs/minimal.js";';
const generated = readFileSync(out, 'utf8');
if (!generated.includes(importLine)) throw new Error(`gen-proto: pbjs output no longer starts with ${importLine}`);
const code = generated.replace(importLine, `${importLine}\n$protobuf.util.Long = undefined;\n$protobuf.configure();`);
writeFileSync(out, code);
run('pbts', ['--no-comments', '-o', join(root, 'proto/darkroom.d.ts'), out]);
