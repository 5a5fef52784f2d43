import { Ajv } from 'ajv';
import { Type } from '@sinclair/typebox';
import { compileValidator, type Problem } from '../validation.ts';

/**
 * Checks an OpenAPI 3.0 document the way a client generator would read it, for the tests of every
 * server on the shared HTTP base (shared/http): the document's structure (required fields of the
 * OpenAPI 3.0.3 objects used: info, paths, operations, parameters, request bodies, responses),
 * that every schema in it compiles as a JSON Schema, that every local $ref resolves, that path
 * templates and path parameters agree, that operationIds are unique — and that every route the
 * server registered is in the document. Returns the problems, each with its JSON pointer; [] is
 * a valid document.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const ParameterSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  in: Type.Union([Type.Literal('query'), Type.Literal('header'), Type.Literal('path'), Type.Literal('cookie')]),
  required: Type.Optional(Type.Boolean()),
  schema: Type.Optional(Type.Object({})),
  description: Type.Optional(Type.String()),
});
const MediaTypes = Type.Record(Type.String(), Type.Object({ schema: Type.Optional(Type.Object({})) }));
const OperationSchema = Type.Object({
  responses: Type.Record(
    Type.String({ pattern: '^([1-5](\\d\\d|XX)|default)$' }),
    Type.Object({ description: Type.String(), content: Type.Optional(MediaTypes) }),
    { minProperties: 1 },
  ),
  parameters: Type.Optional(Type.Array(ParameterSchema)),
  requestBody: Type.Optional(Type.Object({ content: MediaTypes, required: Type.Optional(Type.Boolean()) })),
  operationId: Type.Optional(Type.String({ minLength: 1 })),
  summary: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
});
const DocumentSchema = Type.Object({
  openapi: Type.String({ pattern: '^3\\.0\\.\\d+$' }),
  info: Type.Object({ title: Type.String({ minLength: 1 }), version: Type.String({ minLength: 1 }) }),
  paths: Type.Record(Type.String({ pattern: '^/' }), Type.Object({})),
  components: Type.Optional(Type.Object({ schemas: Type.Optional(Type.Record(Type.String(), Type.Object({}))) })),
});

const validateDocument = compileValidator<{ paths: Record<string, Record<string, unknown>> }>(DocumentSchema);
const validateOperation = compileValidator<{
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  operationId?: string;
}>(OperationSchema);

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function resolvePointer(root: unknown, ref: string): unknown {
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Every "$ref" and every object under a "schema" key, with its pointer. */
function walk(
  node: unknown,
  pointer: string,
  visit: { ref: (ref: string, at: string) => void; schema: (schema: unknown, at: string) => void },
): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach((child, i) => walk(child, `${pointer}/${i}`, visit));
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    const at = `${pointer}/${escape(key)}`;
    if (key === '$ref' && typeof value === 'string') visit.ref(value, at);
    if (key === 'schema' && value !== null && typeof value === 'object') visit.schema(value, at);
    walk(value, at, visit);
  }
}

/** OpenAPI's own keywords inside schemas that Ajv does not know (it knows nullable and deprecated). */
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];

export function checkOpenApiDocument(
  document: unknown,
  routes: ReadonlyArray<{ method: string; url: string }> = [],
): Problem[] {
  const structural = validateDocument(document);
  if (!structural.ok) return structural.problems;
  const problems: Problem[] = [];
  const paths = structural.value.paths;
  const operationIds = new Map<string, string>();
  for (const [path, item] of Object.entries(paths)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const at = `/paths/${escape(path)}/${method}`;
      const checked = validateOperation(operation);
      if (!checked.ok) {
        problems.push(...checked.problems.map((p) => ({ path: `${at}${p.path}`, message: p.message })));
        continue;
      }
      const declared = (checked.value.parameters ?? []).filter((p) => p.in === 'path');
      for (const name of templated) {
        const parameter = declared.find((p) => p.name === name);
        if (parameter === undefined)
          problems.push({ path: `${at}/parameters`, message: `has no path parameter "${name}" for ${path}` });
        else if (parameter.required !== true)
          problems.push({ path: `${at}/parameters`, message: `path parameter "${name}" is not required: true` });
      }
      for (const parameter of declared) {
        if (!templated.includes(parameter.name))
          problems.push({
            path: `${at}/parameters`,
            message: `declares path parameter "${parameter.name}" not in ${path}`,
          });
      }
      const id = checked.value.operationId;
      if (id !== undefined) {
        const first = operationIds.get(id);
        if (first !== undefined)
          problems.push({ path: `${at}/operationId`, message: `is "${id}" again, first used at ${first}` });
        operationIds.set(id, at);
      }
    }
  }
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true });
  for (const keyword of OPENAPI_KEYWORDS) ajv.addKeyword(keyword);
  walk(document, '', {
    ref(ref, at) {
      if (!ref.startsWith('#/'))
        problems.push({ path: at, message: `is "${ref}", expected a local reference "#/..."` });
      else if (resolvePointer(document, ref) === undefined)
        problems.push({ path: at, message: `is "${ref}", which does not resolve in the document` });
    },
    schema(schema, at) {
      if (JSON.stringify(schema).includes('"$ref"')) return; // resolved refs are checked on their own
      try {
        ajv.compile(schema as object);
      } catch (error) {
        problems.push({ path: at, message: `is not a valid JSON Schema: ${(error as Error).message}` });
      }
    },
  });
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const method = route.method.toLowerCase();
    if (paths[path]?.[method] === undefined)
      problems.push({
        path: `/paths/${escape(path)}`,
        message: `has no "${method}": the route ${route.method} ${route.url} is undocumented`,
      });
  }
  return problems;
}
