import type { Contract, Json, Obj } from './load-contract.ts';
import { isObj } from './load-contract.ts';
import type { Direction } from './rules.ts';

/** Where a change sits: a pointer in the resolved document, and the object it is on in either version. */
export interface Where {
  pointer: string[];
  head?: object | undefined;
  base?: object | undefined;
  key?: string | undefined;
}

export type Emit = (id: string, where: Where, message: string, direction?: Direction, operation?: string) => void;

/** What a schema describes: the body of a request or response, a parameter, a response header. */
export interface SchemaScope {
  direction: Direction;
  kind: 'body' | 'parameter' | 'header';
  /** How messages name the schema's owner: "the `limit` query parameter", "the request body". */
  owner: string;
  base: Contract;
  head: Contract;
  emit: Emit;
  /**
   * Schema pairs already compared in this diff. A component shared by many operations (or reached
   * again through a cycle) is compared once per direction and place, and reported where first met.
   */
  compared?: Map<object, Map<object, Set<string>>>;
}

const q = (v: unknown) => (typeof v === 'string' ? `\`${v}\`` : `\`${JSON.stringify(v)}\``);

function prefixOf(scope: SchemaScope, nested: boolean): string {
  if (scope.direction === 'request') {
    if (scope.kind === 'parameter') return nested ? 'request-parameter-property' : 'request-parameter';
    return nested ? 'request-property' : 'request-body';
  }
  if (scope.kind === 'header') return nested ? 'response-header-property' : 'response-header';
  return nested ? 'response-property' : 'response-body';
}

function typeList(s: Obj): string[] | undefined {
  if (typeof s.type === 'string') return [s.type];
  if (Array.isArray(s.type)) return s.type.map(String);
  return undefined;
}

type Seen = Map<object, Map<object, Set<string>>>;

export function isNullable(s: Obj): boolean {
  return s.nullable === true || (typeList(s)?.includes('null') ?? false) || ['oneOf', 'anyOf'].some((k) => Array.isArray(s[k]) && (s[k] as Json[]).some((b) => isObj(b) && b.type === 'null'));
}

const WIDER_FORMAT: Record<string, string> = { int32: 'int64', float: 'double' };

/** Properties of a schema and of its allOf branches: what a value of it carries. */
function allProperties(s: Obj, seen = new Set<object>()): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (seen.has(s)) return out;
  seen.add(s);
  if (isObj(s.properties)) for (const [k, v] of Object.entries(s.properties)) if (isObj(v)) out.set(k, v);
  if (Array.isArray(s.allOf)) for (const b of s.allOf) if (isObj(b)) for (const [k, v] of allProperties(b, seen)) if (!out.has(k)) out.set(k, v);
  return out;
}

function allRequired(s: Obj, seen = new Set<object>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(s)) return out;
  seen.add(s);
  if (Array.isArray(s.required)) for (const r of s.required) out.add(String(r));
  if (Array.isArray(s.allOf)) for (const b of s.allOf) if (isObj(b)) for (const r of allRequired(b, seen)) out.add(r);
  return out;
}

const ANNOTATIONS = new Set(['description', 'title', 'example', 'examples', 'deprecated', 'externalDocs', 'xml', '$comment', 'readOnly', 'writeOnly']);
const annotationOnly = (s: Json) => isObj(s) && Object.keys(s).every((k) => ANNOTATIONS.has(k) || k.startsWith('x-'));

/**
 * Compares two versions of a schema in one direction. `path` names the property inside the owner
 * ("data/name"), `pointer` is where the schema sits in the resolved document.
 */
