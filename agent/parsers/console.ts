// Output read from a serial console or dmesg carries a printk prefix on every line; drop it.

/**
 * `[    1.234567] `, optionally followed by a caller id (`[    T1] `, CONFIG_PRINTK_CALLER), and a
 * leading syslog level `<6>`. Only the one space after the prefix goes: indentation stays.
 */
const PRINTK_PREFIX = /^(?:<\d+>)?\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])? ?/;

export function stripConsolePrefix(line: string): string {
  return line.replace(PRINTK_PREFIX, '');
}

export function consoleLines(text: string): string[] {
  return text.split(/\r?\n/).map(stripConsolePrefix);
}
