import { App, Stack, Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A rule id of one of our packs, optionally narrowed to one finding: `AwsSolutions-IAM5[Resource::*]`. */
const ruleIdPattern = /^(AwsSolutions|HIPAA\.Security|NIST\.800\.53\.R5|Serverless|Dsc)-[A-Za-z0-9]+(\[.+\])?$/;

/** Reasons that justify nothing: placeholders, and scope words that make an acknowledgement blanket. */
const blanketReasons = [
  /\b(todo|tbd|fixme|xxx|wip)\b/i,
  /\b(n\/a|not applicable|not needed|not required|false positive|by design|accepted risk|known issue|suppress(ed)?)\b/i,
  /\b(all|every|any) (resources?|findings?|rules?)\b/i,
  /\b(this|the whole|entire) (stack|app|application)\b/i,
];

/** A specific reason names what makes the finding safe here: a sentence, not a label. */
const minimumReasonWords = 8;

/** One acknowledgement as recorded on the construct tree. */
export interface Acknowledgement {
  /** Construct path of the construct it was made on. */
  readonly path: string;
  readonly ruleId: string;
  readonly reason: string;
}

/** Why an acknowledgement is refused, or undefined when it names a rule and gives a specific reason. */
export function acknowledgementProblem(ruleId: string, reason: string): string | undefined {
  if (!ruleIdPattern.test(ruleId)) return `"${ruleId}" is not a bare rule id of the AwsSolutions, HIPAA.Security, NIST.800.53.R5, Serverless or Dsc packs (acknowledge with acknowledgeNagFinding)`;
  const words = reason.trim().split(/\s+/).filter((word) => word !== '');
  if (words.length < minimumReasonWords) return `the reason for ${ruleId} must say, in at least ${minimumReasonWords} words, why the finding is safe on this resource`;
  const blanket = blanketReasons.find((pattern) => pattern.test(reason));
  if (blanket) return `the reason for ${ruleId} is blanket ("${reason.match(blanket)?.[0] ?? ''}"): say what makes this resource safe`;
  const baseRule = ruleId.replace(/\[.*$/, '');
  if (reason.includes(baseRule)) return `the reason for ${ruleId} restates the rule id: say why the finding is safe`;
  return undefined;
}

/** Why an acknowledgement may not be made on this construct: stacks and apps would acknowledge wholesale. */
function scopeProblem(scope: IConstruct): string | undefined {
  if (App.isApp(scope) || Stage.isStage(scope) || Stack.isStack(scope)) return `acknowledgements sit on the resource they concern, never on a whole ${App.isApp(scope) ? 'app' : Stack.isStack(scope) ? 'stack' : 'stage'} (${scope.node.path || '/'})`;
  return undefined;
}

/**
 * Acknowledges one nag finding on the construct it concerns, with a reason specific to it.
 * Granular findings are acknowledged by their full id (`AwsSolutions-IAM4[Policy::arn:...]`):
 * cdk-nag 3 matches ids exactly, and aws-cdk-lib 2.276 parses `::` inside brackets (cdk-nag #2351).
 */
export function acknowledgeNagFinding(resource: IConstruct, ruleId: string, reason: string): void {
  // `cdk synth` suggests `Pack::Rule`; cdk-nag itself only honours the bare rule id.
  const bareRuleId = ruleId.replace(/^[A-Za-z0-9.]+::(?=[A-Za-z0-9.]+-)/, '');
  const problem = scopeProblem(resource) ?? acknowledgementProblem(bareRuleId, reason);
  if (problem) throw new Error(`Refused nag acknowledgement at ${resource.node.path}: ${problem}`);
  Validations.of(resource).acknowledge({ id: bareRuleId, reason });
}

/**
 * The name of the export through which another stack imports `value` of `exporter`'s stack, as it
 * appears in a finding id (`AwsSolutions-IAM5[Resource::<name>/prefix*]`): `exportValue` makes the
 * same export as the automatic cross-stack reference.
 */
export function importedValueName(exporter: IConstruct, value: string): string {
  const stack = Stack.of(exporter);
  const imported = stack.resolve(stack.exportValue(value)) as { 'Fn::ImportValue': string };
  return imported['Fn::ImportValue'];
}

/** Every acknowledgement under a scope, however it was made, in construct-path order. */
export function acknowledgementsIn(scope: IConstruct): Acknowledgement[] {
  return scope.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
        // aws-cdk-lib records bare ids under its annotation namespace; cdk-nag strips it the same way.
        .map(([id, reason]) => ({ path: construct.node.path, ruleId: id.replace(/^annotation::/i, ''), reason })),
    )
    .sort((a, b) => a.path.localeCompare(b.path) || a.ruleId.localeCompare(b.ruleId));
}

/** Problems of acknowledgements made around the helper (e.g. `Validations.of(stack)` directly), one line each. */
export function acknowledgementProblems(scope: IConstruct): string[] {
  const constructs = new Map(scope.node.findAll().map((construct) => [construct.node.path, construct]));
  return acknowledgementsIn(scope).flatMap(({ path, ruleId, reason }) => {
    const construct = constructs.get(path);
    const problem = (construct && scopeProblem(construct)) ?? acknowledgementProblem(ruleId, reason);
    return problem ? [`${path}: ${problem}`] : [];
  });
}
