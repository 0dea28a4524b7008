/** A response body, parsed as the JSON the caller expects: a declaration, not a check (assertions check it). */
export async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
