import fs from "node:fs";
import path from "node:path";

export interface InputFile {
  /** Name inside the bundle (relative path for files found in folders) */
  name: string;
  absPath: string;
  size: number;
}

/**
 * Expands CLI paths: a file is one upload named by its base name; a folder contributes every
 * regular file below it, named `<folder>/<relative path>` (as a browser folder drop would).
 * Symbolic links are not followed (a bundle never contains links).
 */
export function collectInputs(paths: string[]): InputFile[] {
  const out: InputFile[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    const st = fs.lstatSync(abs);
    if (st.isFile()) out.push({ name: path.basename(abs), absPath: abs, size: st.size });
    else if (st.isDirectory()) walk(abs, path.basename(abs), out);
    else throw new Error(`${p}: not a regular file or folder`);
  }
  return out;
}

function walk(dir: string, prefix: string, out: InputFile[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(abs, `${prefix}/${entry.name}`, out);
    else if (entry.isFile()) out.push({ name: `${prefix}/${entry.name}`, absPath: abs, size: fs.statSync(abs).size });
  }
}
