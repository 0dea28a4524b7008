import type { CallMeter } from './call-meter';

/** A FHIR resource as both systems take it. */
export type Resource = { resourceType: string; id?: string } & Record<string, unknown>;

/** One system's create, read and update of a resource, in-process, on a metered DynamoDB client. */
export interface PersistenceUnderTest {
  readonly meter: CallMeter;
  /** Creates the resource and answers its new id. */
  create(resource: Resource): Promise<string>;
  read(resourceType: string, id: string): Promise<void>;
  /** Updates the resource named by its `resourceType` and `id`. */
  update(resource: Resource): Promise<void>;
}
