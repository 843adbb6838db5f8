import { describe, expect, it } from 'vitest';
import { breakingChanges, diffContract, type ContractChange } from '../../modules/cross-repo/breaking.ts';
import { levelOf, RULES, SCHEMA_RULES } from '../../modules/cross-repo/rules.ts';

type Schema = Record<string, unknown>;

/** A one-operation OpenAPI 3.0 document: POST /orders/{id} with a body, parameters and a 200 response. */
function api(o: { request?: Schema; response?: Schema; params?: Schema[]; itemParams?: Schema[]; route?: string; extra?: Schema; op?: Schema; version?: string; responses?: Schema }) {
  const route = o.route ?? '/orders/{id}';
  const variable = /\{([^}]*)\}/.exec(route)?.[1] ?? 'id';
  return JSON.stringify(
    {
      openapi: o.version ?? '3.0.3',
      info: { title: 'orders', version: '1' },
      paths: {
        [route]: {
          parameters: [{ name: variable, in: 'path', required: true, schema: { type: 'string' } }, ...(o.itemParams ?? [])],
          post: {
            ...(o.params ? { parameters: o.params } : {}),
            ...(o.request ? { requestBody: { required: true, content: { 'application/json': { schema: o.request } } } } : {}),
            responses: o.responses ?? { '200': { description: 'ok', content: { 'application/json': { schema: o.response ?? { type: 'object' } } } } },
            ...o.op,
          },
        },
      },
      ...o.extra,
    },
    null,
    2,
  );
}

async function changes(base: string, head: string, options = {}): Promise<ContractChange[]> {
  const result = await diffContract(base, head, options);
  if (!Array.isArray(result)) throw new Error(`${result.side}:${result.line}: ${result.error}`);
  return result;
}
/** `level:id` of every change, sorted. */
const found = async (base: string, head: string, options = {}) => (await changes(base, head, options)).map((c) => `${c.level}:${c.id}`).sort();
const breaking = async (base: string, head: string) => (await found(base, head)).filter((x) => x.startsWith('breaking:'));

const obj = (properties: Schema, required: string[] = []) => ({ type: 'object', properties, ...(required.length ? { required } : {}) });

