import { CfnOutput, Stack, type CfnResource } from 'aws-cdk-lib';
import { CfnBackupSelection } from 'aws-cdk-lib/aws-backup';
import { CfnGlobalTable } from 'aws-cdk-lib/aws-dynamodb';
import { NagMessageLevel, NagPack, NagRuleCompliance, type NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** What the rules read of a resolved `TableV2` replica (CDK property names, before rendering). */
interface ResolvedReplica {
  readonly pointInTimeRecoverySpecification?: { readonly pointInTimeRecoveryEnabled?: unknown };
  readonly sseSpecification?: { readonly kmsMasterKeyId?: unknown };
}

/** A resource as a template names it: the stack holding it and its logical id. */
interface ResourceIdentity {
  readonly stack: Stack;
  readonly logicalId: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function replicasOf(table: CfnGlobalTable): ResolvedReplica[] {
  const replicas: unknown = Stack.of(table).resolve(table.replicas);
  return Array.isArray(replicas) ? replicas.filter(isRecord) : [];
}

/** Point-in-time recovery on every replica: 35 days of per-second restores, the first answer to a bad write. */
function TableV2PointInTimeRecovery(node: CfnResource): NagRuleCompliance {
  if (!(node instanceof CfnGlobalTable)) return NagRuleCompliance.NOT_APPLICABLE;
  const replicas = replicasOf(node);
  const enabled = replicas.length > 0 && replicas.every((replica) => replica.pointInTimeRecoverySpecification?.pointInTimeRecoveryEnabled === true);
  return enabled ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** KMS encryption with a customer key named on every replica: an AWS-owned or AWS-managed key cannot be restricted or audited by us. */
function TableV2CustomerManagedKey(node: CfnResource): NagRuleCompliance {
  if (!(node instanceof CfnGlobalTable)) return NagRuleCompliance.NOT_APPLICABLE;
  const sse: unknown = Stack.of(node).resolve(node.sseSpecification);
  const kms = isRecord(sse) && sse.sseEnabled === true && sse.sseType === 'KMS';
  const replicas = replicasOf(node);
  const customerKey = (key: unknown) => key !== undefined && !(typeof key === 'string' && key.startsWith('alias/aws/'));
  const everyReplica = replicas.length > 0 && replicas.every((replica) => customerKey(replica.sseSpecification?.kmsMasterKeyId));
  return kms && everyReplica ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** The stack outputs exported by name, across the app: a cross-stack reference is an `Fn::ImportValue` of one. */
function exportsOf(root: IConstruct): Map<string, { readonly stack: Stack; readonly value: unknown }> {
  const exported = new Map<string, { readonly stack: Stack; readonly value: unknown }>();
  for (const construct of root.node.findAll()) {
    if (!(construct instanceof CfnOutput)) continue;
    const stack = Stack.of(construct);
    const name: unknown = stack.resolve(construct.exportName);
    if (typeof name === 'string') exported.set(name, { stack, value: stack.resolve(construct.value) });
  }
  return exported;
}

/** The resource an ARN in a template stands for: `Fn::GetAtt` of its stack, or an import of another stack's export. */
function referencedResource(value: unknown, stack: Stack, exported: ReturnType<typeof exportsOf>): ResourceIdentity | undefined {
  if (!isRecord(value)) return undefined;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return { stack, logicalId: getAtt[0] };
  const imported = value['Fn::ImportValue'];
  const source = typeof imported === 'string' ? exported.get(imported) : undefined;
  return source && referencedResource(source.value, source.stack, exported);
}

/**
 * An AWS Backup selection names the table's ARN, so the locked vault holds copies that outlive the
 * table and its PITR window. Tag-based selections are not credited: the tables are selected by ARN.
 * Runs after synthesis, as validation plugins do, once cross-stack references are exports.
 */
function TableV2BackupSelection(node: CfnResource): NagRuleCompliance {
  if (!(node instanceof CfnGlobalTable)) return NagRuleCompliance.NOT_APPLICABLE;
  const table = { stack: Stack.of(node), logicalId: Stack.of(node).resolve(node.logicalId) as string };
  const root = node.node.root;
  const exported = exportsOf(root);
  const covered = root.node.findAll().some((construct) => {
    if (!(construct instanceof CfnBackupSelection)) return false;
    const stack = Stack.of(construct);
    const selection: unknown = stack.resolve(construct.backupSelection);
    const resources = isRecord(selection) && Array.isArray(selection.resources) ? selection.resources : [];
    return resources.some((arn) => {
      const resource = referencedResource(arn, stack, exported);
      return resource?.stack === table.stack && resource.logicalId === table.logicalId;
    });
  });
  return covered ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/**
 * Our checks on `TableV2` (`AWS::DynamoDB::GlobalTable`), which cdk-nag's DynamoDB rules do not
 * inspect: they read `AWS::DynamoDB::Table` only.
 */
export class DscTableChecks extends NagPack {
  readonly name = 'Dsc';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'Dsc';
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      info: 'The DynamoDB table (TableV2) does not have point-in-time recovery enabled on every replica.',
      explanation: 'PITR restores the table to any second of the last 35 days after a faulty or malicious write.',
      level: NagMessageLevel.ERROR,
      rule: TableV2PointInTimeRecovery,
      node,
    });
    this.applyRule({
      info: 'The DynamoDB table (TableV2) is not encrypted with a customer-managed KMS key on every replica.',
      explanation: 'A customer key lets the key policy restrict who may decrypt health data, and every use of it is in CloudTrail.',
      level: NagMessageLevel.ERROR,
      rule: TableV2CustomerManagedKey,
      node,
    });
    this.applyRule({
      info: 'The DynamoDB table (TableV2) is not named by ARN in any AWS Backup selection.',
      explanation: 'Backups in a locked vault survive the deletion or encryption of the table, which PITR does not.',
      level: NagMessageLevel.ERROR,
      rule: TableV2BackupSelection,
      node,
    });
  }
}
