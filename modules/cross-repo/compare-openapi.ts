import { compareSchema, type Emit, type SchemaScope } from './compare-schema.ts';
import type { Contract, Json, Obj } from './load-contract.ts';
import { isObj } from './load-contract.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'query'];
const obj = (v: Json | undefined): Obj => (isObj(v) ? v : {});
type Compared = NonNullable<SchemaScope['compared']>;

/** `/orders/{id}` and `/orders/{orderId}` are the same path: template variables are compared by position. */
export const pathKey = (route: string) => route.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '') || '/';

interface Param {
  value: Obj;
  key: string;
  /** Where the parameter is declared: under the operation or the path item, and its index. */
  pointer: string[];
}

function parametersOf(section: string, route: string, item: Obj, op: Obj, method: string): Map<string, Param> {
  const vars = [...route.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  const out = new Map<string, Param>();
  const add = (list: Json | undefined, pointer: string[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((p, i) => {
      if (!isObj(p) || typeof p.name !== 'string') return;
      const where = String(p.in);
      // Header names are case-insensitive; path parameters are known by their place in the template.
      const name = where === 'header' ? p.name.toLowerCase() : where === 'path' && vars.includes(p.name) ? `#${vars.indexOf(p.name)}` : p.name;
      out.set(`${where}:${name}`, { value: p, key: `${where}:${name}`, pointer: [...pointer, 'parameters', String(i)] });
    });
  };
  add(item.parameters, [section, route]);
  add(op.parameters, [section, route, method]);
  return out;
}

const schemaOfParam = (p: Obj): Json | undefined => {
  if (isObj(p.schema)) return p.schema;
  if (isObj(p.content)) for (const m of Object.values(p.content)) if (isObj(m) && isObj(m.schema)) return m.schema;
  return undefined;
};

/** Media types compared without parameters and case: `application/json; charset=utf-8` is `application/json`. */
const mediaKey = (m: string) => m.split(';')[0]!.trim().toLowerCase();

function byMedia(content: Json | undefined): Map<string, [string, Obj]> {
  const out = new Map<string, [string, Obj]>();
  for (const [m, v] of Object.entries(obj(content))) if (!out.has(mediaKey(m))) out.set(mediaKey(m), [m, obj(v)]);
  return out;
}

const securityKey = (req: Obj) =>
  Object.keys(req)
    .sort()
    .map((k) => k)
    .join('&');

/** The breaking changes between two OpenAPI 3.x documents, operation by operation. */
export function compareOpenApi(base: Contract, head: Contract, emit: Emit): void {
  const b = obj(base.value);
  const h = obj(head.value);
  const compared: Compared = new Map();
  comparePaths(base, head, obj(b.paths), obj(h.paths), 'paths', emit, compared);
  compareSecuritySchemes(base, head, emit);
  // Webhooks are operations the API calls; oasdiff compares them as paths, and so does this.
  comparePaths(base, head, obj(b.webhooks), obj(h.webhooks), 'webhooks', emit, compared);
}

function comparePaths(base: Contract, head: Contract, bPaths: Obj, hPaths: Obj, section: 'paths' | 'webhooks', emit: Emit, compared: Compared): void {
  const h = { paths: hPaths };
  const b = { paths: bPaths };
  const headRoutes = new Map<string, string>();
  for (const route of Object.keys(obj(h.paths))) headRoutes.set(section === 'paths' ? pathKey(route) : route, route);

  for (const [baseRoute, bItemJson] of Object.entries(obj(b.paths))) {
    const bItem = obj(bItemJson);
    const headRoute = headRoutes.get(section === 'paths' ? pathKey(baseRoute) : baseRoute);
    const bOps = METHODS.filter((m) => isObj(bItem[m]));
    if (headRoute === undefined) {
      // A path item without operations offers nothing to call.
      if (bOps.length === 0) continue;
      const deprecated = bOps.length > 0 && bOps.every((m) => obj(bItem[m]).deprecated === true);
      emit(deprecated ? 'api-path-removed-with-deprecation' : 'api-path-removed-without-deprecation', { pointer: [section, baseRoute], base: obj(b.paths), key: baseRoute }, `removed the ${section === 'paths' ? 'path' : 'webhook'} ${baseRoute}${deprecated ? ', which was deprecated' : ''}`);
      continue;
    }
    const hItem = obj(obj(h.paths)[headRoute]);
    for (const method of bOps) {
      const bOp = obj(bItem[method]);
      const operation = `${method.toUpperCase()} ${headRoute}`;
      const hOpJson = hItem[method];
      if (!isObj(hOpJson)) {
        const deprecated = bOp.deprecated === true;
        emit(deprecated ? 'api-removed-with-deprecation' : 'api-removed-without-deprecation', { pointer: [section, headRoute, method], base: bItem, key: method }, `removed the operation ${method.toUpperCase()} ${baseRoute}${deprecated ? ', which was deprecated' : ''}`);
        continue;
      }
      const opEmit: Emit = (id, where, message, direction) => emit(id, where, message, direction, operation);
      compareOperation(base, head, section, baseRoute, headRoute, method, bItem, hItem, bOp, hOpJson, opEmit, compared);
    }
    for (const method of METHODS.filter((m) => isObj(hItem[m]) && !isObj(bItem[m]))) {
      emit('endpoint-added', { pointer: [section, headRoute, method], head: hItem, key: method }, `added the operation ${method.toUpperCase()} ${headRoute}`, undefined, `${method.toUpperCase()} ${headRoute}`);
    }
  }
}

function compareOperation(base: Contract, head: Contract, section: string, baseRoute: string, route: string, method: string, bItem: Obj, hItem: Obj, bOp: Obj, hOp: Obj, emit: Emit, compared: Compared): void {
  const where = [section, route, method];
  const scope = (direction: 'request' | 'response', kind: SchemaScope['kind'], owner: string): SchemaScope => ({ direction, kind, owner, base, head, emit, compared });
  const label = `${method.toUpperCase()} ${route}`;

  if (bOp.deprecated !== true && hOp.deprecated === true) emit('endpoint-deprecated', { pointer: [...where, 'deprecated'], head: hOp, key: 'deprecated' }, `${label} was deprecated`);
  if (bOp.deprecated === true && hOp.deprecated !== true) emit('endpoint-reactivated', { pointer: [...where, 'deprecated'], head: hOp, key: 'deprecated' }, `${label} is no longer deprecated`);

  // Parameters: path item and operation level, the operation's winning over the path item's.
  const bParams = parametersOf(section, baseRoute, bItem, bOp, method);
  const hParams = parametersOf(section, route, hItem, hOp, method);
  for (const [key, bp] of bParams) {
    const hp = hParams.get(key);
    const describe = (p: Obj) => `the ${String(p.in)} request parameter ${q(p.name)}`;
    if (!hp) {
      const deprecated = bp.value.deprecated === true;
      emit(deprecated ? 'request-parameter-removed-with-deprecation' : 'request-parameter-removed', { pointer: bp.pointer, base: bp.value }, `removed ${describe(bp.value)}`);
      continue;
    }
    const p = hp.value;
    const bRequired = bp.value.required === true || bp.value.in === 'path';
    const hRequired = p.required === true || p.in === 'path';
    if (!bRequired && hRequired) emit('request-parameter-became-required', { pointer: [...hp.pointer, 'required'], head: p, key: 'required' }, `${describe(p)} became required`);
    if (bRequired && !hRequired) emit('request-parameter-became-optional', { pointer: [...hp.pointer, 'required'], head: p, key: 'required' }, `${describe(p)} became optional`);
    // How a parameter is serialised is part of the contract: clients keep sending the old form.
    const style = (x: Obj) => (typeof x.style === 'string' ? x.style : x.in === 'query' || x.in === 'cookie' ? 'form' : 'simple');
    const explode = (x: Obj) => (typeof x.explode === 'boolean' ? x.explode : style(x) === 'form');
    if (style(bp.value) !== style(p)) emit('request-parameter-style-changed', { pointer: [...hp.pointer, 'style'], head: p, key: 'style' }, `${describe(p)} changed its style from ${style(bp.value)} to ${style(p)}`);
    else if (explode(bp.value) !== explode(p) && (isObj(schemaOfParam(p)) && ['array', 'object'].includes(String((schemaOfParam(p) as Obj).type)))) emit('request-parameter-explode-changed', { pointer: [...hp.pointer, 'explode'], head: p, key: 'explode' }, `${describe(p)} changed explode from ${explode(bp.value)} to ${explode(p)}`);
    if (bp.value.allowEmptyValue === true && p.allowEmptyValue !== true) emit('request-parameter-allow-empty-value-removed', { pointer: [...hp.pointer, 'allowEmptyValue'], head: p, key: 'allowEmptyValue' }, `${describe(p)} no longer accepts an empty value`);
    if (bp.value.deprecated !== true && p.deprecated === true) emit('request-parameter-deprecated', { pointer: [...hp.pointer, 'deprecated'], head: p, key: 'deprecated' }, `${describe(p)} was deprecated`);
    if (isObj(bp.value.content) && isObj(p.content)) {
      const hm = byMedia(p.content);
      for (const [k, [m]] of byMedia(bp.value.content)) if (!hm.has(k)) emit('request-parameter-media-type-removed', { pointer: [...hp.pointer, 'content'], head: p, key: 'content' }, `${describe(p)} no longer accepts ${m}`);
    }
    compareSchema(schemaOfParam(bp.value), schemaOfParam(p), scope('request', 'parameter', describe(p)), [...hp.pointer, 'schema']);
  }
  for (const [key, hp] of hParams) {
    if (bParams.has(key)) continue;
    const p = hp.value;
    const id = p.in === 'path' ? 'new-request-path-parameter' : p.required === true ? 'new-required-request-parameter' : 'new-optional-request-parameter';
    emit(id, { pointer: hp.pointer, head: p, key: 'name' }, `added the new ${p.in === 'path' ? '' : p.required === true ? 'required ' : 'optional '}${String(p.in)} request parameter ${q(p.name)}`);
  }

  // Request body.
  const bBody = isObj(bOp.requestBody) ? bOp.requestBody : undefined;
  const hBody = isObj(hOp.requestBody) ? hOp.requestBody : undefined;
  if (!bBody && hBody) emit(hBody.required === true ? 'request-body-added-required' : 'request-body-added-optional', { pointer: [...where, 'requestBody'], head: hOp, key: 'requestBody' }, `added ${hBody.required === true ? 'a required' : 'an optional'} request body to ${label}`);
  if (bBody && !hBody) emit('request-body-removed', { pointer: [...where, 'requestBody'], base: bOp, key: 'requestBody' }, `removed the request body of ${label}`);
  if (bBody && hBody) {
    if (bBody.required !== true && hBody.required === true) emit('request-body-became-required', { pointer: [...where, 'requestBody', 'required'], head: hBody, key: 'required' }, `the request body of ${label} became required`);
    if (bBody.required === true && hBody.required !== true) emit('request-body-became-optional', { pointer: [...where, 'requestBody', 'required'], head: hBody, key: 'required' }, `the request body of ${label} became optional`);
    const hm = byMedia(hBody.content);
    const bm = byMedia(bBody.content);
    for (const [k, [m, bMedia]] of bm) {
      const found = hm.get(k);
      if (!found) {
        emit('request-body-media-type-removed', { pointer: [...where, 'requestBody', 'content', m], base: obj(bBody.content), key: m }, `the request body of ${label} no longer accepts ${m}`);
        continue;
      }
      const [hName, hMedia] = found;
      compareSchema(bMedia.schema, hMedia.schema, scope('request', 'body', `the ${hName} request body`), [...where, 'requestBody', 'content', hName, 'schema']);
    }
    for (const [k, [m]] of hm) if (!bm.has(k)) emit('request-body-media-type-added', { pointer: [...where, 'requestBody', 'content', m], head: obj(hBody.content), key: m }, `the request body of ${label} now accepts ${m}`);
  }

  // Responses.
  const bResponses = obj(bOp.responses);
  const hResponses = obj(hOp.responses);
  const success = (code: string) => /^2/.test(code);
  for (const [code, bResJson] of Object.entries(bResponses)) {
    const hResJson = hResponses[code];
    if (!isObj(hResJson)) {
      emit(success(code) ? 'response-success-status-removed' : 'response-non-success-status-removed', { pointer: [...where, 'responses', code], base: bResponses, key: code }, `removed the response ${code} of ${label}`);
      continue;
    }
    const bRes = obj(bResJson);
    const hRes = hResJson;
    const hm = byMedia(hRes.content);
    const bm = byMedia(bRes.content);
    for (const [k, [m, bMedia]] of bm) {
      const found = hm.get(k);
      if (!found) {
        emit('response-media-type-removed', { pointer: [...where, 'responses', code, 'content', m], base: obj(bRes.content), key: m }, `the ${code} response of ${label} no longer returns ${m}`);
        continue;
      }
      const [hName, hMedia] = found;
      compareSchema(bMedia.schema, hMedia.schema, scope('response', 'body', `the ${code} ${hName} response`), [...where, 'responses', code, 'content', hName, 'schema']);
    }
    for (const [k, [m]] of hm) if (!bm.has(k)) emit('response-media-type-added', { pointer: [...where, 'responses', code, 'content', m], head: obj(hRes.content), key: m }, `the ${code} response of ${label} can now return ${m}`);

    const lower = (o: Json | undefined) => new Map(Object.entries(obj(o)).map(([k, v]) => [k.toLowerCase(), [k, obj(v)] as const]));
    const hHeaders = lower(hRes.headers);
    for (const [k, [name, bh]] of lower(bRes.headers)) {
      const found = hHeaders.get(k);
      if (!found) {
        emit(bh.required === true ? 'required-response-header-removed' : 'optional-response-header-removed', { pointer: [...where, 'responses', code, 'headers', name], base: obj(bRes.headers), key: name }, `removed the ${bh.required === true ? 'required' : 'optional'} response header ${q(name)} from the ${code} response of ${label}`);
        continue;
      }
      const [hName, hh] = found;
      if (bh.required === true && hh.required !== true) emit('response-header-became-optional', { pointer: [...where, 'responses', code, 'headers', hName, 'required'], head: hh, key: 'required' }, `the response header ${q(hName)} of the ${code} response of ${label} became optional`);
      compareSchema(bh.schema, hh.schema, scope('response', 'header', `the response header ${q(hName)} of the ${code} response`), [...where, 'responses', code, 'headers', hName, 'schema']);
    }
  }
  for (const code of Object.keys(hResponses)) {
    if (!(code in bResponses)) emit(success(code) ? 'response-success-status-added' : 'response-non-success-status-added', { pointer: [...where, 'responses', code], head: hResponses, key: code }, `added the response ${code} to ${label}`);
  }

  // Security: the operation's own requirements, or the document's.
  const effective = (c: Contract, op: Obj): Obj[] | undefined => {
    const list = Array.isArray(op.security) ? op.security : Array.isArray(obj(c.value).security) ? (obj(c.value).security as Json[]) : undefined;
    return list?.filter(isObj);
  };
  const bs = effective(base, bOp) ?? [];
  const hs = effective(head, hOp) ?? [];
  const open = (list: Obj[]) => list.length === 0 || list.some((r) => Object.keys(r).length === 0);
  const secWhere = { pointer: [...where, 'security'], head: Array.isArray(hOp.security) ? hOp : undefined, key: 'security' };
  if (open(bs) && !open(hs)) emit('api-security-added', secWhere, `${label} now requires ${hs.map(securityKey).join(' or ')}`);
  else if (!open(bs)) {
    const hKeys = new Map(hs.map((r) => [securityKey(r), r]));
    const bKeys = new Map(bs.map((r) => [securityKey(r), r]));
    for (const [k, r] of bKeys) {
      const match = hKeys.get(k);
      if (!match) {
        if (!open(hs)) emit('api-security-removed', secWhere, `${label} no longer accepts ${k}`);
        continue;
      }
      for (const scheme of Object.keys(r)) {
        const before = new Set((Array.isArray(r[scheme]) ? r[scheme] : []).map(String));
        const after = (Array.isArray(match[scheme]) ? (match[scheme] as Json[]) : []).map(String);
        const added = after.filter((s) => !before.has(s));
        const removed = [...before].filter((s) => !after.includes(s));
        if (added.length) emit('api-security-scope-added', secWhere, `${label} now needs the scopes ${added.join(', ')} of ${scheme}`);
        if (removed.length) emit('api-security-scope-removed', secWhere, `${label} no longer needs the scopes ${removed.join(', ')} of ${scheme}`);
      }
    }
    for (const k of hKeys.keys()) if (!bKeys.has(k)) emit('api-security-alternative-added', secWhere, `${label} also accepts ${k}`);
  }
}

const q = (v: unknown) => `\`${String(v)}\``;

/** Security schemes that operations use: a changed type, location or name breaks every client that authenticates. */
function compareSecuritySchemes(base: Contract, head: Contract, emit: Emit): void {
  const schemes = (c: Contract) => obj(obj(obj(c.value).components).securitySchemes);
  const hSchemes = schemes(head);
  const used = usedSchemes(head);
  for (const [name, bJson] of Object.entries(schemes(base))) {
    const hJson = hSchemes[name];
    if (!isObj(bJson) || !isObj(hJson) || !used.has(name)) continue;
    const [b, h] = [bJson, hJson];
    const where = (key: string) => ({ pointer: ['components', 'securitySchemes', name, key], head: h, key });
    if (b.type !== h.type) {
      emit('api-security-component-type-changed', where('type'), `the security scheme ${q(name)} changed its type from ${String(b.type)} to ${String(h.type)}`);
      continue;
    }
    for (const key of ['in', 'name', 'scheme', 'openIdConnectUrl']) {
      const [bv, hv] = [b[key], h[key]];
      const same = key === 'scheme' ? String(bv ?? '').toLowerCase() === String(hv ?? '').toLowerCase() : bv === hv;
      if (!same) emit('api-security-component-changed', where(key), `the security scheme ${q(name)} changed ${key} from ${String(bv)} to ${String(hv)}`);
    }
    if (b.bearerFormat !== h.bearerFormat && b.bearerFormat !== undefined) emit('api-security-component-bearer-format-changed', where('bearerFormat'), `the security scheme ${q(name)} changed its bearer format from ${String(b.bearerFormat)} to ${String(h.bearerFormat)}`);
    const bFlows = obj(b.flows);
    const hFlows = obj(h.flows);
    for (const [flow, bfJson] of Object.entries(bFlows)) {
      const bf = obj(bfJson);
      const hf = obj(hFlows[flow]);
      for (const key of ['authorizationUrl', 'tokenUrl', 'refreshUrl']) {
        if (bf[key] !== undefined && bf[key] !== hf[key]) emit('api-security-component-oauth-url-changed', { pointer: ['components', 'securitySchemes', name, 'flows', flow, key], head: isObj(hFlows[flow]) ? hf : h, key }, `the ${flow} flow of the security scheme ${q(name)} changed ${key} from ${String(bf[key])} to ${String(hf[key])}`);
      }
      const hScopes = obj(hf.scopes);
      for (const scope of Object.keys(obj(bf.scopes))) {
        if (!(scope in hScopes)) emit('api-security-component-oauth-scope-removed', { pointer: ['components', 'securitySchemes', name, 'flows', flow, 'scopes'], head: isObj(hFlows[flow]) ? hf : h, key: 'scopes' }, `the ${flow} flow of the security scheme ${q(name)} no longer offers the scope ${q(scope)}`);
      }
    }
  }
}

function usedSchemes(c: Contract): Set<string> {
  const out = new Set<string>();
  const add = (list: Json | undefined) => {
    if (Array.isArray(list)) for (const r of list) if (isObj(r)) for (const k of Object.keys(r)) out.add(k);
  };
  const doc = obj(c.value);
  add(doc.security);
  for (const section of ['paths', 'webhooks']) for (const item of Object.values(obj(doc[section]))) for (const m of METHODS) add(obj(obj(item)[m]).security);
  return out;
}
