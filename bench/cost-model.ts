import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { functions } from '../lambdas/contracts/functions';
import { round } from './stats';

/**
 * What DSC costs on AWS: the monthly cost of the deployed stacks with no traffic, counted from the
 * synthesized CloudFormation templates, and the cost of a million requests of each interaction, from
 * the capacity units and DynamoDB requests the bench measures. Prices come from the dated table
 * `bench/prices-ca-central-1.json`; every figure that is an assumption says so.
 */

export interface Price {
  readonly usd: number;
  readonly unit: string;
  /** `published`: read on the date of the table in the cited page; `assumed`: could not be, see `reason`. */
  readonly basis: 'published' | 'assumed';
  readonly source: string;
  readonly reason?: string;
  readonly note?: string;
}

const priceKeys = [
  'lambdaArmGbSecond',
  'lambdaX86GbSecond',
  'lambdaRequestsPerMillion',
  'apiGatewayRestPerMillion',
  'wafWebAclMonth',
  'wafRuleMonth',
  'wafRequestsPerMillion',
  'kmsKeyMonth',
  'kmsRequestsPer10k',
  'dynamoDbReadRequestUnitsPerMillion',
  'dynamoDbWriteRequestUnitsPerMillion',
  'dynamoDbStorageGbMonth',
  'dynamoDbPitrGbMonth',
  'backupDynamoDbWarmGbMonth',
  'cloudWatchAlarmMetricMonth',
  'cloudWatchDashboardMonth',
  'cloudWatchCustomMetricMonth',
  'logsIngestionGb',
  'logsStorageGbMonth',
  'cloudTrailDataEventsPer100k',
  'cloudTrailManagementCopyPer100k',
  's3StandardGbMonth',
  'cognitoPlusMau',
  'cognitoEssentialsMau',
  'snsRequestsPerMillion',
  'sqsRequestsPerMillion',
  'xRayTracesRecordedPerMillion',
  'secretsManagerSecretMonth',
] as const;
export type PriceKey = (typeof priceKeys)[number];

export interface PriceTable {
  readonly region: string;
  readonly currency: 'USD';
  /** The date the prices were taken (YYYY-MM-DD). */
  readonly taken: string;
  readonly prices: Readonly<Record<PriceKey, Price>>;
}

export const defaultPriceFile = path.join(__dirname, 'prices-ca-central-1.json');

/** The price table, refusing one that lacks a price the model uses. */
export function loadPrices(file = defaultPriceFile): PriceTable {
  const table = JSON.parse(readFileSync(file, 'utf8')) as PriceTable;
  const missing = priceKeys.filter((key) => typeof (table.prices as Partial<PriceTable['prices']> | undefined)?.[key]?.usd !== 'number');
  if (missing.length > 0) throw new Error(`cost-model: ${file} lacks ${missing.join(', ')}`);
  return table;
}

// ---- The deployed resources, from the synthesized templates ----

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface StackTemplate {
  readonly stack: string;
  readonly resources: Readonly<Record<string, CfnResource>>;
}

/** The synthesized templates in a cloud assembly folder, those whose stack name starts with `stackPrefix`. */
export function readTemplates(templatesDir: string, stackPrefix = ''): StackTemplate[] {
  return readdirSync(templatesDir)
    .filter((file) => file.endsWith('.template.json') && file.startsWith(stackPrefix))
    .sort()
    .map((file) => ({
      stack: file.replace(/\.template\.json$/, ''),
      resources: (JSON.parse(readFileSync(path.join(templatesDir, file), 'utf8')) as { Resources?: Record<string, CfnResource> }).Resources ?? {},
    }));
}

export interface FunctionConfig {
  /** The FunctionDefinition id (`RecordReadFunction`), or the logical id when none matches. */
  readonly id: string;
  readonly memoryMb: number;
  readonly architecture: 'arm64' | 'x86_64';
}

