import { Tags, type App, type Environment } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StageConfig } from './config';
import { ApiStack } from './stacks/api-stack';
import { AuthStack } from './stacks/auth-stack';
import { DataStack } from './stacks/data-stack';
import { ReplicaStack } from './stacks/replica-stack';
import { SecurityStack } from './stacks/security-stack';

/** The stage config's retention choices, as CloudWatch's; the record makes a new choice a compile error until mapped. */
const retentionDays: Readonly<Record<StageConfig['logRetentionDays'], RetentionDays>> = {
  90: RetentionDays.THREE_MONTHS,
  180: RetentionDays.SIX_MONTHS,
  365: RetentionDays.ONE_YEAR,
  731: RetentionDays.TWO_YEARS,
  1827: RetentionDays.FIVE_YEARS,
  3653: RetentionDays.TEN_YEARS,
};

/**
 * The account and region every stack of the stage is pinned to. The stage's own `account` wins; the
 * CLI's account (CDK_DEFAULT_ACCOUNT, from the current credentials) fills in when the stage names
 * none, and may be absent: synth then stays environment-agnostic and works offline. Credentials for
 * another account than the stage's are refused, so `cdk deploy` cannot put prod into a sandbox or
 * the reverse.
 */
export function stageEnvironment(config: StageConfig, cliAccount: string | undefined): Environment {
  const credentialsAccount = cliAccount === '' ? undefined : cliAccount;
  if (config.account !== undefined && credentialsAccount !== undefined && credentialsAccount !== config.account) {
    throw new Error(
      `Stage "${config.stage}" is pinned to account ${config.account} but the CLI credentials are for account ${credentialsAccount}: use credentials for ${config.account}`,
    );
  }
  return { account: config.account ?? credentialsAccount, region: config.region };
}

/** Composes the stacks of one stage, and the evidence replica stack where it asks for one; stateful stacks are separate from the stateless API. */
export function createDscStacks(app: App, config: StageConfig, cliAccount?: string) {
  const env = stageEnvironment(config, cliAccount);
  const name = (part: string) => `Dsc-${config.stage}-${part}`;
  Tags.of(app).add('project', 'dsc');
  Tags.of(app).add('stage', config.stage);

  const trailObjectLockMode = config.production ? 'COMPLIANCE' : 'GOVERNANCE';
  // The evidence replicas, where the stage asks for them: same account, the replication region.
  const evidenceReplica = config.replicationRegion === undefined ? undefined : { stage: config.stage, region: config.replicationRegion };
  const replica =
    evidenceReplica &&
    new ReplicaStack(app, name('Replica'), {
      env: { account: env.account, region: evidenceReplica.region },
      description: 'DSC evidence replicas in the replication region',
      replica: evidenceReplica,
      lockModes: { trail: trailObjectLockMode, journal: 'COMPLIANCE', attachments: 'GOVERNANCE' },
      auditRetentionYears: config.auditRetentionYears,
    });
  const security = new SecurityStack(app, name('Security'), {
    env,
    description: 'DSC keys and audit trail',
    trailObjectLockMode,
    auditRetentionYears: config.auditRetentionYears,
    alarmEmail: config.alarmEmail,
    evidenceReplica,
  });
  const data = new DataStack(app, name('Data'), {
    env,
    description: 'DSC health record tables',
    dataKey: security.dataKey,
    trailBucket: security.trailBucket,
    trailKey: security.trailKey,
    production: config.production,
    auditRetentionYears: config.auditRetentionYears,
    backup: config.backup,
    evidenceReplica,
  });
  Tags.of(data).add('data-classification', 'phi');
  // Replication rules name buckets that must already exist, versioned and locked: the replicas deploy first.
  if (replica) for (const source of [security, data]) source.addStackDependency(replica, 'replication names the replica buckets and key');
  const auth = new AuthStack(app, name('Auth'), {
    env,
    description: 'DSC staff identity',
    config,
    logRetention: retentionDays[config.logRetentionDays],
    logsKey: security.logsKey,
    alarmTopic: security.alarmTopic,
  });
  const api = new ApiStack(app, name('Api'), {
    env,
    description: 'DSC FHIR R4 API',
    config,
    logRetention: retentionDays[config.logRetentionDays],
    tables: data.tables,
    dataKey: security.dataKey,
    logsKey: security.logsKey,
    journalArchive: data.journalArchive,
    buckets: { attachments: data.attachments },
    userPool: auth.userPool,
    apiClients: auth.apiClients,
    alarmTopic: security.alarmTopic,
  });
  return { security, data, auth, api, ...(replica && { replica }) };
}