describe('direction: the same change in a request and in a response', () => {
  const cases: Array<[string, Schema, Schema, string[], string[]]> = [
    // name, base property schema, head property schema, breaking ids in a request, breaking ids in a response
    ['maxLength lowered', { type: 'string', maxLength: 10 }, { type: 'string', maxLength: 5 }, ['request-property-max-length-decreased'], []],
    ['maxLength raised', { type: 'string', maxLength: 5 }, { type: 'string', maxLength: 10 }, [], ['response-property-max-length-increased']],
    ['minLength raised', { type: 'string', minLength: 1 }, { type: 'string', minLength: 3 }, ['request-property-min-length-increased'], []],
    ['minLength removed', { type: 'string', minLength: 1 }, { type: 'string' }, [], ['response-property-min-length-removed']],
    ['pattern added', { type: 'string' }, { type: 'string', pattern: '^[a-z]+$' }, ['request-property-pattern-added'], []],
    ['minimum raised', { type: 'integer', minimum: 0 }, { type: 'integer', minimum: 1 }, ['request-property-min-increased'], []],
    ['maximum raised', { type: 'integer', maximum: 10 }, { type: 'integer', maximum: 20 }, [], ['response-property-max-increased']],
    ['exclusiveMinimum switched on (3.0)', { type: 'number', minimum: 0 }, { type: 'number', minimum: 0, exclusiveMinimum: true }, ['request-property-exclusive-min-increased'], []],
    ['multipleOf 2 -> 4', { type: 'integer', multipleOf: 2 }, { type: 'integer', multipleOf: 4 }, ['request-property-multiple-of-narrowed'], []],
    ['multipleOf 4 -> 2', { type: 'integer', multipleOf: 4 }, { type: 'integer', multipleOf: 2 }, [], ['response-property-multiple-of-widened']],
    ['minItems raised', { type: 'array', items: { type: 'string' }, minItems: 0 }, { type: 'array', items: { type: 'string' }, minItems: 1 }, ['request-property-min-items-increased'], []],
    ['maxItems removed', { type: 'array', items: { type: 'string' }, maxItems: 3 }, { type: 'array', items: { type: 'string' } }, [], ['response-property-max-items-unset']],
    ['uniqueItems set', { type: 'array', items: { type: 'string' } }, { type: 'array', items: { type: 'string' }, uniqueItems: true }, ['request-property-unique-items-set'], []],
    ['integer widened to number', { type: 'integer' }, { type: 'number' }, [], ['response-property-type-generalized']],
    ['int64 narrowed to int32', { type: 'integer', format: 'int64' }, { type: 'integer', format: 'int32' }, ['request-property-type-specialized'], []],
    ['string to integer', { type: 'string' }, { type: 'integer' }, ['request-property-type-changed'], ['response-property-type-changed']],
    ['became nullable', { type: 'string' }, { type: 'string', nullable: true }, [], ['response-property-became-nullable']],
    ['became not nullable', { type: 'string', nullable: true }, { type: 'string' }, ['request-property-became-not-nullable'], []],
    ['enum value removed', { type: 'string', enum: ['a', 'b'] }, { type: 'string', enum: ['a'] }, ['request-property-enum-value-removed'], []],
    ['enum value added', { type: 'string', enum: ['a'] }, { type: 'string', enum: ['a', 'b'] }, [], ['response-property-enum-value-added']],
    ['became an enum', { type: 'string' }, { type: 'string', enum: ['a'] }, ['request-property-became-enum'], []],
    ['additionalProperties forbidden', { type: 'object' }, { type: 'object', additionalProperties: false }, ['request-property-additional-properties-removed'], []],
    ['maxProperties set', { type: 'object' }, { type: 'object', maxProperties: 5 }, ['request-property-max-properties-set'], []],
    ['minProperties lowered', { type: 'object', minProperties: 2 }, { type: 'object', minProperties: 1 }, [], ['response-property-min-properties-decreased']],
    ['items narrowed', { type: 'array', items: { type: 'string', maxLength: 9 } }, { type: 'array', items: { type: 'string', maxLength: 3 } }, ['request-property-max-length-decreased'], []],
  ];
  it.each(cases)('%s', async (_, before, after, inRequest, inResponse) => {
    const req = async (s: Schema) => api({ request: obj({ p: s }) });
    const res = async (s: Schema) => api({ response: obj({ p: s }) });
    expect((await breaking(await req(before), await req(after))).map((x) => x.slice(9))).toEqual(inRequest);
    expect((await breaking(await res(before), await res(after))).map((x) => x.slice(9))).toEqual(inResponse);
  });

  it('a type list in OpenAPI 3.1: gaining null breaks readers, losing a type breaks writers', async () => {
    const v = (s: Schema, where: 'request' | 'response') => api({ version: '3.1.0', [where]: obj({ p: s }) });
    expect(await breaking(v({ type: 'string' }, 'response'), v({ type: ['string', 'null'] }, 'response'))).toEqual(['breaking:response-property-became-nullable']);
    expect(await breaking(v({ type: 'string' }, 'request'), v({ type: ['string', 'null'] }, 'request'))).toEqual([]);
    expect(await breaking(v({ type: ['string', 'integer'] }, 'request'), v({ type: ['string'] }, 'request'))).toEqual(['breaking:request-property-list-of-types-narrowed']);
    expect(await breaking(v({ type: ['string'] }, 'response'), v({ type: ['string', 'integer'] }, 'response'))).toEqual(['breaking:response-property-list-of-types-widened']);
  });

  it('defaults: a parameter default is server behaviour (breaking), a body property default is information', async () => {
    const param = (d: string) => api({ params: [{ name: 'sort', in: 'query', schema: { type: 'string', default: d } }] });
    expect(await breaking(param('asc'), param('desc'))).toEqual(['breaking:request-parameter-default-value-changed']);
    expect(await found(api({ request: obj({ p: { type: 'string', default: 'a' } }) }), api({ request: obj({ p: { type: 'string', default: 'b' } }) }))).toEqual(['info:request-property-default-value-changed']);
  });
});

