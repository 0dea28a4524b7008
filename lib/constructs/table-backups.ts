import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeNagFinding } from '../nag/acknowledge';

export interface TableBackupsProps {
  readonly tables: readonly ITableV2[];
  readonly dailyRetentionDays: number;
  readonly monthlyRetentionDays: number;
  /**
   * `compliance` (production): the vault lock becomes immutable three days after deployment (AWS
   * Backup's minimum cooling-off), after which nobody, root included, can delete a recovery point
   * early or lift the lock. `governance`: the same lock, which a principal allowed to can still remove.
   */
  readonly lockMode: 'compliance' | 'governance';
}

/** Both rules start at 05:00 UTC, 01:00 in Québec (00:00 in winter): the quietest hour for clinics. */
const backupHour = '5';

/**
 * The ransomware lesson of 2020 for the tables: daily and monthly backups in a locked vault.
 * The vault has a key of its own, not the data key: disabling or deleting one key does not make
 * both the tables and their backups unreadable, and either is an alarm (CIS 4.7).
 */
export class TableBackups extends Construct {
  readonly vault: BackupVault;
  readonly plan: BackupPlan;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: TableBackupsProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'DSC backup vault (recovery points of the record and audit tables)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new BackupVault(this, 'Vault', {
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
      // The vault's access policy also denies deleting a recovery point or shortening its lifecycle, to everyone.
      blockRecoveryPointDeletion: true,
      lockConfiguration: {
        // Every job must keep its recovery point at least as long as the shorter rule.
        minRetention: Duration.days(Math.min(props.dailyRetentionDays, props.monthlyRetentionDays)),
        changeableFor: props.lockMode === 'compliance' ? Duration.days(3) : undefined,
      },
    });

    // Plan names are unique per account and region: the stack name keeps two stages apart.
    this.plan = new BackupPlan(this, 'Plan', { backupPlanName: `${Stack.of(this).stackName}-tables`, backupVault: this.vault });
    this.plan.addRule(
      new BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: Schedule.cron({ hour: backupHour, minute: '0' }),
        deleteAfter: Duration.days(props.dailyRetentionDays),
      }),
    );
    this.plan.addRule(
      new BackupPlanRule({
        ruleName: 'Monthly',
        scheduleExpression: Schedule.cron({ day: '1', hour: backupHour, minute: '0' }),
        deleteAfter: Duration.days(props.monthlyRetentionDays),
      }),
    );
    const selection = this.plan.addSelection('Tables', { resources: props.tables.map((table) => BackupResource.fromArn(table.tableArn)) });
    acknowledgeNagFinding(
      selection.node.findChild('Role'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      'AWS Backup service role policy, kept current by AWS as DynamoDB backup needs change; the role is assumable only by backup.amazonaws.com and used only by this selection',
    );
  }
}
