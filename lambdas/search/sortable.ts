/**
 * Numbers and instants as strings that sort like the values they hold, for DynamoDB sort keys.
 * A double's IEEE 754 bits, with the sign bit flipped for positives and every bit inverted for
 * negatives, order as unsigned integers exactly as the numbers do.
 */
export function sortableNumber(value: number): string {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value === 0 ? 0 : value); // -0 sorts with 0
  if ((bytes[0] ?? 0) & 0x80) for (let i = 0; i < 8; i++) bytes[i] = ~(bytes[i] ?? 0) & 0xff;
  else bytes[0] = (bytes[0] ?? 0) | 0x80;
  return bytes.toString('hex');
}
