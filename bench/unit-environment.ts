// The environment a systemd unit gives its service: every `Environment=` assignment of the unit
// file, so the agent bench starts the daemon exactly as examples/darkroom-agent.service does.
import { readFile } from 'node:fs/promises';

/** Splits a value into systemd's words: whitespace separates them, double quotes group them. */
function words(value: string, where: string): string[] {
  const found: string[] = [];
  const pattern = /\s*(?:"([^"]*)"|([^\s"]+))/y;
  let end = 0;
  for (let match = pattern.exec(value); match !== null; match = pattern.exec(value)) {
    found.push(match[1] ?? match[2]!);
    end = pattern.lastIndex;
  }
  if (value.slice(end).trim() !== '') throw new Error(`Cannot read ${where}: unbalanced double quote in ${JSON.stringify(value)}`);
  return found;
}

/** The variables set by the `Environment=` lines of unit text; a later assignment wins. */
export function unitEnvironment(text: string, file = 'the unit'): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((line, index) => {
    const assignment = /^\s*Environment\s*=(.*)$/.exec(line);
    if (!assignment) return;
    const where = `${file}:${index + 1}`;
    for (const word of words(assignment[1]!.trim(), where)) {
      const equals = word.indexOf('=');
      if (equals <= 0) throw new Error(`Cannot read ${where}: expected NAME=value, got ${JSON.stringify(word)}`);
      env[word.slice(0, equals)] = word.slice(equals + 1);
    }
  });
  return env;
}

export async function readUnitEnvironment(file: string): Promise<Record<string, string>> {
  return unitEnvironment(await readFile(file, 'utf8'), file);
}
