import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { DscTableChecks } from './table-checks';

/**
 * The packs every synth runs. Given the app, the first also writes each resource's acknowledgements
 * into its template Metadata (`cdk_nag.rules_to_suppress`): reviewers read the templates, and the
 * compliance report lists the acknowledgements from there.
 */
export function nagPacks(app?: IConstruct): NagPack[] {
  return [new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new DscTableChecks(app)];
}

/** Runs the packs as validation plugins: `cdk synth` fails on any unacknowledged finding and writes them to cdk.out/validation-report.json. */
export function addNagPacks(app: App): void {
  Validations.of(app).addPlugins(...nagPacks(app));
}

/** One unacknowledged finding: the rule and the construct it concerns. */
export interface NagFinding {
  readonly pack: string;
  readonly ruleId: string;
  readonly path: string;
  readonly severity: string;
  readonly description: string;
}

/**
 * The unacknowledged findings of every pack on a synthesized app, sorted by pack, rule and path.
 * Call it after `app.synth()`, as the validation framework does: cross-stack references are then resolved.
 */
export function nagFindings(app: IConstruct): NagFinding[] {
  return nagPacks()
    .flatMap((pack) =>
      pack.validateScope(app).violations.flatMap((violation) =>
        violation.violatingResources.map((resource) => ({
          pack: pack.readPackName,
          ruleId: violation.ruleName,
          path: resource.constructPath ?? '(unknown construct)',
          severity: violation.severity ?? 'error',
          description: violation.description,
        })),
      ),
    )
    .sort((a, b) => a.pack.localeCompare(b.pack) || a.ruleId.localeCompare(b.ruleId) || a.path.localeCompare(b.path));
}

/** Findings one per line, `pack  rule  construct path`, for a failing test or a console. */
export function formatFindings(findings: readonly NagFinding[]): string {
  return findings.map((finding) => `${finding.pack}  ${finding.ruleId}  ${finding.path}`).join('\n');
}
