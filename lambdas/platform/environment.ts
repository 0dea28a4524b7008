/** Read a setting the stack (or the local runtime) must provide; fail the cold start loudly if absent. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing required environment variable ${name}`);
  return value;
}

export function listEnv(name: string): Set<string> {
  return new Set(requiredEnv(name).split(',').map((item) => item.trim()).filter(Boolean));
}
