import { Stack, type StackProps } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { tables, type TableName } from '../../lambdas/contracts/tables';
import { RecordTable } from '../constructs/record-table';

export interface DataStackProps extends StackProps {
  readonly dataKey: IKey;
}

/** The health record itself. Termination-protected; every table is retained if the stack is deleted. */
export class DataStack extends Stack {
  readonly tables: Record<TableName, TableV2>;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, terminationProtection: true });
    const build = (name: TableName) => new RecordTable(this, tables[name].id, { definition: tables[name], encryptionKey: props.dataKey }).table;
    this.tables = { record: build('record'), audit: build('audit') };
  }
}
