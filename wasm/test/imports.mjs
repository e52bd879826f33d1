// Prints the JS files an ES module loads, itself first, following its static relative imports
// and re-exports (`import … from './x.js'`, `export … from './x.js'`, `import './x.js'`): what a
// browser downloads for one entry of the package (test-web.sh sums their sizes). Exits 1 when an
// imported file is missing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const entry = process.argv[2];
if (entry === undefined) {
  console.error('usage: node imports.mjs <entry.js>');
  process.exit(2);
}
const seen = new Set();
const queue = [resolve(entry)];
while (queue.length > 0) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  if (!existsSync(file)) {
    console.error(`imported but missing: ${file}`);
    process.exit(1);
  }
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/\b(?:import|export)\s*(?:[\w*${}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g)) {
    queue.push(resolve(dirname(file), match[1]));
  }
}
for (const file of seen) console.log(relative(process.cwd(), file));