describe('required and optional properties', () => {
  it('a response schema that gains required: [id] is not breaking (it promises more)', async () => {
    const base = api({ response: obj({ id: { type: 'string' } }) });
    expect(await found(base, api({ response: obj({ id: { type: 'string' } }, ['id']) }))).toEqual(['info:response-property-became-required']);
  });
  it('a response property that becomes optional is breaking', async () => {
    expect(await breaking(api({ response: obj({ id: { type: 'string' } }, ['id']) }), api({ response: obj({ id: { type: 'string' } }) }))).toEqual(['breaking:response-property-became-optional']);
  });
  it('a request property that becomes required is breaking; one that becomes optional is not', async () => {
    const loose = api({ request: obj({ id: { type: 'string' } }) });
    const strict = api({ request: obj({ id: { type: 'string' } }, ['id']) });
    expect(await found(loose, strict)).toEqual(['breaking:request-property-became-required']);
    expect(await found(strict, loose)).toEqual(['info:request-property-became-optional']);
  });
  it('new and removed properties, by direction', async () => {
    const one = (where: 'request' | 'response', req: string[] = []) => api({ [where]: obj({ a: { type: 'string' } }, req) });
    const two = (where: 'request' | 'response', req: string[] = []) => api({ [where]: obj({ a: { type: 'string' }, b: { type: 'string' } }, req) });
    expect(await found(one('request'), two('request', ['b']))).toEqual(['breaking:new-required-request-property']);
    expect(await found(one('request'), two('request'))).toEqual(['info:new-optional-request-property']);
    expect(await found(two('request'), one('request'))).toEqual(['warning:request-property-removed']);
    expect(await found(two('response', ['b']), one('response'))).toEqual(['breaking:response-required-property-removed']);
    expect(await found(two('response'), one('response'))).toEqual(['warning:response-optional-property-removed']);
    expect(await found(one('response'), two('response', ['b']))).toEqual(['info:response-required-property-added']);
  });
  it('a required readOnly property is not required in requests; a writeOnly one is not returned in responses', async () => {
    const base = api({ request: obj({ a: { type: 'string' } }) });
    expect(await breaking(base, api({ request: obj({ a: { type: 'string' }, id: { type: 'string', readOnly: true } }, ['id']) }))).toEqual([]);
    const res = api({ response: obj({ a: { type: 'string' } }, ['a']) });
    expect(await breaking(res, api({ response: obj({ a: { type: 'string', writeOnly: true } }, ['a']) }))).toEqual(['breaking:response-property-became-write-only']);
  });
});

