import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured logs carry routes, statuses and error names only: never bodies, path
 * parameters, tokens or claims, which could carry personal health information.
 */
export const logger = new Logger({ serviceName: 'dsc-fhir' });