export function compareSchema(base: Json | undefined, head: Json | undefined, scope: SchemaScope, pointer: string[], path = '', seen: Seen = (scope.compared ??= new Map()), depth = 0): void {
  if (!isObj(base) || !isObj(head) || base === head || depth > 1000) return;
  const nested = path !== '';
  const pairs = seen.get(base) ?? new Map<object, Set<string>>();
  seen.set(base, pairs);
  const places = pairs.get(head) ?? new Set<string>();
  pairs.set(head, places);
  const place = `${scope.direction}:${scope.kind}:${nested}`;
  if (places.has(place)) return;
  places.add(place);

  const prefix = prefixOf(scope, nested);
  const dir = scope.direction;
  const subject = nested ? `the ${q(path)} ${dir} property of ${scope.owner}` : scope.owner;
  const at = (key?: string): Where => ({ pointer: key ? [...pointer, key] : pointer, head, base, key });
  const emit = (suffix: string, key: string | undefined, message: string) => scope.emit(`${prefix}-${suffix}`, at(key), message, dir);

  // Nullability and types.
  const bn = isNullable(base);
  const hn = isNullable(head);
  if (bn && !hn) emit('became-not-nullable', 'nullable', `${subject} no longer accepts null`);
  if (!bn && hn) emit('became-nullable', 'nullable', `${subject} can now be null`);
  const bt = typeList(base)?.filter((t) => t !== 'null');
  const ht = typeList(head)?.filter((t) => t !== 'null');
  if (bt && ht && bt.length > 0 && ht.length > 0) {
    const show = (t: string[], s: Obj) => `${t.join('|')}${typeof s.format === 'string' ? `/${s.format}` : ''}`;
    if (bt.length === 1 && ht.length === 1) {
      const [b, h] = [bt[0]!, ht[0]!];
      const bf = typeof base.format === 'string' ? base.format : undefined;
      const hf = typeof head.format === 'string' ? head.format : undefined;
      const change = `${subject} changed type from ${show(bt, base)} to ${show(ht, head)}`;
      const scalar = ['number', 'integer', 'boolean'];
      if (b !== h) {
        if (b === 'integer' && h === 'number') emit('type-generalized', 'type', change);
        // Parameters travel as strings: any value is a string, not every string a number.
        else if (scope.kind === 'parameter' && h === 'string' && scalar.includes(b)) emit('type-generalized', 'type', change);
        else if (scope.kind === 'parameter' && b === 'string' && scalar.includes(h)) emit('type-specialized', 'type', change);
        else if (b === 'number' && h === 'integer') emit('type-specialized', 'type', change);
        else emit('type-changed', 'type', change);
      } else if (bf !== hf) {
        if (bf && hf && WIDER_FORMAT[bf] === hf) emit('type-generalized', 'format', change);
        else if (bf && hf && WIDER_FORMAT[hf] === bf) emit('type-specialized', 'format', change);
        else if (bf && !hf) emit('type-generalized', 'format', change);
        else if (!bf && hf) emit('type-specialized', 'format', change);
        else emit('type-changed', 'format', change);
      }
    } else {
      const lost = bt.filter((t) => !ht.includes(t) && !(t === 'integer' && ht.includes('number')));
      const gained = ht.filter((t) => !bt.includes(t) && !(t === 'integer' && bt.includes('number')));
      const change = `${subject} changed its list of types from ${bt.join('|')} to ${ht.join('|')}`;
      if (lost.length > 0 && gained.length === 0) emit('list-of-types-narrowed', 'type', change);
      else if (gained.length > 0 && lost.length === 0) emit('list-of-types-widened', 'type', change);
      else if (gained.length > 0) emit('type-changed', 'type', change);
    }
  }

  // Enums.
  const be = Array.isArray(base.enum) ? base.enum : undefined;
  const he = Array.isArray(head.enum) ? head.enum : undefined;
  const key = (v: Json) => JSON.stringify(v);
  if (be && he) {
    const hs = new Set(he.map(key));
    const bs = new Set(be.map(key));
    for (const v of be) if (!hs.has(key(v))) emit('enum-value-removed', 'enum', `the enum value ${q(v)} was removed from ${subject}`);
    for (const v of he) if (!bs.has(key(v))) emit('enum-value-added', 'enum', `the enum value ${q(v)} was added to ${subject}`);
  } else if (!be && he) emit('became-enum', 'enum', `${subject} is now restricted to ${he.map(q).join(', ')}`);
  else if (be && !he) emit('enum-removed', undefined, `${subject} is no longer restricted to an enum`);

  // Bounds.
  bound(base, head, 'minimum', 'min', 'lower', emit, subject);
  bound(base, head, 'maximum', 'max', 'upper', emit, subject);
  exclusive(base, head, 'exclusiveMinimum', 'minimum', 'exclusive-min', 'lower', emit, subject);
  exclusive(base, head, 'exclusiveMaximum', 'maximum', 'exclusive-max', 'upper', emit, subject);
  bound(base, head, 'minLength', 'min-length', 'lower', emit, subject);
  bound(base, head, 'maxLength', 'max-length', 'upper', emit, subject);
  bound(base, head, 'minItems', 'min-items', 'lower', emit, subject, 'unset');
  bound(base, head, 'maxItems', 'max-items', 'upper', emit, subject, 'unset');
  bound(base, head, 'minProperties', 'min-properties', 'lower', emit, subject);
  bound(base, head, 'maxProperties', 'max-properties', 'upper', emit, subject);
  const bm = typeof base.multipleOf === 'number' ? base.multipleOf : undefined;
  const hm = typeof head.multipleOf === 'number' ? head.multipleOf : undefined;
  if (bm !== hm) {
    const divides = (a: number, b: number) => Math.abs(a / b - Math.round(a / b)) < 1e-9;
    // Every value valid before stays valid when the old step is a multiple of the new one.
    const keepsOld = hm === undefined || (bm !== undefined && divides(bm, hm));
    const keepsNew = bm === undefined || (hm !== undefined && divides(hm, bm));
    const text = `${subject} changed multipleOf from ${bm ?? 'none'} to ${hm ?? 'none'}`;
    if (!keepsOld) emit('multiple-of-narrowed', 'multipleOf', text);
    if (!keepsNew) emit('multiple-of-widened', 'multipleOf', text);
  }
  if (base.uniqueItems !== true && head.uniqueItems === true) emit('unique-items-set', 'uniqueItems', `${subject} must now have unique items`);
  if (base.uniqueItems === true && head.uniqueItems !== true) emit('unique-items-unset', 'uniqueItems', `${subject} may now have repeated items`);

  // Pattern.
  const bp = typeof base.pattern === 'string' ? base.pattern : undefined;
  const hp = typeof head.pattern === 'string' ? head.pattern : undefined;
  if (bp !== hp) {
    if (bp === undefined) emit('pattern-added', 'pattern', `${subject} must now match the pattern ${q(hp)}`);
    else if (hp === undefined) emit('pattern-removed', 'pattern', `${subject} no longer has the pattern ${q(bp)}`);
    else if (/^\^?\.\*\$?$/.test(hp)) emit('pattern-generalized', 'pattern', `${subject} now accepts any string (pattern ${q(bp)} became ${q(hp)})`);
    else emit('pattern-changed', 'pattern', `${subject} changed its pattern from ${q(bp)} to ${q(hp)}`);
  }

  // Defaults.
  if ('default' in base || 'default' in head) {
    const b = base.default;
    const h = head.default;
    if (!('default' in base)) emit('default-value-added', 'default', `${subject} got the default ${q(h)}`);
    else if (!('default' in head)) emit('default-value-removed', 'default', `${subject} lost its default ${q(b)}`);
    else if (key(b!) !== key(h!)) emit('default-value-changed', 'default', `${subject} changed its default from ${q(b)} to ${q(h)}`);
  }

  if (base.deprecated !== true && head.deprecated === true && nested) emit('deprecated', 'deprecated', `${subject} was deprecated`);

  // additionalProperties: false forbids unknown keys; a schema or true allows them.
  const bap = base.additionalProperties;
  const hap = head.additionalProperties;
  if (bap !== false && hap === false) emit('additional-properties-removed', 'additionalProperties', `${subject} no longer allows properties beyond those listed`);
  if (bap === false && hap !== undefined && hap !== false) emit('additional-properties-added', 'additionalProperties', `${subject} now allows properties beyond those listed`);
  if (isObj(bap) && isObj(hap)) compareSchema(bap, hap, scope, [...pointer, 'additionalProperties'], `${path ? `${path}/` : ''}additionalProperties`, seen, depth + 1);

  compareProperties(base, head, scope, pointer, path, seen, depth);

  if (isObj(base.items) && isObj(head.items)) compareSchema(base.items, head.items, scope, [...pointer, 'items'], `${path ? `${path}/` : ''}items`, seen, depth + 1);
  if (isObj(base.not) && isObj(head.not)) {
    // A `not` reverses what widening means; compare it in the other direction.
    compareSchema(base.not, head.not, { ...scope, direction: dir === 'request' ? 'response' : 'request' }, [...pointer, 'not'], `${path ? `${path}/` : ''}not`, seen, depth + 1);
  }

  const sub = (b: Json | undefined, h: Json | undefined, keys: string[], label: string) => compareSchema(b, h, scope, [...pointer, ...keys], `${path ? `${path}/` : ''}${label}`, seen, depth + 1);
  for (const keyword of ['if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties', 'contentSchema']) sub(base[keyword], head[keyword], [keyword], keyword);
  for (const keyword of ['patternProperties', 'dependentSchemas']) {
    if (isObj(base[keyword]) && isObj(head[keyword])) for (const [k, v] of Object.entries(base[keyword])) sub(v, (head[keyword] as Obj)[k], [keyword, k], `${keyword}[${k}]`);
  }
  if (Array.isArray(base.prefixItems) && Array.isArray(head.prefixItems)) base.prefixItems.forEach((v, i) => sub(v, (head.prefixItems as Json[])[i], ['prefixItems', String(i)], `prefixItems[${i}]`));

  // The discriminator is how both sides pick a variant.
  const bd = isObj(base.discriminator) ? base.discriminator : undefined;
  const hd = isObj(head.discriminator) ? head.discriminator : undefined;
  if (!bd && hd) emit('discriminator-added', 'discriminator', `${subject} got the discriminator ${q(hd.propertyName)}`);
  else if (bd && !hd) emit('discriminator-removed', undefined, `${subject} lost the discriminator ${q(bd.propertyName)}`);
  else if (bd && hd) {
    if (bd.propertyName !== hd.propertyName) emit('discriminator-property-name-changed', 'discriminator', `${subject} changed its discriminator from ${q(bd.propertyName)} to ${q(hd.propertyName)}`);
    const bMap = isObj(bd.mapping) ? bd.mapping : {};
    const hMap = isObj(hd.mapping) ? hd.mapping : {};
    for (const [value, target] of Object.entries(bMap)) {
      if (!(value in hMap)) emit('discriminator-mapping-deleted', 'discriminator', `${subject} no longer maps the discriminator value ${q(value)}`);
      else if (hMap[value] !== target) emit('discriminator-mapping-changed', 'discriminator', `${subject} maps the discriminator value ${q(value)} to ${q(hMap[value])} instead of ${q(target)}`);
    }
    for (const value of Object.keys(hMap)) if (!(value in bMap)) emit('discriminator-mapping-added', 'discriminator', `${subject} now maps the discriminator value ${q(value)}`);
  }

  // A schema that becomes a oneOf of alternatives rejects values that match more than one of them.
  if (!Array.isArray(base.oneOf) && Array.isArray(head.oneOf) && head.oneOf.length > 1 && (base.type !== undefined || isObj(base.properties))) {
    emit('wrapped-in-one-of', 'oneOf', `${subject} was wrapped in a oneOf of ${head.oneOf.length} alternatives`);
  }

  for (const [keyword, name] of [['allOf', 'all-of'], ['oneOf', 'one-of'], ['anyOf', 'any-of']] as const) {
    compareBranches(base, head, keyword, name, scope, pointer, path, seen, depth, emit, subject);
  }
}

