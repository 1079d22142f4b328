import { z } from 'zod';
import { Catalogue } from './catalogue.js';
import { EnvelopeHeader, type MessageDefinition } from './envelope.js';
import { Topology } from './topology.js';

/**
 * renderCatalogueMarkdown renders the human-readable message catalogue (CATALOGUE.md) from the
 * schemas themselves, so the document cannot drift from the code: a test compares the checked-in
 * file with this output.
 */
export function renderCatalogueMarkdown(): string {
  const topology = new Topology();
  const exampleNode = '<nodeId>';
  const lines: string[] = [
    '# lnfleet message catalogue',
    '',
    '<!-- Generated from libs/contracts by `npm run catalogue`; do not edit by hand. -->',
    '',
    'Every message is UTF-8 JSON: an envelope whose `data` holds the type-specific fields.',
    'Amounts are satoshis (safe integers) unless the field name says msat (decimal strings).',
    'Node ids and peers are 33-byte compressed public keys in lowercase hex.',
    '',
    '## Envelope',
    '',
    ...fieldTable(jsonSchemaOf(EnvelopeHeader)),
    '| `data` | object | yes | the type-specific fields below |',
    '',
    '## Streams',
    '',
    '| stream | subjects | retention | max age | duplicate window | deny delete / purge |',
    '|---|---|---|---|---|---|',
    ...Object.values(topology.streams()).map(
      (spec) =>
        `| \`${spec.name}\` | ${spec.subjects.map((s) => `\`${s}\``).join(', ')} | ${spec.retention} | ${duration(spec.maxAgeMs)} | ${duration(spec.duplicateWindowMs)} | ${spec.denyDelete ? 'yes' : 'no'} / ${spec.denyPurge ? 'yes' : 'no'} |`,
    ),
    '',
    '## Messages',
    '',
    '| type | kind | version | subject |',
    '|---|---|---|---|',
    ...Catalogue.map((d) => `| [${d.type}](#${d.type.toLowerCase()}) | ${d.kind} | ${d.schemaVersion} | \`${subjectPattern(d, exampleNode)}\` |`),
    '',
  ];
  for (const definition of Catalogue as readonly MessageDefinition[]) {
    lines.push(
      `### ${definition.type}`,
      '',
      `${definition.kind === 'command' ? 'Command' : definition.derivedBy === undefined ? 'Event' : `Event derived by ${definition.derivedBy}`}, schema version ${definition.schemaVersion}. ${definition.description}`,
      '',
      ...fieldTable(jsonSchemaOf(definition.data)),
      '',
    );
  }
  return lines.join('\n');
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  pattern?: string;
  format?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
};

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function fieldTable(schema: JsonSchema): string[] {
  return ['| field | type | required | meaning |', '|---|---|---|---|', ...fieldRows(schema, '')];
}

function fieldRows(schema: JsonSchema, prefix: string): string[] {
  const rows: string[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    rows.push(`| \`${path}\` | ${typeOf(property)} | ${required.has(name) ? 'yes' : 'no'} | ${escape(property.description ?? '')} |`);
    const element = property.type === 'array' ? property.items : property;
    if (element?.properties !== undefined) {
      rows.push(...fieldRows(element, property.type === 'array' ? `${path}[].` : `${path}.`));
    }
  }
  return rows;
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf !== undefined) return schema.anyOf.map(typeOf).join(' \\| ');
  if (schema.enum !== undefined) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  if (schema.type === 'array') return `${schema.items === undefined ? 'unknown' : typeOf(schema.items)}[]`;
  const base = Array.isArray(schema.type) ? schema.type.join(' \\| ') : (schema.type ?? 'any');
  if (base === 'integer' && schema.minimum === 0) return 'integer ≥ 0';
  if (schema.format !== undefined) return `${base} (${schema.format})`;
  return base;
}

function subjectPattern(definition: MessageDefinition, node: string): string {
  if (definition.derivedBy !== undefined) return `lnfleet.drv.${definition.derivedBy}.${node}.${definition.type}`;
  const root = definition.kind === 'command' ? 'lnfleet.cmd' : 'lnfleet.evt';
  return `${root}.${node}.${definition.type}`;
}

function duration(ms: number): string {
  if (ms === 0) return 'forever';
  const hours = ms / 3_600_000;
  return hours >= 24 ? `${hours / 24} d` : `${hours} h`;
}

function escape(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
