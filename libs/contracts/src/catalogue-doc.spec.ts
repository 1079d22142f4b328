import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Catalogue } from './catalogue.js';
import { renderCatalogueMarkdown } from './catalogue-doc.js';

const cataloguePath = fileURLToPath(new URL('../CATALOGUE.md', import.meta.url));

describe('CATALOGUE.md', () => {
  it('is current with the schemas (regenerate with `npm run catalogue`)', async () => {
    const checkedIn = await readFile(cataloguePath, 'utf8');
    expect(checkedIn).toBe(renderCatalogueMarkdown());
  });

  it('documents every catalogued message and its data fields', () => {
    const markdown = renderCatalogueMarkdown();
    for (const definition of Catalogue) {
      expect(markdown).toContain(`### ${definition.type}\n`);
    }
    expect(markdown).toContain('| `channelPoint` |');
    expect(markdown).toContain('`COOPERATIVE_CLOSE` \\| `LOCAL_FORCE_CLOSE`');
  });
});