function bound(base: Obj, head: Obj, keyword: string, name: string, side: 'lower' | 'upper', emit: (suffix: string, key: string | undefined, message: string) => void, subject: string, unset = 'removed'): void {
  const b = typeof base[keyword] === 'number' ? (base[keyword] as number) : undefined;
  const h = typeof head[keyword] === 'number' ? (head[keyword] as number) : undefined;
  if (b === h) return;
  const text = `${subject} changed ${keyword} from ${b ?? 'none'} to ${h ?? 'none'}`;
  if (b === undefined) emit(`${name}-set`, keyword, text);
  else if (h === undefined) emit(`${name}-${unset}`, undefined, text);
  else if (side === 'lower') emit(h > b ? `${name}-increased` : `${name}-decreased`, keyword, text);
  else emit(h < b ? `${name}-decreased` : `${name}-increased`, keyword, text);
}

/** exclusiveMinimum/Maximum: a number in OpenAPI 3.1 and JSON Schema, a flag on minimum/maximum in 3.0. */
function exclusive(base: Obj, head: Obj, keyword: string, plain: string, name: string, side: 'lower' | 'upper', emit: (suffix: string, key: string | undefined, message: string) => void, subject: string): void {
  const value = (s: Obj) => (typeof s[keyword] === 'number' ? (s[keyword] as number) : s[keyword] === true && typeof s[plain] === 'number' ? (s[plain] as number) : undefined);
  const b = value(base);
  const h = value(head);
  if (b === h) {
    return;
  }
  const text = `${subject} changed ${keyword} from ${b ?? 'none'} to ${h ?? 'none'}`;
  // A flag switched on over the same bound tightens it; switched off, it widens it.
  if (b === undefined) emit(base[plain] === h && typeof h === 'number' ? `${name}-${side === 'lower' ? 'increased' : 'decreased'}` : `${name}-set`, keyword, text);
  else if (h === undefined) emit(head[plain] === b ? `${name}-${side === 'lower' ? 'decreased' : 'increased'}` : `${name}-removed`, undefined, text);
  else if (side === 'lower') emit(h > b ? `${name}-increased` : `${name}-decreased`, keyword, text);
  else emit(h < b ? `${name}-decreased` : `${name}-increased`, keyword, text);
}

