import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  costMarkdown,
  costModel,
  costPerMillion,
  functionIdOf,
  idleCost,
  latencyCellsOf,
  loadPrices,
  servingFunction,
  usageOf,
  type InteractionUsage,
  type PriceKey,
  type PriceTable,
} from '../../bench/cost-model';

/** A price table with round numbers, so each expected figure can be worked out by hand. */
const prices = (overrides: Partial<Record<PriceKey, number>> = {}): PriceTable => {
  const real = loadPrices();
  const round: Partial<Record<PriceKey, number>> = {
    lambdaArmGbSecond: 0.00001,
    lambdaX86GbSecond: 0.00002,
    lambdaRequestsPerMillion: 0.2,
    apiGatewayRestPerMillion: 3.5,
    wafRequestsPerMillion: 0.6,
    wafWebAclMonth: 5,
    wafRuleMonth: 1,
    kmsKeyMonth: 1,
    kmsRequestsPer10k: 0.03,
    dynamoDbReadRequestUnitsPerMillion: 0.1,
    dynamoDbWriteRequestUnitsPerMillion: 0.5,
    cloudWatchAlarmMetricMonth: 0.1,
    cloudWatchDashboardMonth: 3,
    cloudTrailDataEventsPer100k: 0.1,
    logsIngestionGb: 0.5,
    xRayTracesRecordedPerMillion: 5,
    ...overrides,
  };
  return { ...real, prices: Object.fromEntries(Object.entries(real.prices).map(([key, price]) => [key, { ...price, usd: round[key as PriceKey] ?? price.usd }])) as PriceTable['prices'] };
};

const fixture = {
  Resources: {
    DataKey1A2B3C4D: { Type: 'AWS::KMS::Key', Properties: {} },
    LogsKey5E6F7A8B: { Type: 'AWS::KMS::Key', Properties: {} },
    WebAcl9BD21CA7: {
      Type: 'AWS::WAFv2::WebACL',
      Properties: {
        Rules: [
          { Name: 'RateLimitPerIp', Statement: { RateBasedStatement: { Limit: 100 } } },
          { Name: 'Common', Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } },
          { Name: 'Bots', Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesBotControlRuleSet' } } },
        ],
      },
    },
    ErrorsAlarm11111111: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 300 } },
    RatioAlarm22222222: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Metrics: [{ Id: 'a', MetricStat: {} }, { Id: 'b', MetricStat: {} }, { Id: 'ratio', Expression: 'a/b' }] },
    },
    Dashboard33333333: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
    RecordTable44444444: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { Replicas: [{ Region: 'ca-central-1', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }] } },
    TableDataEvents: {
      Type: 'AWS::CloudTrail::Trail',
      Properties: {
        AdvancedEventSelectors: [
          { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] }] },
          { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
        ],
      },
    },
    StaffPool55555555: { Type: 'AWS::Cognito::UserPool', Properties: { UserPoolTier: 'PLUS' } },
    RecordReadFunctionC18101DB: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, Architectures: ['arm64'] } },
    GatewayRefusalJournalFunction2FF961F3: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256, Architectures: ['arm64'] } },
    Stage66666666: { Type: 'AWS::ApiGateway::Stage', Properties: { CacheClusterEnabled: true } },
  },
};