describe('composition, branch by branch', () => {
  const pet = (required: string[]) => ({ allOf: [{ type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } }, required }, { type: 'object', properties: { tag: { type: 'string' } } }] });
  it('an allOf branch that drops a required property breaks a response', async () => {
    expect(await breaking(api({ response: pet(['id', 'name']) }), api({ response: pet(['id']) }))).toEqual(['breaking:response-property-became-optional']);
  });
  it('an allOf branch that adds a required property breaks a request', async () => {
    expect(await breaking(api({ request: pet(['id']) }), api({ request: pet(['id', 'name']) }))).toEqual(['breaking:request-property-became-required']);
  });
  it('a oneOf alternative added breaks readers, removed breaks writers; allOf added breaks writers', async () => {
    const one = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
    const two = { oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] };
    expect(await breaking(api({ response: one }), api({ response: two }))).toEqual(['breaking:response-body-one-of-added']);
    expect(await breaking(api({ request: one }), api({ request: two }))).toEqual([]);
    expect(await breaking(api({ request: two }), api({ request: one }))).toEqual(['breaking:request-body-one-of-removed']);
    expect(await breaking(api({ request: { anyOf: [{ type: 'string' }, { type: 'integer' }] } }), api({ request: { anyOf: [{ type: 'string' }] } }))).toEqual(['breaking:request-body-any-of-removed']);
    expect(await breaking(api({ request: { allOf: [{ type: 'object' }] } }), api({ request: { allOf: [{ type: 'object' }, { required: ['x'], properties: { x: { type: 'string' } } }] } }))).toEqual(['breaking:new-required-request-property', 'breaking:request-body-all-of-added']);
    expect(await breaking(api({ response: { allOf: [{ type: 'object' }] } }), api({ response: { allOf: [{ type: 'object' }, { required: ['x'], properties: { x: { type: 'string' } } }] } }))).toEqual([]);
  });
  it('discriminators: a renamed property breaks both sides, a deleted mapping breaks writers, an added one warns readers', async () => {
    const d = (propertyName: string, mapping: Schema) => ({ oneOf: [obj({ kind: { type: 'string' } }), obj({ kind: { type: 'string' }, x: { type: 'string' } })], discriminator: { propertyName, mapping } });
    const two = { cat: '#/components/schemas/Cat', dog: '#/components/schemas/Dog' };
    const one = { cat: '#/components/schemas/Cat' };
    expect(await breaking(api({ response: d('kind', two) }), api({ response: d('type', two) }))).toEqual(['breaking:response-body-discriminator-property-name-changed']);
    expect(await found(api({ request: d('kind', two) }), api({ request: d('kind', one) }))).toEqual(['breaking:request-body-discriminator-mapping-deleted']);
    expect(await found(api({ response: d('kind', one) }), api({ response: d('kind', two) }))).toEqual(['warning:response-body-discriminator-mapping-added']);
  });
  it('branches are matched by the component they reference, not by position', async () => {
    const doc = (order: string[], dogRequired: string[]) =>
      api({ response: { oneOf: order.map((n) => ({ $ref: `#/components/schemas/${n}` })) }, extra: { components: { schemas: { Cat: obj({ meow: { type: 'string' } }, ['meow']), Dog: obj({ bark: { type: 'string' } }, dogRequired) } } } });
    expect(await breaking(doc(['Cat', 'Dog'], ['bark']), doc(['Dog', 'Cat'], ['bark']))).toEqual([]);
    expect(await breaking(doc(['Cat', 'Dog'], ['bark']), doc(['Dog', 'Cat'], []))).toEqual(['breaking:response-property-became-optional']);
  });
});

