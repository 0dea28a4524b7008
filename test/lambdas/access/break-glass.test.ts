import { describe, expect, it } from 'vitest';
import { breakGlassReasonOf, breakGlassRoles, mayBreakGlass, purposeOfUseOf } from '../../../lambdas/access/break-glass';
import { Invalid } from '../../../lambdas/fhir/errors';
import { contextFor } from '../../support/principals';

describe('breakGlassReasonOf', () => {
  it('decodes a percent-encoded French reason (UTF-8)', () => {
    const reason = 'Urgence : patient inconscient, arrêt cardiaque';
    expect(encodeURIComponent(reason)).toBe('Urgence%20%3A%20patient%20inconscient%2C%20arr%C3%AAt%20cardiaque');
    expect(breakGlassReasonOf(encodeURIComponent(reason))).toBe(reason);
  });

  it('takes plain ASCII as it is, trimmed', () => {
    expect(breakGlassReasonOf('  Unconscious patient, cardiac arrest ')).toBe('Unconscious patient, cardiac arrest');
  });

  it('is undefined without the header', () => {
    expect(breakGlassReasonOf(undefined)).toBeUndefined();
  });

  it.each([
    ['an empty reason', ''],
    ['a blank reason', '   '],
    ['an encoded blank reason', '%20%20'],
    ['a broken escape', 'arr%C3t'],
    ['bytes that are not UTF-8', 'arr%E9t'],
    ['a control character', 'line%0Abreak'],
    ['an overlong reason', 'x'.repeat(501)],
  ])('refuses %s with Invalid (400)', (_, header) => {
    expect(() => breakGlassReasonOf(header)).toThrow(Invalid);
  });
});

describe('purposeOfUseOf', () => {
  it('takes an HL7 v3 PurposeOfUse code', () => {
    expect(purposeOfUseOf('HOPERAT')).toBe('HOPERAT');
    expect(purposeOfUseOf(undefined)).toBeUndefined();
  });

  it.each(['', 'treat', 'TREAT;DROP', 'T'])('refuses %j with Invalid (400)', (header) => {
    expect(() => purposeOfUseOf(header)).toThrow(Invalid);
  });
});

describe('who may break the glass', () => {
  it('is the people whose roles read clinical data: physicians, nurses, allied health', () => {
    expect([...breakGlassRoles].sort()).toEqual(['allied-health', 'nurse', 'physician']);
  });

  it('excludes system clients, whatever their role', () => {
    expect(mayBreakGlass(contextFor('nurse').principal)).toBe(true);
    expect(mayBreakGlass({ ...contextFor('integration').principal, kind: 'system' })).toBe(false);
    expect(mayBreakGlass(contextFor('clerk', 'social-worker', 'privacy-officer').principal)).toBe(false);
  });
});
