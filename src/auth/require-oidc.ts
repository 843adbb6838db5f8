import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DriftGuardError } from '../errors.ts';
import type { AuthSettings } from '../policy/schema.ts';
import { oidcAvailable, oidcConfigured } from './oidc-env.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const SETUP = {
  aws: 'set AWS_ROLE_TO_ASSUME (or auth.aws.role_arn) to a role that trusts token.actions.githubusercontent.com, and give the job `permissions: id-token: write`',
  azure: 'add a federated credential for this repository to the app registration, set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID, and give the job `permissions: id-token: write`',
  gcp: 'create a workload identity pool provider for GitHub, set GCP_WORKLOAD_IDENTITY_PROVIDER and GCP_SERVICE_ACCOUNT, and give the job `permissions: id-token: write`',
};

const NO_TOKEN = 'give the job `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL is not set)';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The `type` of a Google credentials JSON file, or undefined when it is unreadable or not JSON. */
function googleFileType(path: string): string | undefined {
  try {
    return (JSON.parse(readText(path) ?? '') as { type?: string }).type;
  } catch {
    return undefined;
  }
}

/** INI sections (`[default]`, `[profile ci]`) with their keys, lowercased; values are never kept. */
function iniSections(text: string): Map<string, Set<string>> {
  const sections = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = new Set();
      sections.set(section[1]!, current);
      continue;
    }
    const key = /^([A-Za-z0-9_.-]+)\s*=/.exec(line);
    if (key && current) current.add(key[1]!.toLowerCase());
  }
  return sections;
}

function home(env: Env): string {
  return env.HOME || env.USERPROFILE || homedir();
}

/**
 * AWS long-lived credentials the default chain would find in the shared credentials and config
 * files: access keys without a session token, and `credential_process` commands. Each entry names
 * the file and the profile.
 */
function awsFileCredentials(env: Env): string[] {
  const found: string[] = [];
  // A path from AWS_SHARED_CREDENTIALS_FILE is redacted in output (a credential-like variable), so
  // the variable is named too.
  const files = [
    { path: env.AWS_SHARED_CREDENTIALS_FILE || join(home(env), '.aws', 'credentials'), kind: `the AWS shared credentials file${env.AWS_SHARED_CREDENTIALS_FILE ? ', from AWS_SHARED_CREDENTIALS_FILE' : ''}` },
    { path: env.AWS_CONFIG_FILE || join(home(env), '.aws', 'config'), kind: `the AWS shared config file${env.AWS_CONFIG_FILE ? ', from AWS_CONFIG_FILE' : ''}` },
  ];
  for (const { path, kind } of files) {
    const text = readText(path);
    if (text === undefined) continue;
    for (const [section, keys] of iniSections(text)) {
      if (keys.has('aws_access_key_id') && !keys.has('aws_session_token')) found.push(`${path} [${section}] (${kind}) holds a long-lived access key (aws_access_key_id): ${SETUP.aws}`);
      if (keys.has('credential_process')) found.push(`${path} [${section}] (${kind}) runs credential_process (process credentials): ${SETUP.aws}`);
    }
  }
  return found;
}

/**
 * Every long-lived cloud credential the SDKs' default chains (and Terraform) would pick up: AWS
 * keys in the environment, the shared credentials and config files and process credentials;
 * Azure client secrets, certificates and passwords; Google service-account keys and user refresh
 * tokens (GOOGLE_APPLICATION_CREDENTIALS or gcloud's application default credentials file).
 * Each entry says where it was found and how to set up federation instead; no value is ever read
 * into a message.
 */
export function findStaticCredentials(env: Env): string[] {
  const problems: string[] = [];
  if (env.AWS_ACCESS_KEY_ID && !env.AWS_SESSION_TOKEN) problems.push(`AWS_ACCESS_KEY_ID holds a long-lived access key: ${SETUP.aws}`);
  if (env.AWS_SECRET_ACCESS_KEY && !env.AWS_SESSION_TOKEN && !env.AWS_ACCESS_KEY_ID) problems.push(`AWS_SECRET_ACCESS_KEY is set: ${SETUP.aws}`);
  problems.push(...awsFileCredentials(env));
  if (env.AZURE_CLIENT_SECRET) problems.push(`AZURE_CLIENT_SECRET is a client secret: ${SETUP.azure}`);
  if (env.AZURE_CLIENT_CERTIFICATE_PATH) problems.push(`AZURE_CLIENT_CERTIFICATE_PATH is a client certificate: ${SETUP.azure}`);
  if (env.AZURE_PASSWORD) problems.push(`AZURE_PASSWORD is a user password: ${SETUP.azure}`);
  const google = [
    ...(env.GOOGLE_APPLICATION_CREDENTIALS ? [{ path: env.GOOGLE_APPLICATION_CREDENTIALS, where: `GOOGLE_APPLICATION_CREDENTIALS points at ${env.GOOGLE_APPLICATION_CREDENTIALS}` }] : []),
    { path: join(env.CLOUDSDK_CONFIG || join(home(env), '.config', 'gcloud'), 'application_default_credentials.json'), where: '' },
  ];
  for (const { path, where } of google) {
    const type = googleFileType(path);
    const at = where || `${path} (gcloud application default credentials)`;
    if (type === 'service_account') problems.push(`${at}, a service-account key file: ${SETUP.gcp}`);
    if (type === 'authorized_user') problems.push(`${at}, a user's long-lived refresh token: ${SETUP.gcp}`);
  }
  return problems;
}

/**
 * Where OIDC is required (see `oidcRequired`), run before a module that uses cloud credentials:
 * refuses long-lived credentials wherever the default chains would find them (each refusal names
 * the place), and a cloud set up for federation when the job has no OIDC token. Throws
 * DriftGuardError `auth_refused` (exit 2); returns nothing when all is well.
 */
export function refuseStaticCredentials(env: Env, auth?: AuthSettings): void {
  const where = env.GITHUB_ACTIONS === 'true' ? 'auth.require_oidc is on inside GitHub Actions' : 'auth.require_oidc is always';
  const problems = findStaticCredentials(env);
  const configured = auth ? oidcConfigured(env, auth) : env.AWS_ROLE_TO_ASSUME ? [`AWS role ${env.AWS_ROLE_TO_ASSUME}`] : [];
  const how = env.GITHUB_ACTIONS === 'true' ? NO_TOKEN : 'outside GitHub Actions there is none; auth.require_oidc: auto keeps the standard credential chains for local runs';
  const noToken = configured.length > 0 && !oidcAvailable(env)
    ? `${configured.join(' and ')} ${configured.length > 1 ? 'are' : 'is'} set up, but the job has no GitHub OIDC token to exchange: ${how}`
    : undefined;
  if (problems.length > 0) {
    throw new DriftGuardError('auth_refused', `static cloud credentials are refused here (${where}):`, { details: noToken ? [...problems, noToken] : problems });
  }
  if (noToken) throw new DriftGuardError('auth_refused', `no GitHub OIDC token for the cloud credentials (${where}): ${noToken}`);
}
