// Writes libs/contracts/CATALOGUE.md from the built contracts (run through `npm run catalogue`).
import { writeFile } from 'node:fs/promises';
import { renderCatalogueMarkdown } from '@lnfleet/contracts';

const target = new URL('../libs/contracts/CATALOGUE.md', import.meta.url);
await writeFile(target, renderCatalogueMarkdown());
console.log(`wrote ${target.pathname}`);