describe('parameters', () => {
  const q = (name: string, extra: Schema = {}) => ({ name, in: 'query', schema: { type: 'string' }, ...extra });
  it('a new required query or cookie parameter is breaking, an optional one is not, a removed one is a warning naming it', async () => {
    expect(await found(api({}), api({ params: [q('limit', { required: true })] }))).toEqual(['breaking:new-required-request-parameter']);
    expect(await found(api({}), api({ params: [{ name: 'csrf', in: 'cookie', required: true, schema: { type: 'string' } }] }))).toEqual(['breaking:new-required-request-parameter']);
    expect(await found(api({}), api({ params: [q('limit')] }))).toEqual(['info:new-optional-request-parameter']);
    const removed = await changes(api({ params: [q('limit')] }), api({}));
    expect(removed).toEqual([expect.objectContaining({ id: 'request-parameter-removed', level: 'warning', operation: 'POST /orders/{id}', message: 'removed the query request parameter `limit`' })]);
  });
  it('a parameter that becomes required, and a parameter schema that narrows, name the parameter', async () => {
    const result = await changes(api({ params: [q('limit', { schema: { type: 'integer', maximum: 100 } })] }), api({ params: [q('limit', { required: true, schema: { type: 'integer', maximum: 50 } })] }));
    expect(result.map((c) => [c.id, c.message])).toEqual([
      ['request-parameter-became-required', 'the query request parameter `limit` became required'],
      ['request-parameter-max-decreased', 'the query request parameter `limit` changed maximum from 100 to 50'],
    ]);
  });
  it('header names are case-insensitive: X-Tenant-Id renamed to x-tenant-id is no change', async () => {
    const h = (name: string) => api({ params: [{ name, in: 'header', required: true, schema: { type: 'string' } }] });
    expect(await found(h('X-Tenant-Id'), h('x-tenant-id'))).toEqual([]);
  });
  it('a renamed path template variable is the same path', async () => {
    expect(await found(api({ route: '/orders/{id}' }), api({ route: '/orders/{orderId}' }))).toEqual([]);
  });
  it('path-item parameters count, and an operation parameter overrides the path item one', async () => {
    expect(await found(api({}), api({ itemParams: [q('tenant', { required: true })] }))).toEqual(['breaking:new-required-request-parameter']);
    expect(await found(api({ itemParams: [q('tenant')] }), api({ itemParams: [q('tenant')], params: [q('tenant', { required: true })] }))).toEqual(['breaking:request-parameter-became-required']);
  });
  it('a parameter whose serialisation changes breaks the clients that send the old form', async () => {
    const p = (extra: Schema) => api({ params: [q('ids', { schema: { type: 'array', items: { type: 'string' } }, ...extra })] });
    expect(await found(p({}), p({ style: 'pipeDelimited' }))).toEqual(['breaking:request-parameter-style-changed']);
    expect(await found(p({}), p({ explode: false }))).toEqual(['breaking:request-parameter-explode-changed']);
    expect(await found(p({}), p({ style: 'form', explode: true }))).toEqual([]);
  });
  it('parameter enums: removing a value breaks, adding one does not', async () => {
    const e = (values: string[]) => api({ params: [q('state', { schema: { type: 'string', enum: values } })] });
    expect(await found(e(['open', 'closed']), e(['open']))).toEqual(['breaking:request-parameter-enum-value-removed']);
    expect(await found(e(['open']), e(['open', 'closed']))).toEqual(['info:request-parameter-enum-value-added']);
  });
});

