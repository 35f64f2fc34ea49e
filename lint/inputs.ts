/** I/O: command-line paths -> file texts. Directories are walked for *.yaml, *.yml and *.json. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { InputProblem } from './format';

export interface Source {
  path: string;
  text: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const STDIN_PATH = '<stdin>';

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Files below a directory, sorted; hidden folders (.git) and node_modules are not entered. */
async function walk(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && entry.name !== 'node_modules') files.push(...(await walk(full)));
    } else if (MANIFEST_FILE.test(entry.name)) {
      files.push(full);
    }
  }
  return files;
}

function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'cannot read: no such file or directory';
  if (code === 'EACCES') return 'cannot read: permission denied';
  return `cannot read: ${err instanceof Error ? err.message : String(err)}`;
}

export async function readSources(
  args: string[],
  stdin: NodeJS.ReadableStream,
): Promise<{ sources: Source[]; problems: InputProblem[] }> {
  const sources: Source[] = [];
  const problems: InputProblem[] = [];
  for (const arg of args) {
    try {
      if (arg === '-') {
        sources.push({ path: STDIN_PATH, text: await readStream(stdin) });
        continue;
      }
      const stat = await fs.stat(arg);
      const files = stat.isDirectory() ? await walk(arg) : [arg];
      for (const file of files) sources.push({ path: file, text: await fs.readFile(file, 'utf8') });
    } catch (err) {
      problems.push({ path: arg === '-' ? STDIN_PATH : arg, message: describeError(err) });
    }
  }
  return { sources, problems };
}
