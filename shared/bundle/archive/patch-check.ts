// Checks, line by line as a patch streams past, that no diff header in it writes outside the tree,
// into .git, or creates a symlink (THREAT-MODEL item 15; docs/sealed-bundle.md "Bundle payload").
import { BundleError } from '../errors.js';
import { hasControl } from '../limits.js';

/** Path lines are checked in full; a longer path line is refused rather than checked in part. */
const MAX_CHECKED_LINE = 8192;
const NEWLINE = 0x0a;
const PATH_PREFIXES = ['--- ', '+++ ', 'rename from ', 'rename to ', 'copy from ', 'copy to '] as const;
const MODE_PREFIXES = ['new file mode ', 'new mode '] as const;
const DIFF_GIT = 'diff --git ';
const REGULAR_MODES = new Set(['100644', '100755', '100664']);
const SYMLINK_MODE = '120000';

/** Why `path` could leave the tree or touch .git, or null if it cannot. */
export function pathProblem(path: string): string | null {
  if (path === '') return 'is empty';
  if (path.startsWith('"')) return 'is quoted (special characters), which is refused rather than unquoted';
  if (path.startsWith('/')) return 'is absolute';
  if (path.includes('\\')) return 'contains a backslash';
  if (hasControl(path)) return 'contains a control character';
  for (const component of path.split('/')) {
    if (component === '..') return "has a '..' component and would escape the tree";
    if (component === '' || component === '.') return 'has an empty or \'.\' component';
    if (component.toLowerCase() === '.git') return 'writes inside .git';
  }
  return null;
}

const [DASH, PLUS, LOWER_C, LOWER_D, LOWER_N, LOWER_R] = ['-', '+', 'c', 'd', 'n', 'r'].map((c) => c.charCodeAt(0));

/** False only for lines that cannot start with any checked prefix (the bulk of a diff's body). */
function mayBeHeader(buffer: Buffer, start: number, end: number): boolean {
  const first = buffer[start];
  if (first === DASH || first === PLUS) return end - start >= 3 && buffer[start + 1] === first && buffer[start + 2] === first;
  return first === LOWER_D || first === LOWER_N || first === LOWER_R || first === LOWER_C;
}

export class PatchScanner {
  readonly #entry: string;
  #line = 1;
  #head: Buffer[] = [];
  #headBytes = 0;
  #overlong = false;

  /** `entry` names the patch in error messages. */
  constructor(entry: string) {
    this.#entry = entry;
  }

  push(bytes: Uint8Array): void {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let start = 0;
    if (this.#headBytes > 0 || this.#overlong) {
      // The line the previous chunk ended in continues here.
      const newline = buffer.indexOf(NEWLINE);
      this.#keep(buffer.subarray(0, newline === -1 ? buffer.length : newline));
      if (newline === -1) return;
      this.#finishLine();
      start = newline + 1;
    }
    while (start < buffer.length) {
      const newline = buffer.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.#keep(buffer.subarray(start));
        return;
      }
      // Fast path: most lines of a diff cannot be a header line; only candidates are decoded.
      if (mayBeHeader(buffer, start, newline)) {
        this.#keep(buffer.subarray(start, newline));
        this.#finishLine();
      } else {
        this.#line += 1;
      }
      start = newline + 1;
    }
  }

  end(): void {
    if (this.#headBytes > 0 || this.#overlong) this.#finishLine();
  }

  #keep(part: Buffer): void {
    const room = MAX_CHECKED_LINE - this.#headBytes;
    if (part.length > room) this.#overlong = true;
    const kept = part.subarray(0, Math.max(0, room));
    if (kept.length > 0) {
      this.#head.push(Buffer.from(kept));
      this.#headBytes += kept.length;
    }
  }

  #finishLine(): void {
    const raw = Buffer.concat(this.#head, this.#headBytes).toString('utf8');
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    this.#checkLine(line, this.#overlong);
    this.#head = [];
    this.#headBytes = 0;
    this.#overlong = false;
    this.#line += 1;
  }

  #refuse(code: 'PATH_ESCAPE' | 'SYMLINK' | 'UNSAFE_MODE', line: string, why: string): never {
    const shown = line.length > 120 ? `${line.slice(0, 117)}...` : line;
    throw new BundleError(code, `Patch ${this.#entry} line ${this.#line} ('${shown}') ${why}: the series is refused; regenerate it with 'git format-patch' from a clean tree`);
  }

  #checkLine(line: string, overlong: boolean): void {
    const isDiffGit = line.startsWith(DIFF_GIT);
    const pathPrefix = PATH_PREFIXES.find((prefix) => line.startsWith(prefix));
    const modePrefix = MODE_PREFIXES.find((prefix) => line.startsWith(prefix));
    if (!isDiffGit && !pathPrefix && !modePrefix) return;
    if (overlong) this.#refuse('PATH_ESCAPE', line, `is a diff header longer than ${MAX_CHECKED_LINE} bytes, too long to check`);
    if (isDiffGit) {
      const match = /^a\/(\S+) b\/(\S+)$/.exec(line.slice(DIFF_GIT.length));
      if (!match) this.#refuse('PATH_ESCAPE', line, "is not of the form 'diff --git a/PATH b/PATH' (paths with spaces, quotes or other prefixes are refused)");
      for (const path of [match[1]!, match[2]!]) this.#checkPath(line, path);
    } else if (pathPrefix) {
      const path = line.slice(pathPrefix.length).split('\t')[0]!;
      if (pathPrefix.length === 4 && path === '/dev/null') return;
      this.#checkPath(line, path);
    } else if (modePrefix) {
      const mode = line.slice(modePrefix.length).trim();
      if (mode === SYMLINK_MODE) this.#refuse('SYMLINK', line, 'creates a symbolic link, which could point outside the tree');
      if (!REGULAR_MODES.has(mode)) this.#refuse('UNSAFE_MODE', line, `sets mode ${mode}; only regular files (100644, 100755) are allowed`);
    }
  }

  #checkPath(line: string, path: string): void {
    const problem = pathProblem(path);
    if (problem) this.#refuse('PATH_ESCAPE', line, `targets '${path}', which ${problem}`);
  }
}
