import { describe, expect, it } from 'vitest';
import { breakingChanges } from '../../modules/cross-repo/breaking.ts';

/** A trimmed copy of a real-world style OpenAPI 3.0 document (the classic pet store). */
const PETSTORE = `openapi: 3.0.3
info:
  title: Swagger Petstore
  version: 1.0.0
paths:
  /pets:
    get:
      summary: List all pets
      operationId: listPets
      parameters:
        - name: limit
          in: query
          required: false
          schema:
            type: integer
            format: int32
      responses:
        '200':
          description: A paged array of pets
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pets'
        default:
          description: unexpected error
    post:
      summary: Create a pet
      operationId: createPets
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Pet'
      responses:
        '201':
          description: Null response
  /pets/{petId}:
    get:
      operationId: showPetById
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: Expected response to a valid request
        '404':
          description: Not found
components:
  schemas:
    Pet:
      type: object
      required:
        - id
        - name
      properties:
        id:
          type: integer
          format: int64
        name:
          type: string
        status:
          type: string
          enum: [available, pending, sold]
        tag:
          type: string
    Pets:
      type: array
      items:
        $ref: '#/components/schemas/Pet'
`;

const edit = (from: string, to: string) => {
  expect(PETSTORE).toContain(from);
  return PETSTORE.replace(from, to);
};

describe('breaking-change diff on OpenAPI 3.x', () => {
  it('finds nothing in additive changes (new path, new optional property, new response, new enum value)', () => {
    let head = edit('        tag:\n          type: string\n', '        tag:\n          type: string\n        nickname:\n          type: string\n');
    head = head.replace("        '404':\n          description: Not found\n", "        '404':\n          description: Not found\n        '410':\n          description: Gone\n");
    head = head.replace('enum: [available, pending, sold]', 'enum: [available, pending, sold, reserved]');
    head = head.replace('components:\n', '  /stores:\n    get:\n      responses:\n        \'200\':\n          description: ok\ncomponents:\n');
    expect(breakingChanges(PETSTORE, head)).toEqual([]);
  });

  it.each([
    ['a removed path', () => edit("  /pets/{petId}:\n    get:\n      operationId: showPetById\n      parameters:\n        - name: petId\n          in: path\n          required: true\n          schema:\n            type: string\n      responses:\n        '200':\n          description: Expected response to a valid request\n        '404':\n          description: Not found\n", ''), 'path /pets/{petId} removed', /^paths:$/],
    ['a removed operation', () => edit("    post:\n      summary: Create a pet\n      operationId: createPets\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/Pet'\n      responses:\n        '201':\n          description: Null response\n", ''), 'operation POST /pets removed', /^\/pets:$/],
    ['a removed response code', () => edit("        '404':\n          description: Not found\n", ''), 'response 404 of GET /pets/{petId} removed', /^responses:$/],
    ['a removed property', () => edit('        tag:\n          type: string\n', ''), 'property "tag" removed', /^properties:$/],
    ['a newly required property', () => edit('        - id\n        - name\n', '        - id\n        - name\n        - status\n'), 'property "status" is newly required', /^required:$/],
    ['a narrowed type', () => edit('        name:\n          type: string\n', '        name:\n          type: integer\n'), 'type narrowed: string -> integer', /^type: integer$/],
    ['a narrowed enum', () => edit('enum: [available, pending, sold]', 'enum: [available, sold]'), 'enum narrowed: "pending" removed', /^enum: \[available, sold\]$/],
    ['a newly required parameter', () => edit('          required: false\n', '          required: true\n'), 'parameter query limit is newly required', /^parameters:$/],
  ])('flags %s at its line in the new version', (_, make, message, line) => {
    const head = make();
    const changes = breakingChanges(PETSTORE, head);
    expect(changes).toEqual([expect.objectContaining({ message })]);
    const found = (changes as Array<{ line: number }>)[0]!.line;
    expect(head.split('\n')[found - 1]!.trim()).toMatch(line);
  });

  it('reads JSON as well as YAML, and says when a version does not parse', () => {
    const base = JSON.stringify({ openapi: '3.1.0', paths: { '/a': { get: { responses: { '200': { description: 'ok' } } } } } }, null, 2);
    const head = JSON.stringify({ openapi: '3.1.0', paths: {} }, null, 2);
    expect(breakingChanges(base, head)).toEqual([{ pointer: '/paths', message: 'path /a removed', line: 3 }]);
    expect(breakingChanges(base, '{ not: [valid')).toEqual({ error: 'the new version does not parse as YAML or JSON' });
  });
});

describe('breaking-change diff on JSON Schema', () => {
  const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['id'], properties: { id: { type: 'string' }, amount: { type: 'number' }, currency: { type: 'string', enum: ['EUR', 'USD'] }, lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } } } };
  const text = (value: unknown) => JSON.stringify(value, null, 2);
  it('finds removed and newly required fields, narrowed types and enums, also nested in arrays', () => {
    const head = structuredClone(schema) as any;
    delete head.properties.lines.items.properties.sku;
    head.required.push('currency');
    head.properties.amount.type = 'integer';
    head.properties.currency.enum = ['EUR'];
    const messages = (breakingChanges(text(schema), text(head)) as Array<{ message: string }>).map((c) => c.message).sort();
    expect(messages).toEqual(['enum narrowed: "USD" removed', 'property "currency" is newly required', 'property "sku" removed', 'type narrowed: number -> integer']);
  });

  it('widening is not breaking', () => {
    const head = structuredClone(schema) as any;
    head.properties.amount.type = ['number', 'string'];
    head.properties.note = { type: 'string' };
    head.required = [];
    expect(breakingChanges(text(schema), text(head))).toEqual([]);
  });
});
