import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AzureServer } from '../helpers/clouds/azure.ts';
import { GcsServer } from '../helpers/clouds/gcs.ts';
import { janitorStep, runJanitor, testClouds } from '../helpers/janitor.ts';

const SUB = '11111111-2222-3333-4444-555555555555';
const OTHER_SUB = '99999999-2222-3333-4444-555555555555';
const NOW = new Date('2026-11-25T12:00:00Z');
const PAST = String(Math.floor(Date.parse('2026-11-20T00:00:00Z') / 1000));

let azure: AzureServer;
let gcs: GcsServer;
beforeEach(async () => {
  azure = await new AzureServer().start();
  gcs = await new GcsServer().start();
});
afterEach(async () => {
  await azure.stop();
  await gcs.stop();
});

const policy = (dry = false) => `version: 1
dry_run: ${dry}
workflows:
  schedule: [janitor]
modules:
  janitor:
    terraform: { enabled: false }
    providers:
      azure:
        subscriptions: ["${SUB}"]
      gcp:
        projects: ["dg-sandbox-1"]
        endpoint: "${gcs.url}"
`;

const clouds = () => testClouds({ azureResources: ({ subscription }) => azure.client(subscription) });

function seedAzure(): void {
  azure.add(SUB, { name: 'dg-pr-7', location: 'westeurope', tags: { 'dg-expires-at': PAST } });
  azure.add(SUB, { name: 'dg-pr-8', location: 'westeurope', tags: { 'dg-created-at': '2026-11-01T00:00:00Z', 'dg-ttl': '48h' } });
  azure.add(SUB, { name: 'dg-no-age', location: 'westeurope', tags: {} });
  azure.add(SUB, { name: 'dg-locked', location: 'westeurope', tags: { 'dg-expires-at': PAST }, locked: true });
  azure.add(SUB, { name: 'DG-upper', location: 'westeurope', tags: { 'dg-expires-at': PAST } });
  azure.add(SUB, { name: 'dg-prod', location: 'westeurope', tags: { 'dg-expires-at': PAST, Environment: 'production' } });
  azure.add(OTHER_SUB, { name: 'dg-elsewhere', location: 'westeurope', tags: { 'dg-expires-at': PAST } });
}

function seedGcs(): void {
  gcs.add({ name: 'dg-cache-1', project: 'dg-sandbox-1', location: 'EU', timeCreated: '2026-11-01T00:00:00.000Z', labels: { 'dg-ttl': '24h' } }, { 'a.txt': 3, 'b/c.txt': 2 });
  gcs.add({ name: 'dg-fresh', project: 'dg-sandbox-1', location: 'EU', timeCreated: '2026-11-25T11:00:00.000Z', labels: {} });
  gcs.add({ name: 'dg-retained', project: 'dg-sandbox-1', location: 'EU', timeCreated: '2026-11-01T00:00:00.000Z', labels: {}, retentionPolicy: { retentionPeriod: '86400' } }, { 'keep.txt': 1 });
  gcs.add({ name: 'dg-other-project', project: 'dg-sandbox-2', location: 'EU', timeCreated: '2026-11-01T00:00:00.000Z', labels: {} });
}