const dir = mkdtempSync(path.join(tmpdir(), 'dsc-cost-model-'));
writeFileSync(path.join(dir, 'Dsc-prod-Api.template.json'), JSON.stringify(fixture));
writeFileSync(path.join(dir, 'Dsc-dev-Api.template.json'), JSON.stringify({ Resources: { OtherKey77777777: { Type: 'AWS::KMS::Key', Properties: {} } } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the idle cost, from synthesized templates', () => {
  const idle = idleCost(dir, { stackPrefix: 'Dsc-prod-', prices: prices() });

  it('reads only the stage asked for', () => {
    expect(idle.stacks).toEqual(['Dsc-prod-Api']);
    expect(idle.inventory.kmsKeys).toBe(2);
  });

  it('counts each metric a metric-math alarm reads, every WAF rule, and names the rule groups that cost extra', () => {
    expect(idle.inventory.alarms).toBe(2);
    expect(idle.inventory.alarmMetrics).toBe(3);
    expect(idle.inventory.wafRules).toBe(3);
    expect(idle.inventory.paidRuleGroups).toEqual(['AWSManagedRulesBotControlRuleSet']);
    expect(idle.unpriced).toEqual(expect.arrayContaining([expect.stringMatching(/API cache/), expect.stringMatching(/BotControl/)]));
  });

  it('sums count × unit price of what is billed every month: 2 keys, 1 ACL, 3 rules, 3 alarm metrics, 1 dashboard', () => {
    expect(idle.lines.map((line) => [line.count, line.monthlyUsd])).toEqual([
      [2, 2],
      [1, 5],
      [3, 3],
      [3, expect.closeTo(0.3, 10)],
      [1, 3],
    ]);
    expect(idle.monthlyUsd).toBeCloseTo(13.3, 10);
  });

  it('lists what is billed only by use: Plus users, stored data, data events', () => {
    expect(idle.inventory.userPoolPlans).toEqual(['PLUS']);
    expect(idle.inventory.dataEventResourceTypes).toEqual(['AWS::DynamoDB::Table']);
    expect(idle.inventory.tablesWithPitr).toBe(1);
    expect(idle.byUse.map((entry) => entry.item).join('\n')).toMatch(/Plus plan[\s\S]*DynamoDB tables[\s\S]*point-in-time[\s\S]*data events on AWS::DynamoDB::Table/);
  });

  it('takes each function\'s memory and architecture under its definition id', () => {
    expect(idle.inventory.functions).toEqual([
      { id: 'RecordReadFunction', memoryMb: 1024, architecture: 'arm64' },
      { id: 'GatewayRefusalJournalFunction', memoryMb: 256, architecture: 'arm64' },
    ]);
  });

  it('says to synthesize first when the folder holds no template of the stage', () => {
    expect(() => idleCost(dir, { stackPrefix: 'Dsc-qa-' })).toThrow(/cdk synth/);
  });
});

describe('the cost of a million requests', () => {
  const read: InteractionUsage = {
    interaction: 'read',
    request: 'GET /Patient/{id}',
    rcu: 1,
    wcu: 2,
    dynamoDbRequests: 3,
    functionId: 'RecordReadFunction',
    trigger: 'api',
    durationMs: 9.2,
    durationSource: 'test',
  };
  const functions = [{ id: 'RecordReadFunction', memoryMb: 1024, architecture: 'arm64' as const }];
  const assumptions = { logBytesPerApiRequest: 2000, logBytesPerStreamInvocation: 500, xRaySampledShare: 0.1, kmsRequestsPerRequest: 0 };

  it('adds Lambda, API Gateway, WAF, DynamoDB units, data events, logs and traces', () => {
    const [cost] = costPerMillion({ interactions: [read], functions, tableDataEvents: true, assumptions }, prices());
    // 1 GB × 10 ms (9.2 rounded up) = 0.01 GB-s; a million of them at $0.00001 = $0.10, plus $0.20 of invocations.
    expect(cost?.usd.lambda).toBeCloseTo(0.3, 10);
    expect(cost?.usd.apiGateway).toBe(3.5);
    expect(cost?.usd.waf).toBe(0.6);
    // 1 RRU × $0.10 + 2 WRU × $0.50.
    expect(cost?.usd.dynamoDb).toBeCloseTo(1.1, 10);
    // 3 DynamoDB calls, each a data event at $0.10 per 100,000.
    expect(cost?.usd.cloudTrail).toBeCloseTo(3, 10);
    // 2,000 bytes × a million = 2 GB at $0.50.
    expect(cost?.usd.logs).toBeCloseTo(1, 10);
    expect(cost?.usd.xRay).toBeCloseTo(0.5, 10);
    expect(cost?.totalUsd).toBeCloseTo(0.3 + 3.5 + 0.6 + 1.1 + 3 + 1 + 0.5, 10);
  });

  it('charges no data events when no trail records the tables, and no gateway or WAF for a stream invocation', () => {
    const [cost] = costPerMillion({ interactions: [{ ...read, trigger: 'stream' }], functions, tableDataEvents: false, assumptions }, prices());
    expect(cost?.usd).toMatchObject({ apiGateway: 0, waf: 0, cloudTrail: 0 });
    expect(cost?.usd.logs).toBeCloseTo(0.25, 10);
  });

  it('prices x86 duration at the x86 rate', () => {
    const [cost] = costPerMillion({ interactions: [read], functions: [{ ...functions[0]!, architecture: 'x86_64' }], tableDataEvents: false, assumptions }, prices());
    expect(cost?.usd.lambda).toBeCloseTo(0.4, 10);
  });

  it('refuses an interaction whose function is not deployed', () => {
    expect(() => costPerMillion({ interactions: [{ ...read, functionId: 'Nope' }], functions, tableDataEvents: false }, prices())).toThrow(/Nope/);
  });
});

describe('inputs from the bench\'s figures', () => {
  it('sends writes to the write function, the index processor to its stream, everything else to the read function', () => {
    expect(servingFunction('patch')).toEqual({ functionId: 'RecordWriteFunction', trigger: 'api', like: 'create' });
    expect(servingFunction('transaction of 10 entries')).toEqual({ functionId: 'RecordWriteFunction', trigger: 'api', like: 'create' });
    expect(servingFunction('$everything page')).toEqual({ functionId: 'RecordReadFunction', trigger: 'api', like: '$everything' });
    expect(servingFunction('search by patient and date')).toEqual({ functionId: 'RecordReadFunction', trigger: 'api', like: 'search' });
    expect(servingFunction('index processor, new Patient')).toEqual({ functionId: 'SearchIndexerFunction', trigger: 'stream' });
  });

  const capacity = [
    { interaction: 'create', request: 'POST /Patient', rcu: 0, wcu: 10, billedWcu: 12, requests: 1 },
    { interaction: '$everything page', request: 'GET …', rcu: 53, wcu: 4, requests: 4 },
    { interaction: 'index processor, new Patient', request: '(stream)', rcu: 1, wcu: 32, requests: 33 },
  ];
  const latency = [
    { operation: 'create', concurrency: 8, latency: { p50: 40 } },
    { operation: 'create', concurrency: 1, latency: { p50: 8 } },
    { operation: '$everything', concurrency: 1, latency: { p50: 13 } },
  ];

  it('uses the billed write units when the bench gives them, and the p50 at concurrency 1 of the closest operation as duration', () => {
    expect(usageOf(capacity, latency).map((row) => [row.wcu, row.durationMs, row.durationSource])).toEqual([
      [12, 8, 'local p50 of create'],
      [4, 13, 'local p50 of $everything'],
      [32, 15, 'assumed 15 ms'],
    ]);
  });

  it('takes the read\'s figure for a search the run did not time, and says when a duration is assumed', () => {
    const search = [{ interaction: 'search by identifier', request: 'GET /Patient?identifier=…', rcu: 2, wcu: 2, requests: 3 }];
    expect(usageOf(search, [{ operation: 'read', concurrency: 1, latency: { p50: 7 } }])[0]).toMatchObject({ durationMs: 7, durationSource: 'local p50 of read' });
    expect(usageOf(search, [])[0]).toMatchObject({ durationMs: 20, durationSource: 'assumed 20 ms' });
  });

  it('reads the latency of a result file in either shape the bench has written', () => {
    expect(latencyCellsOf(latency)).toEqual(latency);
    expect(latencyCellsOf({ read: { p50: 7 }, create: { p50: 14 }, createIdle: { p50: 8 } })).toEqual([
      { operation: 'read', concurrency: 1, latency: { p50: 7 } },
      { operation: 'create', concurrency: 1, latency: { p50: 8 } },
    ]);
  });

  it('models both halves from the stage\'s templates, or says why there is no idle cost', () => {
    const readsOnly = capacity.filter((row) => row.interaction === '$everything page');
    const figures = costModel(readsOnly, latency, { templatesDir: dir, stage: 'prod', prices: prices() });
    expect(figures.idle?.monthlyUsd).toBeCloseTo(13.3, 10);
    expect(figures.perMillion.map((row) => row.interaction)).toEqual(['$everything page']);
    // The fixture deploys no write function.
    expect(() => costModel(capacity, latency, { templatesDir: dir, stage: 'prod' })).toThrow(/RecordWriteFunction/);
    const none = costModel(capacity, latency, { templatesDir: dir, stage: 'qa' });
    expect(none.idle).toBeUndefined();
    expect(costMarkdown(none)).toMatch(/cdk synth/);
  });

  it('compares the idle cost with FHIR Works on AWS and HealthLake', () => {
    const figures = costModel([], [], { templatesDir: dir, stage: 'prod', prices: prices() });
    expect(costMarkdown(figures)).toMatch(/\$13\.30 a month with no traffic.*0\.1× FHIR Works on AWS's ~\$140 and 0\.07× HealthLake's ~\$197/);
  });

  it('recognises a function under its logical id', () => {
    expect(functionIdOf('RecordWriteFunction7920D16C')).toBe('RecordWriteFunction');
    expect(functionIdOf('SomethingElse12345678')).toBe('SomethingElse12345678');
  });
});

describe('the price table', () => {
  it('dates every price and cites a source for it, with a reason wherever it is assumed', () => {
    const table = loadPrices();
    expect(table.region).toBe('ca-central-1');
    expect(table.taken).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const price of Object.values(table.prices)) {
      expect(price.source).toMatch(/^https:\/\//);
      if (price.basis === 'assumed') expect(price.reason).toBeTruthy();
    }
  });
});