/** Everything in the templates that is billed by the month, or that sets a per-request price. */
export interface Inventory {
  readonly kmsKeys: number;
  readonly webAcls: number;
  readonly wafRules: number;
  /** Managed rule groups that carry their own subscription (Bot Control, fraud control): not priced here. */
  readonly paidRuleGroups: string[];
  readonly alarms: number;
  /** Metrics the alarms read: a metric-math alarm bills each metric it reads. */
  readonly alarmMetrics: number;
  readonly dashboards: number;
  readonly secrets: number;
  readonly trails: number;
  /** The resource types whose data events a trail records (each DynamoDB or S3 call a billed event). */
  readonly dataEventResourceTypes: string[];
  readonly metricFilters: number;
  readonly userPoolPlans: string[];
  readonly tables: number;
  readonly tablesWithPitr: number;
  readonly backupPlans: number;
  readonly buckets: number;
  readonly functions: FunctionConfig[];
  /** Always-on charges this model does not price (an API cache, provisioned concurrency): each is named. */
  readonly unpriced: string[];
}

const paidRuleGroupPattern = /BotControl|ATP|ACFP|AntiDDoS/;
const knownFunctionIds: string[] = [...Object.values(functions).map((definition) => definition.id), 'PreTokenGenerationFunction'];

/** A function's definition id from its logical id (`RecordReadFunctionC18101DB`: the id, then CDK's 8-digit hash). */
export function functionIdOf(logicalId: string): string {
  const withoutHash = logicalId.replace(/[0-9A-F]{8}$/, '');
  // The longest id that ends it: `GatewayRefusalJournalFunction` also ends with `JournalFunction`.
  const matches = knownFunctionIds.filter((id) => withoutHash.endsWith(id)).sort((a, b) => b.length - a.length);
  return matches[0] ?? logicalId;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function dataEventTypesOf(trail: Record<string, unknown>): string[] {
  const types: string[] = [];
  for (const selector of listOf(trail.AdvancedEventSelectors)) {
    const fields = isRecord(selector) ? listOf(selector.FieldSelectors).filter(isRecord) : [];
    const isData = fields.some((field) => field.Field === 'eventCategory' && listOf(field.Equals).includes('Data'));
    const resourceTypes = fields.filter((field) => field.Field === 'resources.type').flatMap((field) => listOf(field.Equals).map(String));
    if (isData) types.push(...resourceTypes);
  }
  for (const selector of listOf(trail.EventSelectors)) {
    for (const resource of isRecord(selector) ? listOf(selector.DataResources).filter(isRecord) : []) types.push(String(resource.Type));
  }
  return types;
}

export function inventoryOf(templates: readonly StackTemplate[]): Inventory {
  const all = templates.flatMap((template) => Object.entries(template.resources).map(([logicalId, resource]) => ({ logicalId, ...resource, Properties: resource.Properties ?? {} })));
  const ofType = (type: string) => all.filter((resource) => resource.Type === type);
  const webAcls = ofType('AWS::WAFv2::WebACL');
  const rules = webAcls.flatMap((acl) => listOf(acl.Properties.Rules).filter(isRecord));
  const alarms = ofType('AWS::CloudWatch::Alarm');
  const tables = [...ofType('AWS::DynamoDB::GlobalTable').flatMap((table) => listOf(table.Properties.Replicas).filter(isRecord)), ...ofType('AWS::DynamoDB::Table').map((table) => table.Properties)];
  const unpriced = [
    ...ofType('AWS::ApiGateway::Stage').filter((stage) => stage.Properties.CacheClusterEnabled === true).map((stage) => `API cache on ${stage.logicalId}`),
    ...ofType('AWS::Lambda::Version').concat(ofType('AWS::Lambda::Alias')).filter((version) => 'ProvisionedConcurrencyConfig' in version.Properties).map((version) => `provisioned concurrency on ${version.logicalId}`),
  ];
  return {
    kmsKeys: ofType('AWS::KMS::Key').length + ofType('AWS::KMS::ReplicaKey').length,
    webAcls: webAcls.length,
    wafRules: rules.length,
    paidRuleGroups: rules
      .map((rule) => (isRecord(rule.Statement) && isRecord(rule.Statement.ManagedRuleGroupStatement) ? String(rule.Statement.ManagedRuleGroupStatement.Name) : ''))
      .filter((name) => paidRuleGroupPattern.test(name)),
    alarms: alarms.length,
    alarmMetrics: alarms.reduce((sum, alarm) => sum + (Array.isArray(alarm.Properties.Metrics) ? alarm.Properties.Metrics.filter((metric) => isRecord(metric) && 'MetricStat' in metric).length : 1), 0),
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    secrets: ofType('AWS::SecretsManager::Secret').length,
    trails: ofType('AWS::CloudTrail::Trail').length,
    dataEventResourceTypes: [...new Set(ofType('AWS::CloudTrail::Trail').flatMap((trail) => dataEventTypesOf(trail.Properties)))],
    metricFilters: ofType('AWS::Logs::MetricFilter').length,
    userPoolPlans: ofType('AWS::Cognito::UserPool').map((pool) => typeof pool.Properties.UserPoolTier === 'string' ? pool.Properties.UserPoolTier : 'ESSENTIALS'),
    tables: tables.length,
    tablesWithPitr: tables.filter((table) => isRecord(table.PointInTimeRecoverySpecification) && table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled === true).length,
    backupPlans: ofType('AWS::Backup::BackupPlan').length,
    buckets: ofType('AWS::S3::Bucket').length,
    functions: ofType('AWS::Lambda::Function').map((fn) => ({
      id: functionIdOf(fn.logicalId),
      // CloudFormation's defaults when the template leaves them out.
      memoryMb: typeof fn.Properties.MemorySize === 'number' ? fn.Properties.MemorySize : 128,
      architecture: listOf(fn.Properties.Architectures).includes('arm64') ? 'arm64' : 'x86_64',
    })),
    unpriced,
  };
}

// ---- Idle monthly cost ----

export interface CostLine {
  readonly item: string;
  readonly count: number;
  readonly unitUsd: number;
  readonly unit: string;
  readonly monthlyUsd: number;
  readonly basis: Price['basis'];
}

export interface IdleCost {
  readonly stacks: string[];
  /** Billed every month whatever the traffic. */
  readonly lines: CostLine[];
  readonly monthlyUsd: number;
  /** Resources that cost nothing idle but are billed by use or by stored size, with their unit price. */
  readonly byUse: { readonly item: string; readonly price: Price }[];
  readonly unpriced: string[];
  readonly inventory: Inventory;
}

export function idleCostOf(inventory: Inventory, stacks: readonly string[], prices: PriceTable): IdleCost {
  const line = (item: string, count: number, key: PriceKey): CostLine => {
    const price = prices.prices[key];
    return { item, count, unitUsd: price.usd, unit: price.unit, monthlyUsd: count * price.usd, basis: price.basis };
  };
  const lines = [
    line('KMS customer managed keys', inventory.kmsKeys, 'kmsKeyMonth'),
    line('WAF web ACLs', inventory.webAcls, 'wafWebAclMonth'),
    line('WAF rules and managed rule groups', inventory.wafRules, 'wafRuleMonth'),
    line(`CloudWatch alarm metrics (${inventory.alarms} alarms)`, inventory.alarmMetrics, 'cloudWatchAlarmMetricMonth'),
    line('CloudWatch dashboards', inventory.dashboards, 'cloudWatchDashboardMonth'),
    line('Secrets Manager secrets', inventory.secrets, 'secretsManagerSecretMonth'),
  ].filter((entry) => entry.count > 0);
  const byUse = (item: string, count: number, key: PriceKey) => (count > 0 ? [{ item, price: prices.prices[key] }] : []);
  const plusPools = inventory.userPoolPlans.filter((plan) => plan === 'PLUS').length;
  return {
    stacks: [...stacks],
    lines,
    monthlyUsd: lines.reduce((sum, entry) => sum + entry.monthlyUsd, 0),
    byUse: [
      ...byUse(`Cognito user pools on the Plus plan (${plusPools}): each staff member signing in during a month`, plusPools, 'cognitoPlusMau'),
      ...byUse(`Cognito user pools on Essentials or Lite (${inventory.userPoolPlans.length - plusPools})`, inventory.userPoolPlans.length - plusPools, 'cognitoEssentialsMau'),
      ...byUse(`DynamoDB tables (${inventory.tables}): stored data`, inventory.tables, 'dynamoDbStorageGbMonth'),
      ...byUse(`point-in-time recovery (${inventory.tablesWithPitr} tables)`, inventory.tablesWithPitr, 'dynamoDbPitrGbMonth'),
      ...byUse(`AWS Backup plans (${inventory.backupPlans}): recovery points`, inventory.backupPlans, 'backupDynamoDbWarmGbMonth'),
      ...byUse(`S3 buckets (${inventory.buckets}): stored objects`, inventory.buckets, 's3StandardGbMonth'),
      ...byUse(`trails (${inventory.trails}) recording data events on ${inventory.dataEventResourceTypes.join(', ') || 'nothing'}`, inventory.dataEventResourceTypes.length, 'cloudTrailDataEventsPer100k'),
      ...byUse(`log metric filters (${inventory.metricFilters}): a custom metric for each hour it receives data`, inventory.metricFilters, 'cloudWatchCustomMetricMonth'),
      ...byUse('log groups: stored logs (prod keeps them 10 years)', 1, 'logsStorageGbMonth'),
    ],
    unpriced: [...inventory.unpriced, ...inventory.paidRuleGroups.map((group) => `WAF managed rule group ${group}: its own subscription and request fees`)],
    inventory,
  };
}

/** The idle monthly cost of the stacks synthesized into `templatesDir` (e.g. `cdk.out` after `cdk synth -c stage=prod`). */
export function idleCost(templatesDir: string, options: { stackPrefix?: string; prices?: PriceTable } = {}): IdleCost {
  const templates = readTemplates(templatesDir, options.stackPrefix);
  if (templates.length === 0) throw new Error(`cost-model: no ${options.stackPrefix ?? ''}*.template.json in ${templatesDir}; run \`npx cdk synth --quiet -c stage=prod\` first`);
  return idleCostOf(inventoryOf(templates), templates.map((template) => template.stack), options.prices ?? loadPrices());
}

// ---- Cost per million requests ----

export interface InteractionUsage {
  readonly interaction: string;
  readonly request: string;
  /** DynamoDB read and write request units, as billed (on demand, a capacity unit is a request unit). */
  readonly rcu: number;
  readonly wcu: number;
  /** DynamoDB API calls: each one a CloudTrail data event when the tables' data events are recorded. */
  readonly dynamoDbRequests: number;
  /** The function that serves it (a FunctionDefinition id). */
  readonly functionId: string;
  /** `api`: through API Gateway and WAF; `stream`: invoked by a table's stream, one record per invocation assumed. */
  readonly trigger: 'api' | 'stream';
  /** Billed Lambda duration per request, and where that figure comes from. */
  readonly durationMs: number;
  readonly durationSource: string;
}

/** What the bench cannot measure, stated. */
export interface CostAssumptions {
  /** CloudWatch Logs bytes ingested per API request: the function's JSON log lines, Lambda's START/END/REPORT, the API access log line, the WAF log record. */
  readonly logBytesPerApiRequest: number;
  readonly logBytesPerStreamInvocation: number;
  /** Share of requests X-Ray records (its default rule: 1 a second, then 5 %). */
  readonly xRaySampledShare: number;
  /** KMS requests per request: DynamoDB caches each table key and calls KMS for it a few times an hour per connection, not per request. */
  readonly kmsRequestsPerRequest: number;
}

export const defaultAssumptions: CostAssumptions = {
  logBytesPerApiRequest: 3000,
  logBytesPerStreamInvocation: 600,
  xRaySampledShare: 0.05,
  kmsRequestsPerRequest: 0,
};

export interface CostInputs {
  readonly interactions: readonly InteractionUsage[];
  /** From the templates (inventoryOf(...).functions). */
  readonly functions: readonly FunctionConfig[];
  /** Whether a trail records the tables' data events (inventoryOf(...).dataEventResourceTypes). */
  readonly tableDataEvents: boolean;
  readonly assumptions?: CostAssumptions;
}

export interface PerMillionCost {
  readonly interaction: string;
  readonly request: string;
  readonly durationSource: string;
  /** US dollars per million requests, by service. */
  readonly usd: {
    readonly lambda: number;
    readonly apiGateway: number;
    readonly waf: number;
    readonly dynamoDb: number;
    readonly cloudTrail: number;
    readonly logs: number;
    readonly xRay: number;
    readonly kms: number;
  };
  readonly totalUsd: number;
}

const million = 1e6;

export function costPerMillion(inputs: CostInputs, prices: PriceTable = loadPrices()): PerMillionCost[] {
  const assumptions = inputs.assumptions ?? defaultAssumptions;
  const p = (key: PriceKey) => prices.prices[key].usd;
  return inputs.interactions.map((usage) => {
    const fn = inputs.functions.find((config) => config.id === usage.functionId);
    if (!fn) throw new Error(`cost-model: no deployed function ${usage.functionId} for ${usage.interaction}`);
    const api = usage.trigger === 'api' ? 1 : 0;
    // Lambda bills duration rounded up to the millisecond.
    const gbSeconds = (fn.memoryMb / 1024) * (Math.ceil(usage.durationMs) / 1000);
    const logBytes = api ? assumptions.logBytesPerApiRequest : assumptions.logBytesPerStreamInvocation;
    const usd = {
      lambda: p('lambdaRequestsPerMillion') + million * gbSeconds * p(fn.architecture === 'arm64' ? 'lambdaArmGbSecond' : 'lambdaX86GbSecond'),
      apiGateway: api * p('apiGatewayRestPerMillion'),
      waf: api * p('wafRequestsPerMillion'),
      dynamoDb: usage.rcu * p('dynamoDbReadRequestUnitsPerMillion') + usage.wcu * p('dynamoDbWriteRequestUnitsPerMillion'),
      cloudTrail: inputs.tableDataEvents ? usage.dynamoDbRequests * p('cloudTrailDataEventsPer100k') * 10 : 0,
      logs: ((million * logBytes) / 1e9) * p('logsIngestionGb'),
      xRay: assumptions.xRaySampledShare * p('xRayTracesRecordedPerMillion'),
      kms: assumptions.kmsRequestsPerRequest * p('kmsRequestsPer10k') * 100,
    };
    return { interaction: usage.interaction, request: usage.request, durationSource: usage.durationSource, usd, totalUsd: Object.values(usd).reduce((sum, value) => sum + value, 0) };
  });
}

// ---- Inputs from the bench's figures ----

interface CapacityRow {
  readonly interaction: string;
  readonly request: string;
  readonly rcu: number;
  readonly wcu: number;
  /** The WCU DynamoDB bills, when the bench corrects DynamoDB Local's under-reporting. */
  readonly billedWcu?: number;
  readonly requests: number;
}
type LatencyOperation = 'read' | 'create' | 'search' | '$everything';
interface LatencyCellLike {
  readonly operation: string;
  readonly concurrency: number;
  readonly latency: { readonly p50: number };
}

const writeInteraction = /create|update|patch|delete|transaction|batch/i;
const indexProcessor = /index processor/i;
/** Locally the index processor handles 70–95 versions a second (docs/performance.md); on AWS each of its puts is a network round trip. */
const indexProcessorMs = 15;
/** An API request when the bench measured no latency at all (a run that skipped it). */
const unmeasuredRequestMs = 20;

/** Which function serves an interaction of the bench's capacity table, and which measured operation it resembles most. */
export function servingFunction(interaction: string): { functionId: string; trigger: InteractionUsage['trigger']; like?: LatencyOperation } {
  if (indexProcessor.test(interaction)) return { functionId: functions.searchIndexer.id, trigger: 'stream' };
  if (writeInteraction.test(interaction)) return { functionId: functions.recordWrite.id, trigger: 'api', like: 'create' };
  const like = interaction.includes('$everything') ? '$everything' : /search|listing/i.test(interaction) ? 'search' : 'read';
  return { functionId: functions.recordRead.id, trigger: 'api', like };
}

/**
 * The interactions of the capacity table, each with a duration: the local p50 at concurrency 1 of
 * the operation it resembles most (the closest figure measured; on AWS, DynamoDB's network round
 * trips replace DynamoDB Local's, and the gateway's and authorizer's time is not billed as Lambda's).
 */
export function usageOf(capacity: readonly CapacityRow[], latency: readonly LatencyCellLike[]): InteractionUsage[] {
  return capacity.map((row) => {
    const { like, ...serving } = servingFunction(row.interaction);
    const cellOf = (operation: LatencyOperation) => latency.find((candidate) => candidate.operation === operation && candidate.concurrency === 1);
    // A search without its own figure (an older result) takes the read's.
    const cell = like && (cellOf(like) ?? cellOf(like === 'create' ? 'create' : 'read'));
    const assumedMs = serving.trigger === 'stream' ? indexProcessorMs : unmeasuredRequestMs;
    return {
      interaction: row.interaction,
      request: row.request,
      rcu: row.rcu,
      wcu: row.billedWcu ?? row.wcu,
      dynamoDbRequests: row.requests,
      ...serving,
      durationMs: cell ? cell.latency.p50 : assumedMs,
      durationSource: cell ? `local p50 of ${cell.operation}` : `assumed ${assumedMs} ms`,
    };
  });
}

export interface CostFigures {
  readonly region: string;
  readonly pricesTaken: string;
  readonly assumedPrices: number;
  readonly prices: number;
  /** Absent when no synthesized prod templates were found; `idleNote` then says why. */
  readonly idle?: IdleCost;
  readonly idleNote?: string;
  readonly perMillion: PerMillionCost[];
}

export interface CostModelOptions {
  /** Cloud assembly holding the synthesized templates (default `cdk.out`). */
  readonly templatesDir?: string;
  readonly stage?: string;
  readonly prices?: PriceTable;
}

/** Both halves of the model from the bench's figures, the idle cost from the stage's synthesized templates. */
export function costModel(capacity: readonly CapacityRow[], latency: readonly LatencyCellLike[], options: CostModelOptions = {}): CostFigures {
  const prices = options.prices ?? loadPrices();
  const templatesDir = options.templatesDir ?? path.join(__dirname, '..', 'cdk.out');
  const stage = options.stage ?? 'prod';
  let idle: IdleCost | undefined;
  let idleNote: string | undefined;
  try {
    idle = idleCost(templatesDir, { stackPrefix: `Dsc-${stage}-`, prices });
  } catch (error) {
    idleNote = (error as Error).message;
  }
  const perMillion =
    idle && capacity.length > 0
      ? costPerMillion(
          { interactions: usageOf(capacity, latency), functions: idle.inventory.functions, tableDataEvents: idle.inventory.dataEventResourceTypes.includes('AWS::DynamoDB::Table') },
          prices,
        )
      : [];
  const all = Object.values(prices.prices);
  return {
    region: prices.region,
    pricesTaken: prices.taken,
    assumedPrices: all.filter((price) => price.basis === 'assumed').length,
    prices: all.length,
    ...(idle ? { idle } : {}),
    ...(idleNote ? { idleNote } : {}),
    perMillion,
  };
}

// ---- Markdown ----

const usd = (value: number, digits = 2) => `$${round(value, digits).toFixed(digits)}`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');

/** FWoA's and HealthLake's idle cost as issue 10 quotes them. */
const peers = { fwoa: 140, healthLake: 197 };

export function costMarkdown(figures: CostFigures): string {
  const { idle } = figures;
  const sections = [`### Cost model (${figures.region} prices taken ${figures.pricesTaken}, ${figures.assumedPrices} of ${figures.prices} assumed: see \`bench/prices-ca-central-1.json\`)`];
  if (!idle) return [...sections, `No idle cost: ${figures.idleNote ?? 'no templates'}.`].join('\n\n');
  sections.push(
    `Idle monthly cost of ${idle.stacks.join(', ')}:`,
    table(
      ['always on', 'count', 'unit price', 'per month', 'price'],
      idle.lines.map((line) => [line.item, String(line.count), usd(line.unitUsd), usd(line.monthlyUsd), line.basis]),
    ),
    `**${usd(idle.monthlyUsd)} a month with no traffic**, no free tier counted: ${round(idle.monthlyUsd / peers.fwoa, 2)}× FHIR Works on AWS's ~$${peers.fwoa} and ${round(idle.monthlyUsd / peers.healthLake, 2)}× HealthLake's ~$${peers.healthLake}.`,
    `Billed only by use or stored size (nothing at idle):\n\n${idle.byUse.map((entry) => `- ${entry.item}: ${usd(entry.price.usd, 4)} per ${entry.price.unit}`).join('\n')}`,
    ...(idle.unpriced.length > 0 ? [`Not priced here: ${idle.unpriced.join('; ')}.`] : []),
  );
  if (figures.perMillion.length > 0) {
    sections.push(
      'Cost per million requests (US dollars):',
      table(
        ['interaction', 'Lambda', 'API Gateway', 'WAF', 'DynamoDB', 'CloudTrail data events', 'logs', 'X-Ray', 'total', 'Lambda duration from'],
        figures.perMillion.map((row) => [
          row.interaction,
          usd(row.usd.lambda),
          usd(row.usd.apiGateway),
          usd(row.usd.waf),
          usd(row.usd.dynamoDb),
          usd(row.usd.cloudTrail),
          usd(row.usd.logs),
          usd(row.usd.xRay),
          `**${usd(row.totalUsd)}**`,
          row.durationSource,
        ]),
      ),
    );
  }
  return sections.join('\n\n');
}

// ---- CLI: the idle cost after a synth, and the per-million costs of the latest bench result ----

interface ResultFile {
  readonly capacity?: readonly CapacityRow[];
  /** A list of cells since the bench measures concurrency 1, 8 and 32; an object of summaries before. */
  readonly latency?: readonly LatencyCellLike[] | Readonly<Record<string, { readonly p50: number }>>;
}

/** The latency cells of a result file, from either of its shapes. */
export function latencyCellsOf(latency: ResultFile['latency']): LatencyCellLike[] {
  if (Array.isArray(latency)) return [...(latency as readonly LatencyCellLike[])];
  const older = (latency ?? {}) as Readonly<Record<string, { readonly p50: number }>>;
  const operations: [string, string][] = [['read', 'read'], ['create', 'createIdle']];
  return operations.flatMap(([operation, key]) => (older[key] ? [{ operation, concurrency: 1, latency: older[key] }] : []));
}

/** The newest `bench/results/*.json` (their names sort by date). */
function latestResult(resultsDir: string): { file: string; result: ResultFile } | undefined {
  const file = readdirSync(resultsDir).filter((name) => name.endsWith('.json')).sort().at(-1);
  return file ? { file: path.join(resultsDir, file), result: JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8')) as ResultFile } : undefined;
}

function flag(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const latest = latestResult(flag(argv, '--results') ?? path.join(__dirname, 'results'));
  if (latest) process.stderr.write(`cost model: per-million inputs from ${latest.file}\n`);
  const figures = costModel(latest?.result.capacity ?? [], latencyCellsOf(latest?.result.latency), { templatesDir: flag(argv, '--templates'), stage: flag(argv, '--stage') });
  process.stdout.write(`${costMarkdown(figures)}\n`);
  if (!figures.idle) process.exitCode = 1;
}
