/** Shaped like `terraform show -json` of a refresh-only plan (format 1.2, Terraform 1.11). */
export const PLAN = {
  format_version: '1.2',
  terraform_version: '1.11.4',
  planned_values: { root_module: {} },
  resource_drift: [
    {
      address: 'aws_security_group.web',
      mode: 'managed',
      type: 'aws_security_group',
      name: 'web',
      provider_name: 'registry.terraform.io/hashicorp/aws',
      change: {
        actions: ['update'],
        before: { id: 'sg-123', description: 'web', tags: { Team: 'web' }, ingress: [{ from_port: 443, cidr_blocks: ['10.0.0.0/8'] }] },
        after: { id: 'sg-123', description: 'web', tags: { Team: 'web', Owner: 'someone' }, ingress: [{ from_port: 443, cidr_blocks: ['0.0.0.0/0'] }] },
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: {},
      },
    },
    {
      address: 'aws_db_instance.main',
      mode: 'managed',
      type: 'aws_db_instance',
      name: 'main',
      change: {
        actions: ['update'],
        before: { identifier: 'main', password: 'old-db-password-123', allocated_storage: 20 },
        after: { identifier: 'main', password: 'new-db-password-456', allocated_storage: 50 },
        before_sensitive: { password: true },
        after_sensitive: { password: true },
      },
    },
    { address: 'module.net.aws_subnet.private[1]', mode: 'managed', type: 'aws_subnet', name: 'private', index: 1, change: { actions: ['delete'], before: { id: 'subnet-1' }, after: null } },
    { address: 'data.aws_ami.ubuntu', mode: 'data', type: 'aws_ami', name: 'ubuntu', change: { actions: ['update'], before: {}, after: { id: 'x' } } },
  ],
  resource_changes: [],
};
