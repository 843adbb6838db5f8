import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { IdentityServer } from '../helpers/clouds/identity.ts';
import { MotoServer } from '../helpers/clouds/moto.ts';

// A stand-in for the terraform binary that writes down, for each command, which AWS variables it
// was given: names and whether set, never values (the real binary is driven in
// tests/janitor/terraform-oidc.test.ts). Whether the access key is the ambient one is compared
// inside the script.
const NAMES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
];
const AMBIENT_KEY_ID = 'ASIAAMBIENTRUNNER001';
const ROLE = 'arn:aws:iam::123456789012:role/driftguard-drift';

let moto: MotoServer;
let identity: IdentityServer;
let root: string;

beforeAll(async () => {
  moto = await new MotoServer().start();
  identity = await new IdentityServer().start();
});
afterAll(async () => {
  await identity?.stop();
  await moto?.stop();
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dg-drift-creds-'));
  mkdirSync(join(root, 'stacks', 'web'), { recursive: true });
  mkdirSync(join(root, 'home'), { recursive: true });
  const dump = join(root, 'seen');
  const fake = join(root, 'fake-terraform');
  const lines = NAMES.map((n) => `echo "${n}=\${${n}+set}"`).join('\n  ');
  writeFileSync(
    fake,
    `#!/bin/sh
{
  echo "command=$1"
  ${lines}
  echo "AWS_SHARED_CREDENTIALS_FILE=$( [ "$AWS_SHARED_CREDENTIALS_FILE" = /dev/null ] && echo null || echo "\${AWS_SHARED_CREDENTIALS_FILE+set}" )"
  echo "AWS_CONFIG_FILE=$( [ "$AWS_CONFIG_FILE" = /dev/null ] && echo null || echo "\${AWS_CONFIG_FILE+set}" )"
  echo "AWS_EC2_METADATA_DISABLED=\${AWS_EC2_METADATA_DISABLED+set}\${AWS_EC2_METADATA_DISABLED:+:$AWS_EC2_METADATA_DISABLED}"
  echo "AWS_REGION=\${AWS_REGION:-}"
  echo "key=$( [ "$AWS_ACCESS_KEY_ID" = "${AMBIENT_KEY_ID}" ] && echo ambient || echo other )"
} >> "${dump}"
case "$1" in
  init) exit 0 ;;
  plan) for a in "$@"; do case "$a" in -out=*) : > "\${a#-out=}" ;; esac; done; exit 0 ;;
  show) echo '{"format_version":"1.2","terraform_version":"1.11.4","planned_values":{"root_module":{}},"resource_changes":[]}' ;;
esac
`,
  );
  chmodSync(fake, 0o755);
  writeFileSync(
    join(root, 'policy.yaml'),
    `version: 1
dry_run: false
audit: { dir: audit }
auth:
  aws: { sts_endpoint: "${moto.url}" }
workflows:
  schedule: [drift]
modules:
  drift:
    binary: ${fake}
    issues: { enabled: false }
    stacks:
      - { name: web, dir: stacks/web, environment: prod, region: eu-west-1 }
`,
  );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** What the stand-in saw, the same for every command (init, plan, show), as name -> set/''/... */
function seen(): Record<string, string> {
  const each = readFileSync(join(root, 'seen'), 'utf8').split('command=').filter(Boolean).map((block) => Object.fromEntries(block.trim().split('\n').slice(1).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])));
  for (const other of each.slice(1)) expect(other).toEqual(each[0]);
  return each[0]!;
}
const commands = () => readFileSync(join(root, 'seen'), 'utf8').split('\n').filter((l) => l.startsWith('command=')).map((l) => l.slice(8));

/** Every ambient source a runner may hold: a profile, session keys, container and instance endpoints, a token file. */
const AMBIENT = {
  AWS_PROFILE: 'runner',
  AWS_DEFAULT_PROFILE: 'runner',
  AWS_ACCESS_KEY_ID: AMBIENT_KEY_ID,
  AWS_SECRET_ACCESS_KEY: 'ambient-secret-key-not-ours-0000000000000',
  AWS_SESSION_TOKEN: 'ambient-session-token-not-ours',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:9/creds',
  AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/not-there-token',
  AWS_ROLE_ARN: 'arn:aws:iam::222222222222:role/runner',
  AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
};

describe("drift's terraform commands and AWS credentials", () => {
  it('where OIDC is in use, every command gets the role session and region, and every ambient source is switched off', async () => {
    const { code, stdout, stderr } = await runCli(['run', '--event', 'schedule'], {
      cwd: root,
      env: {
        ...AMBIENT,
        GITHUB_ACTIONS: 'true',
        HOME: join(root, 'home'),
        ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.url}/actions/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: identity.requestToken,
        AWS_ROLE_TO_ASSUME: ROLE,
      },
    });
    expect(commands(), stdout + stderr).toEqual(['init', 'plan', 'show']);
    expect(seen()).toEqual({
      AWS_ACCESS_KEY_ID: 'set',
      AWS_SECRET_ACCESS_KEY: 'set',
      AWS_SESSION_TOKEN: 'set',
      AWS_PROFILE: '',
      AWS_DEFAULT_PROFILE: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
      AWS_ROLE_ARN: '',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: '',
      AWS_SHARED_CREDENTIALS_FILE: 'null',
      AWS_CONFIG_FILE: 'null',
      AWS_EC2_METADATA_DISABLED: 'set:true',
      AWS_REGION: 'eu-west-1',
      key: 'other',
    });
    expect(stdout + stderr).not.toContain(AMBIENT.AWS_SECRET_ACCESS_KEY);
    expect(code, stdout + stderr).toBe(0);
  });

  it('a local run without OIDC passes the environment through unchanged (the standard chains)', async () => {
    const { stdout, stderr } = await runCli(['run', '--event', 'schedule'], { cwd: root, env: { ...AMBIENT, HOME: join(root, 'home') } });
    expect(commands(), stdout + stderr).toEqual(['init', 'plan', 'show']);
    expect(seen()).toEqual({
      AWS_ACCESS_KEY_ID: 'set',
      AWS_SECRET_ACCESS_KEY: 'set',
      AWS_SESSION_TOKEN: 'set',
      AWS_PROFILE: 'set',
      AWS_DEFAULT_PROFILE: 'set',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'set',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: 'set',
      AWS_ROLE_ARN: 'set',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'set',
      AWS_SHARED_CREDENTIALS_FILE: '',
      AWS_CONFIG_FILE: '',
      AWS_EC2_METADATA_DISABLED: '',
      AWS_REGION: '',
      key: 'ambient',
    });
  });
});
