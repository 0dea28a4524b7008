import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableEncryptionV2, TableV2, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import type { PolicyDocument } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../lambdas/contracts/tables';

export interface RecordTableProps {
  readonly definition: TableDefinition;
  readonly encryptionKey: IKey;
  /** The table's resource-based policy (on its one replica), if any. */
  readonly resourcePolicy?: PolicyDocument;
}

/**
 * A table holding health data, built from its shared definition: on-demand, encrypted with
 * our customer key, point-in-time recovery, deletion protection, and kept if the stack goes.
 */
export class RecordTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: RecordTableProps) {
    super(scope, id);
    const { definition } = props;
    this.table = new TableV2(this, 'Table', {
      partitionKey: attribute(definition.partitionKey),
      sortKey: attribute(definition.sortKey),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.customerManagedKey(props.encryptionKey),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // The change stream feeds the search index processor (see contracts/tables.ts).
      dynamoStream: definition.stream ? StreamViewType[definition.stream] : undefined,
      // On-demand, so the indexes need no capacity of their own; adding one later does not replace the table.
      globalSecondaryIndexes: definition.globalIndexes?.map((index) => ({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: ProjectionType[index.projection],
      })),
      removalPolicy: RemovalPolicy.RETAIN,
      resourcePolicy: props.resourcePolicy,
    });
  }
}

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}
