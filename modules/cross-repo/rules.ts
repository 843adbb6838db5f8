/**
 * Rule ids and levels of the contract diff. Ids follow oasdiff's check names where oasdiff has
 * one, so a finding can be looked up in either tool's documentation.
 *
 * Schema rules are written as a suffix; the id is the place of the schema plus the suffix:
 * `request-body-`, `request-property-`, `request-parameter-`, `request-parameter-property-`,
 * `response-body-`, `response-property-`, `response-header-`. The level depends on the direction:
 * the server reads requests (tightening breaks clients), clients read responses (widening breaks them).
 */
export type Level = 'breaking' | 'warning' | 'info';
export type Direction = 'request' | 'response';

/** Schema rule suffix -> [level in a request, level in a response]. */
export const SCHEMA_RULES: Record<string, readonly [Level, Level, string]> = {
  'became-nullable': ['info', 'breaking', 'null is now allowed'],
  'became-not-nullable': ['breaking', 'info', 'null is no longer allowed'],
  'type-changed': ['breaking', 'breaking', 'the type or format changed'],
  'type-generalized': ['info', 'breaking', 'the type or format was widened (integer to number, int32 to int64)'],
  'type-specialized': ['breaking', 'info', 'the type or format was narrowed (number to integer, int64 to int32)'],
  'list-of-types-narrowed': ['breaking', 'info', 'a type was removed from a list of types'],
  'list-of-types-widened': ['info', 'breaking', 'a type was added to a list of types'],
  'enum-value-removed': ['breaking', 'info', 'an enum value was removed'],
  'enum-value-added': ['info', 'breaking', 'an enum value was added (clients that switch over the values break)'],
  'became-enum': ['breaking', 'info', 'the values are now restricted to an enum'],
  'enum-removed': ['info', 'warning', 'the enum restriction was removed'],
  'min-increased': ['breaking', 'info', 'minimum raised'],
  'min-decreased': ['info', 'breaking', 'minimum lowered'],
  'min-set': ['warning', 'info', 'a minimum was set'],
  'min-removed': ['info', 'breaking', 'the minimum was removed'],
  'max-decreased': ['breaking', 'info', 'maximum lowered'],
  'max-increased': ['info', 'breaking', 'maximum raised'],
  'max-set': ['warning', 'info', 'a maximum was set'],
  'max-removed': ['info', 'breaking', 'the maximum was removed'],
  'exclusive-min-increased': ['breaking', 'info', 'exclusive minimum raised'],
  'exclusive-min-decreased': ['info', 'breaking', 'exclusive minimum lowered'],
  'exclusive-min-set': ['warning', 'info', 'an exclusive minimum was set'],
  'exclusive-min-removed': ['info', 'breaking', 'the exclusive minimum was removed'],
  'exclusive-max-decreased': ['breaking', 'info', 'exclusive maximum lowered'],
  'exclusive-max-increased': ['info', 'breaking', 'exclusive maximum raised'],
  'exclusive-max-set': ['warning', 'info', 'an exclusive maximum was set'],
  'exclusive-max-removed': ['info', 'breaking', 'the exclusive maximum was removed'],
  'min-length-increased': ['breaking', 'info', 'minLength raised'],
  'min-length-decreased': ['info', 'breaking', 'minLength lowered'],
  'min-length-set': ['warning', 'info', 'a minLength was set'],
  'min-length-removed': ['info', 'breaking', 'the minLength was removed'],
  'max-length-decreased': ['breaking', 'info', 'maxLength lowered'],
  'max-length-increased': ['info', 'breaking', 'maxLength raised'],
  'max-length-set': ['warning', 'info', 'a maxLength was set'],
  'max-length-removed': ['info', 'breaking', 'the maxLength was removed'],
  'min-items-increased': ['breaking', 'info', 'minItems raised'],
  'min-items-decreased': ['info', 'breaking', 'minItems lowered'],
  'min-items-set': ['warning', 'info', 'a minItems was set'],
  'min-items-unset': ['info', 'breaking', 'the minItems was removed'],
  'max-items-decreased': ['breaking', 'info', 'maxItems lowered'],
  'max-items-increased': ['info', 'breaking', 'maxItems raised'],
  'max-items-set': ['warning', 'info', 'a maxItems was set'],
  'max-items-unset': ['info', 'breaking', 'the maxItems was removed'],
  'multiple-of-narrowed': ['breaking', 'info', 'multipleOf changed so that some values valid before are not'],
  'multiple-of-widened': ['info', 'breaking', 'multipleOf changed so that values invalid before are now allowed'],
  'unique-items-set': ['breaking', 'info', 'items must now be unique'],
  'unique-items-unset': ['info', 'breaking', 'items may now repeat'],
  'pattern-added': ['breaking', 'info', 'a pattern was added'],
  'pattern-changed': ['warning', 'info', 'the pattern changed'],
  'pattern-generalized': ['info', 'warning', 'the pattern now accepts any string'],
  'pattern-removed': ['info', 'warning', 'the pattern was removed'],
  'additional-properties-removed': ['breaking', 'info', 'additional properties are no longer allowed'],
  'additional-properties-added': ['info', 'warning', 'additional properties are now allowed'],
  'default-value-added': ['info', 'info', 'a default value was added'],
  'default-value-changed': ['info', 'info', 'the default value changed'],
  'default-value-removed': ['info', 'info', 'the default value was removed'],
  'became-read-only': ['info', 'info', 'the property became readOnly'],
  'became-write-only': ['info', 'breaking', 'the property became writeOnly (no longer returned)'],
  'became-not-read-only': ['info', 'info', 'the property is no longer readOnly'],
  'deprecated': ['info', 'info', 'the schema was deprecated'],
  'all-of-added': ['breaking', 'info', 'an allOf subschema was added (values must satisfy it too)'],
  'all-of-added-annotation-only': ['info', 'info', 'an allOf subschema with annotations only was added'],
  'all-of-removed': ['warning', 'info', 'an allOf subschema was removed'],
  'one-of-added': ['info', 'breaking', 'a oneOf subschema was added'],
  'one-of-removed': ['breaking', 'info', 'a oneOf subschema was removed'],
  'any-of-added': ['info', 'info', 'an anyOf subschema was added'],
  'any-of-removed': ['breaking', 'info', 'an anyOf subschema was removed'],
  'wrapped-in-one-of': ['breaking', 'breaking', 'the schema became a oneOf of alternatives (a value matching several is rejected, and readers must handle each)'],
};

