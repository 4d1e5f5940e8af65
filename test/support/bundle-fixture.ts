// Parties, patches and temp directories shared by the sealed-bundle tests.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { generateIdentity, type Identity } from '../../shared/identity.js';
import type { ParsedHeader } from '../../shared/bundle/index.js';

export interface Parties {
  maintainer: Identity;
  otherMaintainer: Identity;
  agentA: Identity;
  agentB: Identity;
}

export const makeParties = (): Parties => ({
  maintainer: generateIdentity(),
  otherMaintainer: generateIdentity(),
  agentA: generateIdentity(),
  agentB: generateIdentity(),
});

export const SECRET_LINE = '+\tif (len >= sizeof(buf)) /* CVE-embargoed-fix */';

/** A realistic one-hunk patch whose added line is the "secret" the tests grep for. */
export function smallPatch(subject = 'fix an off-by-one in ring_put'): Uint8Array {
  return Buffer.from(`From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001
From: Maintainer <m@example.org>
Date: Mon, 2 Nov 2026 10:00:00 +0000
Subject: [PATCH] ring: ${subject}

Signed-off-by: Maintainer <m@example.org>
---
 lib/ring.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/lib/ring.c b/lib/ring.c
index 0123456..789abcd 100644
--- a/lib/ring.c
+++ b/lib/ring.c
@@ -10,7 +10,7 @@ int ring_put(struct ring *r, char c)
 {
-\tif (len > sizeof(buf))
${SECRET_LINE}
 \t\treturn -1;
 }
-- 
2.39.5
`);
}

/** A patch adding a generated file, `lines` lines long: makes payloads of several chunks. */
export function bigPatch(lines: number): Uint8Array {
  const body = Array.from({ length: lines }, (_, i) => `+table entry ${i.toString().padStart(6, '0')} ${'x'.repeat(40)}`).join('\n');
  return Buffer.from(`From 2222222222222222222222222222222222222222 Mon Sep 17 00:00:00 2001
Subject: [PATCH] add a table

diff --git a/data/table.txt b/data/table.txt
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/data/table.txt
@@ -0,0 +1,${lines} @@
${body}
`);
}

export async function tempDir(t: TestContext, prefix = 'dr-bundle-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Trusts exactly the given signers' keys. */
export const trustOnly = (...signers: Identity[]) => (parsed: ParsedHeader) =>
  signers.some((s) => Buffer.from(s.signKey).equals(Buffer.from(parsed.signerKey)));

/** Every file below `dir`, recursively (to show that nothing was written). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
