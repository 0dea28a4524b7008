/**
 * The write path's view of the registry: each search parameter's official FHIRPath expression,
 * restricted to one resource type (and with `as` rewritten to `ofType()`). Only the function
 * that extracts search values imports this; the read path never does.
 */
import searchExpressions from './generated/search-expressions.json';
import type { ResourceType } from './registry';

const expressions = searchExpressions as Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The expression of `type`'s parameter `code`; undefined for unknown, composite, special and expression-less parameters. */
export function searchExpression(type: ResourceType, code: string): string | undefined {
  const byCode = expressions[type];
  return byCode && Object.hasOwn(byCode, code) ? byCode[code] : undefined;
}