/**
 * Rules that are not schema suffixes, and schema ids whose level differs from their family.
 * Parameter defaults are a server-side behaviour a client relies on when it omits the parameter.
 */
export const RULES: Record<string, readonly [Level, string]> = {
  'contract-file-removed': ['breaking', 'the contract file was deleted'],
  'api-path-removed-without-deprecation': ['breaking', 'a path was removed without being deprecated first'],
  'api-path-removed-with-deprecation': ['info', 'a deprecated path was removed'],
  'api-removed-without-deprecation': ['breaking', 'an operation was removed without being deprecated first'],
  'api-removed-with-deprecation': ['info', 'a deprecated operation was removed'],
  'endpoint-added': ['info', 'an operation was added'],
  'endpoint-deprecated': ['info', 'an operation was deprecated'],
  'endpoint-reactivated': ['info', 'an operation is no longer deprecated'],
  'new-required-request-parameter': ['breaking', 'a new required parameter'],
  'new-request-path-parameter': ['breaking', 'a new path parameter'],
  'new-optional-request-parameter': ['info', 'a new optional parameter'],
  'request-parameter-removed': ['warning', 'a parameter was removed (the server ignores it now)'],
  'request-parameter-removed-with-deprecation': ['info', 'a deprecated parameter was removed'],
  'request-parameter-became-required': ['breaking', 'a parameter became required'],
  'request-parameter-became-optional': ['info', 'a parameter became optional'],
  'request-parameter-deprecated': ['info', 'a parameter was deprecated'],
  'request-parameter-default-value-changed': ['breaking', 'the default of a parameter changed'],
  'request-parameter-default-value-added': ['breaking', 'a parameter got a default'],
  'request-parameter-default-value-removed': ['breaking', 'the default of a parameter was removed'],
  'request-parameter-media-type-removed': ['breaking', 'a parameter media type was removed'],
  'request-body-added-required': ['breaking', 'a required request body was added'],
  'request-body-added-optional': ['info', 'an optional request body was added'],
  'request-body-removed': ['breaking', 'the request body was removed'],
  'request-body-became-required': ['breaking', 'the request body became required'],
  'request-body-became-optional': ['info', 'the request body became optional'],
  'request-body-media-type-removed': ['breaking', 'a request media type was removed'],
  'request-body-media-type-added': ['info', 'a request media type was added'],
  'new-required-request-property': ['breaking', 'a new required request property'],
  'new-optional-request-property': ['info', 'a new optional request property'],
  'request-property-removed': ['warning', 'a request property was removed (the server ignores it now)'],
  'request-property-became-required': ['breaking', 'a request property became required'],
  'request-property-became-optional': ['info', 'a request property became optional'],
  'response-success-status-removed': ['breaking', 'a success response status was removed'],
  'response-non-success-status-removed': ['info', 'a non-success response status was removed'],
  'response-success-status-added': ['info', 'a success response status was added'],
  'response-non-success-status-added': ['info', 'a non-success response status was added'],
  'response-media-type-removed': ['breaking', 'a response media type was removed'],
  'response-media-type-added': ['info', 'a response media type was added'],
  'response-required-property-removed': ['breaking', 'a required response property was removed'],
  'response-optional-property-removed': ['warning', 'an optional response property was removed'],
  'response-required-property-added': ['info', 'a required response property was added'],
  'response-optional-property-added': ['info', 'an optional response property was added'],
  'response-property-became-optional': ['breaking', 'a response property is no longer always present'],
  'response-property-became-required': ['info', 'a response property is now always present'],
  'required-response-header-removed': ['breaking', 'a required response header was removed'],
  'optional-response-header-removed': ['warning', 'an optional response header was removed'],
  'response-header-became-optional': ['breaking', 'a response header is no longer always sent'],
  'api-security-added': ['warning', 'the operation now requires credentials it did not before'],
  'api-security-removed': ['warning', 'a security requirement of the operation was removed'],
  'api-security-alternative-added': ['info', 'a further way to authenticate was added'],
  'api-security-scope-added': ['warning', 'a security requirement needs more scopes'],
  'api-security-scope-removed': ['info', 'a security requirement needs fewer scopes'],
  'api-schema-removed': ['info', 'a component schema was removed'],
};

export function levelOf(id: string, direction?: Direction): Level {
  const fixed = RULES[id];
  if (fixed) return fixed[0];
  for (const [suffix, [request, response]] of Object.entries(SCHEMA_RULES)) {
    if (id.endsWith(`-${suffix}`)) return (direction ?? (id.startsWith('response') ? 'response' : 'request')) === 'request' ? request : response;
  }
  return 'warning';
}