describe('janitor on Azure resource groups and GCS buckets', () => {
  it('plans from tags and labels, through the real SDK clients', async () => {
    seedAzure();
    seedGcs();
    const result = await runJanitor(policy(true), { now: NOW, clouds: clouds() });
    const decisions = Object.fromEntries(janitorStep(result).outcome.decisions.map((d) => [d.subject.split('/').pop(), d.decision === 'delete' ? 'delete' : d.reason]));
    expect(decisions).toEqual({
      'dg-pr-7': 'delete',
      'dg-pr-8': 'delete',
      'dg-no-age': 'unknown age: no creation time and no dg-expires-at',
      'dg-locked': 'delete',
      'DG-upper': 'name does not start with "dg-"',
      'dg-prod': 'protected by tag Environment=production',
      'dg-cache-1': 'delete',
      'dg-fresh': expect.stringMatching(/^not expired: expires in 23h/),
      'dg-retained': 'delete',
    });
    expect(azure.requests.every((r) => r.authorization === 'Bearer test-arm-token')).toBe(true);
    expect(azure.requests.some((r) => r.url.includes('skiptoken'))).toBe(true);
  });

  it('deletes resource groups as long-running operations and empties buckets of every generation; locks and retention are reported, not forced', async () => {
    seedAzure();
    seedGcs();
    const result = await runJanitor(policy(), { now: NOW, clouds: clouds() });
    expect([...azure.groups.get(SUB)!.keys()].sort()).toEqual(['dg-locked', 'dg-no-age', 'dg-prod', 'dg-upper']);
    expect([...gcs.buckets.keys()].sort()).toEqual(['dg-fresh', 'dg-other-project', 'dg-retained']);
    expect(azure.requests.filter((r) => r.url.startsWith('/operations/')).length).toBeGreaterThanOrEqual(4);
    expect(gcs.requests.filter((r) => r.method === 'DELETE' && r.url.includes('/o/') && r.url.includes('generation=')).length).toBe(5);
    expect(result.exitCode).toBe(3);
    const failures = janitorStep(result).outcome.findings.filter((f) => f.rule === 'janitor.delete').map((f) => f.message);
    expect(failures).toEqual([
      expect.stringContaining('refused: a management lock protects it'),
      expect.stringContaining('refused: a retention policy is set'),
    ]);
    expect(gcs.buckets.get('dg-retained')!.objects.get('keep.txt')).toHaveLength(1);
  });

  it('under injected 429/503 faults every eligible resource still goes, and nothing else', async () => {
    seedAzure();
    seedGcs();
    azure.groups.get(SUB)!.get('dg-locked')!.locked = false;
    azure.groups.get(SUB)!.get('dg-locked')!.tags = {};
    gcs.buckets.get('dg-retained')!.retentionPolicy = undefined;
    gcs.buckets.get('dg-retained')!.timeCreated = '2026-11-25T00:00:00.000Z';
    azure.faults.rate = 0.2;
    gcs.faults.rate = 0.2;
    const result = await runJanitor(policy(), { now: NOW, clouds: clouds() });
    azure.faults.rate = 0;
    gcs.faults.rate = 0;
    expect(result.exitCode).toBe(0);
    expect([...azure.groups.get(SUB)!.keys()].sort()).toEqual(['dg-locked', 'dg-no-age', 'dg-prod', 'dg-upper']);
    expect([...gcs.buckets.keys()].sort()).toEqual(['dg-fresh', 'dg-other-project', 'dg-retained']);
    expect(azure.groups.get(OTHER_SUB)!.has('dg-elsewhere')).toBe(true);
  });

  it('an expired Requester Pays bucket is emptied and deleted: its calls name the allowlisted project to bill, other buckets\' do not', async () => {
    gcs.add({ name: 'dg-payer', project: 'dg-sandbox-1', location: 'EU', timeCreated: '2026-11-01T00:00:00.000Z', labels: { 'dg-ttl': '24h' }, requesterPays: true }, { 'a.txt': 2, 'b.txt': 1 });
    gcs.add({ name: 'dg-payer-fresh', project: 'dg-sandbox-1', location: 'EU', timeCreated: '2026-11-25T11:00:00.000Z', labels: {}, requesterPays: true });
    const gcpOnly = policy().replace(/      azure:\n        subscriptions: \[.*\]\n/, '');
    const result = await runJanitor(gcpOnly, { now: NOW, clouds: clouds() });
    expect(result.exitCode, JSON.stringify(janitorStep(result).outcome.findings)).toBe(0);
    expect([...gcs.buckets.keys()]).toEqual(['dg-payer-fresh']);
    expect(gcs.requests.length).toBeGreaterThan(4);
    const billed = (r: { url: string }) => new URL(r.url, 'http://x').searchParams.get('userProject');
    const onPayer = (r: { url: string }) => /\/b\/dg-payer(-fresh)?(\/|$|\?)/.test(new URL(r.url, 'http://x').pathname + '?');
    expect(gcs.requests.filter(onPayer).length).toBeGreaterThan(3);
    expect(gcs.requests.filter((r) => onPayer(r) && billed(r) !== 'dg-sandbox-1')).toEqual([]);
    // Naming a billing project needs serviceusage.services.use: never for a bucket that does not ask for it.
    expect(gcs.requests.filter((r) => !onPayer(r) && billed(r) !== null).map((r) => r.url)).toEqual([]);
  });
});
