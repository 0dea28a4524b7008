import { Tags, type App, type Environment } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StageConfig } from './config';
import { ApiStack } from './stacks/api-stack';
import { AuthStack } from './stacks/auth-stack';
import { DataStack } from './stacks/data-stack';
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

/** Composes the four stacks of one stage; stateful stacks are separate from the stateless API. */
export function createDscStacks(app: App, config: StageConfig, account?: string) {
  const env: Environment = { account, region: config.region };
  const name = (part: string) => `Dsc-${config.stage}-${part}`;
  Tags.of(app).add('project', 'dsc');
  Tags.of(app).add('stage', config.stage);

  const security = new SecurityStack(app, name('Security'), { env, description: 'DSC keys and audit trail' });
  const data = new DataStack(app, name('Data'), { env, description: 'DSC health record tables', dataKey: security.dataKey });
  Tags.of(data).add('data-classification', 'phi');
  const auth = new AuthStack(app, name('Auth'), { env, description: 'DSC staff identity', config });
  const api = new ApiStack(app, name('Api'), {
    env,
    description: 'DSC FHIR R4 API',
    config,
    logRetention: retentionDays[config.logRetentionDays],
    tables: data.tables,
    dataKey: security.dataKey,
    userPool: auth.userPool,
    webClient: auth.webClient,
  });
  return { security, data, auth, api };
}