function compareProperties(base: Obj, head: Obj, scope: SchemaScope, pointer: string[], path: string, seen: Seen, depth: number): void {
  const dir = scope.direction;
  // A readOnly property is never sent in a request; a writeOnly one never comes back in a response.
  const hidden = (s: Obj) => (dir === 'request' ? s.readOnly === true : s.writeOnly === true);
  const bProps = allProperties(base);
  const hProps = allProperties(head);
  const bReq = allRequired(base);
  const hReq = allRequired(head);
  const ownB = isObj(base.properties) ? base.properties : {};
  const ownH = isObj(head.properties) ? head.properties : {};
  const name = (p: string) => `${path ? `${path}/` : ''}${p}`;
  const whereProp = (p: string, side: 'base' | 'head'): Where => {
    const owner = side === 'head' ? head : base;
    const props = isObj(owner.properties) && p in owner.properties ? owner.properties : undefined;
    return { pointer: [...pointer, 'properties', p], head: side === 'head' ? (props ?? head) : undefined, base: side === 'base' ? (props ?? base) : undefined, key: props ? p : 'properties' };
  };
  const owner = scope.owner;
  const names = new Set([...bProps.keys(), ...hProps.keys(), ...bReq, ...hReq]);
  for (const p of names) {
    const b = bProps.get(p);
    const h = hProps.get(p);
    const bVisible = b ? !hidden(b) : bReq.has(p);
    const hVisible = h ? !hidden(h) : hReq.has(p);
    const bRequired = bReq.has(p) && bVisible;
    const hRequired = hReq.has(p) && hVisible;
    const label = `${q(name(p))}`;
    if (dir === 'request') {
      if (!b && h && hVisible) scope.emit(hRequired ? 'new-required-request-property' : 'new-optional-request-property', whereProp(p, 'head'), `added the ${hRequired ? 'required' : 'optional'} request property ${label} to ${owner}`, dir);
      else if (b && !h && bVisible) scope.emit('request-property-removed', whereProp(p, 'base'), `removed the request property ${label} from ${owner}`, dir);
      else if (b && h) {
        if (!bRequired && hRequired) scope.emit('request-property-became-required', { pointer: [...pointer, 'required'], head, key: 'required' }, `the request property ${label} of ${owner} became required`, dir);
        if (bRequired && !hRequired) scope.emit('request-property-became-optional', { pointer: [...pointer, 'required'], head, key: 'required' }, `the request property ${label} of ${owner} became optional`, dir);
        if (b.readOnly !== true && h.readOnly === true) scope.emit('request-property-became-read-only', whereProp(p, 'head'), `the request property ${label} of ${owner} became readOnly`, dir);
      } else if (!b && !h) {
        if (!bRequired && hRequired) scope.emit('request-property-became-required', { pointer: [...pointer, 'required'], head, key: 'required' }, `the request property ${label} of ${owner} became required`, dir);
      }
    } else {
      if (!b && h && hVisible) scope.emit(hRequired ? 'response-required-property-added' : 'response-optional-property-added', whereProp(p, 'head'), `added the ${hRequired ? 'required' : 'optional'} response property ${label} to ${owner}`, dir);
      else if (b && !h && bVisible) scope.emit(bRequired ? 'response-required-property-removed' : 'response-optional-property-removed', whereProp(p, 'base'), `removed the ${bRequired ? 'required' : 'optional'} response property ${label} from ${owner}`, dir);
      else if (b && h) {
        if (bRequired && !hRequired) {
          if (hidden(h)) scope.emit('response-property-became-write-only', whereProp(p, 'head'), `the response property ${label} of ${owner} became writeOnly and is no longer returned`, dir);
          else scope.emit('response-property-became-optional', { pointer: [...pointer, 'required'], head, key: 'required' }, `the response property ${label} of ${owner} became optional`, dir);
        }
        if (!bRequired && hRequired) scope.emit('response-property-became-required', { pointer: [...pointer, 'required'], head, key: 'required' }, `the response property ${label} of ${owner} became required`, dir);
      } else if (!b && !h && bRequired && !hRequired) {
        scope.emit('response-property-became-optional', { pointer: [...pointer, 'required'], head, key: 'required' }, `the response property ${label} of ${owner} became optional`, dir);
      }
    }
    // Recurse where the property is declared on this schema itself in both versions; allOf
    // branches are compared branch by branch below.
    if (isObj(ownB[p]) && isObj(ownH[p])) compareSchema(ownB[p], ownH[p], scope, [...pointer, 'properties', p], name(p), seen, depth + 1);
    else if (b && h && !(p in ownB && p in ownH) && !inSameBranch(base, head, p)) compareSchema(b, h, scope, [...pointer, 'properties', p], name(p), seen, depth + 1);
  }
}