describe('operations, media types, responses, headers, security, deprecation', () => {
  const twoPaths = (deprecated: boolean) => JSON.stringify({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths: { '/a': { get: { deprecated, responses: { '200': { description: 'ok' } } } }, '/b': { get: { responses: { '200': { description: 'ok' } } } } } });
  const onlyB = JSON.stringify({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths: { '/b': { get: { responses: { '200': { description: 'ok' } } } } } });
  it('a removed path is breaking unless it was deprecated', async () => {
    expect(await found(twoPaths(false), onlyB)).toEqual(['breaking:api-path-removed-without-deprecation']);
    expect(await found(twoPaths(true), onlyB)).toEqual(['info:api-path-removed-with-deprecation']);
    expect(await found(twoPaths(false), twoPaths(true))).toEqual(['info:endpoint-deprecated']);
  });
  it('media types: removing one breaks in both directions, adding one does not; parameters of a media type do not matter', async () => {
    const body = (types: string[], where: 'requestBody' | 'response') =>
      where === 'requestBody'
        ? api({ op: { requestBody: { content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'object' } }])) } } })
        : api({ responses: { '200': { description: 'ok', content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'object' } }])) } } });
    expect(await found(body(['application/json', 'application/xml'], 'requestBody'), body(['application/json'], 'requestBody'))).toEqual(['breaking:request-body-media-type-removed']);
    expect(await found(body(['application/json', 'application/xml'], 'response'), body(['application/json'], 'response'))).toEqual(['breaking:response-media-type-removed']);
    expect(await found(body(['application/json'], 'response'), body(['application/json', 'text/csv'], 'response'))).toEqual(['info:response-media-type-added']);
    expect(await found(body(['application/json'], 'response'), body(['application/json; charset=utf-8'], 'response'))).toEqual([]);
  });
  it('response codes: a removed success status breaks, a removed error status is information', async () => {
    const r = (codes: string[]) => api({ responses: Object.fromEntries(codes.map((c) => [c, { description: c }])) });
    expect(await found(r(['200', '201']), r(['201']))).toEqual(['breaking:response-success-status-removed']);
    expect(await found(r(['200', '404']), r(['200']))).toEqual(['info:response-non-success-status-removed']);
  });
  it('response headers: case-insensitive; a required one removed or made optional breaks', async () => {
    const r = (headers: Schema) => api({ responses: { '200': { description: 'ok', headers } } });
    const rate = { schema: { type: 'integer' }, required: true };
    expect(await found(r({ 'X-Rate-Limit': rate }), r({ 'x-rate-limit': rate }))).toEqual([]);
    expect(await found(r({ 'X-Rate-Limit': rate }), r({}))).toEqual(['breaking:required-response-header-removed']);
    expect(await found(r({ 'X-Rate-Limit': rate }), r({ 'X-Rate-Limit': { schema: { type: 'integer' } } }))).toEqual(['breaking:response-header-became-optional']);
    expect(await found(r({ 'X-Rate-Limit': { schema: { type: 'integer' } } }), r({}))).toEqual(['warning:optional-response-header-removed']);
  });
  it('security: a public operation that now needs credentials is a warning; more scopes too', async () => {
    const s = (security?: Schema[]) => api({ op: security ? { security } : {} });
    expect(await found(s(), s([{ oauth: ['read'] }]))).toEqual(['warning:api-security-added']);
    expect(await found(s([{ oauth: ['read'] }]), s([{ oauth: ['read', 'write'] }]))).toEqual(['warning:api-security-scope-added']);
    expect(await found(s([{ oauth: ['read'] }]), s([{ oauth: ['read'] }, { apiKey: [] }]))).toEqual(['info:api-security-alternative-added']);
  });
  it('security schemes in use: a changed type or location breaks, an unused one is not checked', async () => {
    const doc = (scheme: Schema, used = true) => api({ op: used ? { security: [{ key: [] }] } : {}, extra: { components: { securitySchemes: { key: scheme } } } });
    const header = { type: 'apiKey', in: 'header', name: 'X-Key' };
    expect(await found(doc(header), doc({ type: 'http', scheme: 'bearer' }))).toEqual(['breaking:api-security-component-type-changed']);
    expect(await found(doc(header), doc({ ...header, in: 'query' }))).toEqual(['breaking:api-security-component-changed']);
    expect(await found(doc(header, false), doc({ ...header, in: 'query' }, false))).toEqual([]);
    const oauth = (tokenUrl: string, scopes: Schema) => doc({ type: 'oauth2', flows: { clientCredentials: { tokenUrl, scopes } } });
    expect(await found(oauth('https://a/token', { read: 'r', write: 'w' }), oauth('https://b/token', { read: 'r' }))).toEqual(['warning:api-security-component-oauth-scope-removed', 'warning:api-security-component-oauth-url-changed']);
  });
  it('request bodies: a new required body breaks, a body that becomes required breaks', async () => {
    expect(await found(api({}), api({ request: { type: 'object' } }))).toEqual(['breaking:request-body-added-required']);
    expect(await found(api({ op: { requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } } }), api({ request: { type: 'object' } }))).toEqual(['breaking:request-body-became-required']);
  });
  it('webhooks are compared like paths', async () => {
    const w = (props: Schema, required: string[]) => JSON.stringify({ openapi: '3.1.0', info: { title: 't', version: '1' }, webhooks: { order: { post: { requestBody: { required: true, content: { 'application/json': { schema: obj(props, required) } } }, responses: { '200': { description: 'ok' } } } } } });
    expect(await breaking(w({ a: { type: 'string' } }, []), w({ a: { type: 'string' } }, ['a']))).toEqual(['breaking:request-property-became-required']);
  });
});

