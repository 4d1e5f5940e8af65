// Test case names as KCIDB paths: segments of [A-Za-z0-9_-] joined by dots.

/** One path segment: runs of other characters become '_', so a name cannot add path levels. */
export function segment(text: string): string {
  const cleaned = text.trim().replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return cleaned === '' ? 'unnamed' : cleaned;
}

export function joinPath(...segments: string[]): string {
  return segments.filter((part) => part !== '').join('.');
}
