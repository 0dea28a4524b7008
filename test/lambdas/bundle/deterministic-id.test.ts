import { describe, expect, it } from 'vitest';
import { loaderNamespace, sourceNamespace, uuidV5 } from '../../../lambdas/bundle/deterministic-id';

describe('uuidV5', () => {
  it('gives RFC 9562’s test vector: www.example.com in the DNS namespace', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is a version 5, RFC variant UUID, and a valid FHIR id', () => {
    const id = uuidV5('urn:uuid:d78af07c-9cb9-4f31-9b11-c45a28f2eec8', loaderNamespace);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
  });

  it('names the same source the same way every time, and different names or sources differently', () => {
    const name = 'urn:uuid:d78af07c-9cb9-4f31-9b11-c45a28f2eec8';
    expect(uuidV5(name, sourceNamespace())).toBe(uuidV5(name, loaderNamespace));
    expect(uuidV5(name, sourceNamespace('legacy-lab'))).toBe(uuidV5(name, sourceNamespace('legacy-lab')));
    expect(uuidV5(name, sourceNamespace('legacy-lab'))).not.toBe(uuidV5(name, sourceNamespace('legacy-pharmacy')));
    expect(uuidV5(`${name}x`, loaderNamespace)).not.toBe(uuidV5(name, loaderNamespace));
  });
});
