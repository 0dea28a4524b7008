import { tables } from '../contracts/tables';
import { requiredEnv } from './environment';

/** The record and audit table names the stack gave this function (see `environmentFor`). */
export function recordTableNamesFromEnv() {
  return { record: requiredEnv(tables.record.nameEnvVar), audit: requiredEnv(tables.audit.nameEnvVar) };
}