describe('$ref resolution', () => {
  it('follows local references into components, once per use', async () => {
    const doc = (required: string[]) => api({ response: { $ref: '#/components/schemas/Order' }, extra: { components: { schemas: { Order: obj({ id: { type: 'string' } }, required) } } } });
    const result = await changes(doc(['id']), doc([]));
    expect(result).toEqual([expect.objectContaining({ id: 'response-property-became-optional', operation: 'POST /orders/{id}', pointer: '/paths/~1orders~1{id}/post/responses/200/content/application~1json/schema/required' })]);
    // The line is the component's `required`, where the change was made.
    const head = doc([]).split('\n');
    expect(head[result[0]!.line - 1]).toMatch(/"Order"|"required"|"properties"/);
  });
  it('follows references to other files of the repository, each version from its own commit', async () => {
    const root = api({ response: { $ref: './schemas/order.yaml#/Order' } });
    const files = (required: string) => async (path: string) => (path === 'api/schemas/order.yaml' ? `Order:\n  type: object\n  required: [${required}]\n  properties:\n    id: { type: string }\n` : undefined);
    expect(await found(root, root, { file: 'api/openapi.json', readBase: files('id'), readHead: files('') })).toEqual(['breaking:response-property-became-optional']);
    // The finding points into the referenced file, where the change was made.
    expect(await changes(root, root, { file: 'api/openapi.json', readBase: files('id'), readHead: files('') })).toEqual([expect.objectContaining({ file: 'api/schemas/order.yaml', line: 3, headLine: 3 })]);
    const missing = await diffContract(root, root, { file: 'api/openapi.json', readBase: files('id'), readHead: async () => undefined });
    expect(missing).toMatchObject({ side: 'head', error: expect.stringContaining('cannot be resolved') });
  });
  it('follows long chains of references between components, and reports a shared component once', async () => {
    const doc = (required: string[]) => {
      const schemas: Schema = {};
      for (let i = 0; i < 400; i++) schemas[`S${i}`] = i === 399 ? obj({ end: { type: 'string' } }, required) : obj({ next: { $ref: `#/components/schemas/S${i + 1}` } });
      const paths = Object.fromEntries([0, 1, 2].map((n) => [`/p${n}`, { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/S0' } } } } } } }]));
      return JSON.stringify({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths, components: { schemas } });
    };
    expect(await breaking(doc(['end']), doc([]))).toEqual(['breaking:response-property-became-optional']);
  });
  it('handles circular references', async () => {
    const tree = (maxLength: number) => api({ response: { $ref: '#/components/schemas/Node' }, extra: { components: { schemas: { Node: obj({ name: { type: 'string', maxLength }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } }) } } } });
    expect(await breaking(tree(10), tree(20))).toEqual(['breaking:response-property-max-length-increased']);
    expect(await breaking(tree(10), tree(10))).toEqual([]);
  });
});

describe('never a silent pass', () => {
  const swaggerBase = `swagger: "2.0"\ninfo: { title: t, version: "1" }\npaths:\n  /a:\n    get:\n      responses: { "200": { description: ok } }\n  /b:\n    get:\n      responses: { "200": { description: ok } }\n`;
  it('a Swagger 2.0 file with a deleted path is an error, not "0 breaking"', async () => {
    const head = swaggerBase.replace('  /b:\n    get:\n      responses: { "200": { description: ok } }\n', '');
    expect(await diffContract(swaggerBase, head)).toEqual({ side: 'head', line: 1, error: expect.stringContaining('Swagger 2.0 is not compared') });
    expect(await breakingChanges(swaggerBase, head)).toMatchObject({ error: expect.stringContaining('the new version cannot be compared') });
  });
  it('a head with a conflict marker blocks, at the marker line', async () => {
    const base = api({});
    const lines = base.split('\n');
    const head = [...lines.slice(0, 3), '<<<<<<< HEAD', lines[3], '=======', lines[3], '>>>>>>> feature', ...lines.slice(4)].join('\n');
    expect(await diffContract(base, head)).toEqual({ side: 'head', line: 4, error: 'unresolved merge conflict marker' });
  });
  it('an OpenAPI version the diff does not know, and YAML the parser refuses, are errors with their line', async () => {
    expect(await diffContract(api({}), api({ version: '4.0.0' }))).toMatchObject({ side: 'head', line: 2, error: expect.stringContaining('"4.0.0"') });
    expect(await diffContract('openapi: 3.0.3\npaths: {}\n', 'openapi: 3.0.3\npaths:\n  /a: [unclosed\n')).toMatchObject({ side: 'head', error: expect.stringContaining('not valid YAML') });
    expect(await diffContract('openapi: 3.0.3\npaths: {}\n', 'openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses:\n        "200": { $ref: "#/components/responses/Nope" }\n')).toMatchObject({ side: 'head', line: 6, error: expect.stringContaining('$ref') });
  });
  it('a deleted contract file is breaking; a new one is nothing to compare', async () => {
    expect(await breakingChanges(api({}), undefined)).toEqual([expect.objectContaining({ id: 'contract-file-removed' })]);
    expect(await breakingChanges(undefined, api({}))).toEqual([]);
  });
});

describe('findings', () => {
  it('carry the line of the change in the head, or in the base for a removal', async () => {
    const base = 'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /a:\n    get:\n      responses:\n        "200":\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                required: [id]\n                properties:\n                  id: { type: string }\n                  name: { type: string, maxLength: 10 }\n';
    const head = base.replace('maxLength: 10', 'maxLength: 20').replace('                  id: { type: string }\n', '');
    const result = await changes(base, head);
    const grown = result.find((c) => c.id === 'response-property-max-length-increased')!;
    expect(head.split('\n')[grown.line - 1]).toContain('maxLength: 20');
    const removed = result.find((c) => c.id === 'response-required-property-removed')!;
    expect(removed).toMatchObject({ side: 'base', operation: 'GET /a', message: 'removed the required response property `id` from the 200 application/json response' });
    expect(base.split('\n')[removed.line - 1]).toContain('id: { type: string }');
  });
  it('every rule id has a level, and the README lists the ids', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const id of Object.keys(RULES)) expect(readme, id).toContain(`\`${id}\``);
    for (const suffix of Object.keys(SCHEMA_RULES)) expect(readme, suffix).toContain(`\`${suffix}\``);
    expect(levelOf('response-property-enum-value-added')).toBe('breaking');
    expect(levelOf('request-property-enum-value-added')).toBe('info');
  });
});

describe('JSON Schema files', () => {
  const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['id'], properties: { id: { type: 'string' }, amount: { type: 'number' }, currency: { type: 'string', enum: ['EUR', 'USD'] }, lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } } } };
  const text = (value: unknown) => JSON.stringify(value, null, 2);
  it('a shared schema is judged for writers and for readers: narrowing breaks writers, widening breaks readers', async () => {
    const head = structuredClone(schema) as any;
    head.required.push('currency');
    head.properties.amount.type = 'integer';
    head.properties.currency.enum = ['EUR'];
    expect(await breaking(text(schema), text(head))).toEqual(['breaking:request-property-became-required', 'breaking:request-property-enum-value-removed', 'breaking:request-property-type-specialized']);
    const wider = structuredClone(schema) as any;
    wider.properties.amount.type = ['number', 'string'];
    wider.required = [];
    expect(await breaking(text(schema), text(wider))).toEqual(['breaking:response-property-became-optional', 'breaking:response-property-list-of-types-widened']);
  });
  it('additive changes are not breaking', async () => {
    const head = structuredClone(schema) as any;
    head.properties.note = { type: 'string' };
    expect(await breaking(text(schema), text(head))).toEqual([]);
  });
});