/** Whether a property comes from allOf branches in both versions (then the branch comparison covers it). */
function inSameBranch(base: Obj, head: Obj, p: string): boolean {
  const inBranch = (s: Obj) => Array.isArray(s.allOf) && s.allOf.some((b) => isObj(b) && allProperties(b).has(p));
  return inBranch(base) && inBranch(head);
}

function compareBranches(base: Obj, head: Obj, keyword: 'allOf' | 'oneOf' | 'anyOf', name: string, scope: SchemaScope, pointer: string[], path: string, seen: Seen, depth: number, emit: (suffix: string, key: string | undefined, message: string) => void, subject: string): void {
  const bb = Array.isArray(base[keyword]) ? (base[keyword] as Json[]).filter(isObj) : [];
  const hb = Array.isArray(head[keyword]) ? (head[keyword] as Json[]).filter(isObj) : [];
  if (bb.length === 0 && hb.length === 0) return;
  // Wrapping a schema in a oneOf is its own rule; its new branches are not "added" ones.
  if (keyword === 'oneOf' && bb.length === 0 && (base.type !== undefined || isObj(base.properties))) return;
  const label = (s: Obj, c: Contract) => c.refName(s) ?? (typeof s.title === 'string' ? s.title : undefined);
  const matched: Array<[Obj, Obj, number]> = [];
  const restB = new Set(bb.map((_, i) => i));
  const restH = new Set(hb.map((_, i) => i));
  const pair = (i: number, j: number) => {
    matched.push([bb[i]!, hb[j]!, j]);
    restB.delete(i);
    restH.delete(j);
  };
  // By identity of the referenced component, then by name, then by discriminating value, then by position.
  for (const i of [...restB]) {
    const l = label(bb[i]!, scope.base);
    if (l === undefined) continue;
    const j = [...restH].find((j) => label(hb[j]!, scope.head) === l);
    if (j !== undefined) pair(i, j);
  }
  for (const i of [...restB]) {
    const fp = fingerprint(bb[i]!);
    const j = [...restH].find((j) => fingerprint(hb[j]!) === fp && label(hb[j]!, scope.head) === undefined);
    if (j !== undefined) pair(i, j);
  }
  const ub = [...restB].filter((i) => label(bb[i]!, scope.base) === undefined);
  const uh = [...restH].filter((j) => label(hb[j]!, scope.head) === undefined);
  if (ub.length === uh.length) ub.forEach((i, k) => pair(i, uh[k]!));
  const show = (s: Obj, c: Contract, i: number) => label(s, c) ?? `${keyword}[${i}]`;
  for (const j of restH) {
    const s = hb[j]!;
    const annotation = keyword === 'allOf' && annotationOnly(s);
    emit(`${name}-added${annotation ? '-annotation-only' : ''}`, keyword, `added the ${keyword} subschema ${q(show(s, scope.head, j))} to ${subject}`);
  }
  for (const i of restB) emit(`${name}-removed`, keyword, `removed the ${keyword} subschema ${q(show(bb[i]!, scope.base, i))} from ${subject}`);
  for (const [b, h, j] of matched) {
    compareSchema(b, h, scope, [...pointer, keyword, String(j)], path ? `${path}/${keyword}[${show(h, scope.head, j)}]` : '', seen, depth + 1);
  }
}

/** A short structural key for matching anonymous branches: their type and property names. */
function fingerprint(s: Obj): string {
  const props = isObj(s.properties) ? Object.keys(s.properties).sort().join(',') : '';
  const type = typeof s.type === 'string' ? s.type : Array.isArray(s.type) ? s.type.join('|') : '';
  return `${type}:${props}:${Array.isArray(s.enum) ? 'enum' : ''}`;
}
