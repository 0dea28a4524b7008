import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json';
import { resolveStageConfig } from '../../lib/config';

const stages = cdkJson.context.stages;
const valid = { region: 'ca-central-1', authDomainPrefix: 'dsc-test', oauthCallbackUrls: ['https://app.example.org/cb'] };

describe('resolveStageConfig', () => {
  it('resolves every stage declared in cdk.json, in a Canadian region', () => {
    for (const stage of Object.keys(stages)) {
      expect(resolveStageConfig(stage, stages)).toMatchObject({ stage, region: expect.stringMatching(/^ca-/) as string });
    }
  });

  it('fills defaults for optional settings, ca-central-1 first among them', () => {
    const withoutRegion: Partial<typeof valid> = { ...valid };
    delete withoutRegion.region;
    expect(resolveStageConfig('test', { test: withoutRegion })).toMatchObject({
      region: 'ca-central-1',
      logRetentionDays: 365,
      wafRateLimitPer5Minutes: 3000,
      oauthLogoutUrls: [],
    });
  });

  it('names the known stages when the stage is unknown', () => {
    expect(() => resolveStageConfig('qa', stages)).toThrow(/Unknown stage "qa": known stages are dev, prod/);
  });

  it('rejects a malformed stage name', () => {
    expect(() => resolveStageConfig('Prod!', stages)).toThrow(/Invalid stage "Prod!"/);
  });

  it('keeps health data in Canada: a US region fails with the field named', () => {
    expect(() => resolveStageConfig('test', { test: { ...valid, region: 'us-east-1' } })).toThrow(/region: must be a Canadian region/);
  });

  it('rejects unknown settings, bad accounts, plain-http callbacks and origins with paths, listing each problem', () => {
    const attempt = () =>
      resolveStageConfig('test', {
        test: { ...valid, account: '123', oauthCallbackUrls: ['http://evil.example.org/cb'], corsAllowedOrigins: ['https://app.example.org/'], colour: 'blue' },
      });
    expect(attempt).toThrow(/corsAllowedOrigins.0: must be an origin/);
    expect(attempt).toThrow(/account: must be a 12-digit AWS account id/);
    expect(attempt).toThrow(/oauthCallbackUrls.0: must be https/);
    expect(attempt).toThrow(/Unrecognized key.*colour/);
  });

  it('refuses http://localhost callbacks, logout URLs and origins on a production stage, naming each', () => {
    const local = { oauthCallbackUrls: ['https://app.example.org/cb', 'http://localhost:5173/callback'], oauthLogoutUrls: ['http://localhost/'], corsAllowedOrigins: ['http://localhost:5173'] };
    const attempt = () => resolveStageConfig('test', { test: { ...valid, ...local, production: true } });
    expect(attempt).toThrow(/oauthCallbackUrls\.1: http:\/\/localhost is for development stages/);
    expect(attempt).toThrow(/oauthLogoutUrls\.0: http:\/\/localhost is for development stages/);
    expect(attempt).toThrow(/corsAllowedOrigins\.0: http:\/\/localhost is for development stages/);
    // Development stages keep them, and a stage is not production unless it says so.
    expect(resolveStageConfig('test', { test: { ...valid, ...local } })).toMatchObject({ production: false, corsAllowedOrigins: ['http://localhost:5173'] });
    expect(resolveStageConfig('dev', stages).oauthCallbackUrls).toEqual(['http://localhost:5173/callback']);
  });

  it('treats only the host localhost as local: a look-alike host is a plain-http callback', () => {
    expect(() => resolveStageConfig('test', { test: { ...valid, oauthCallbackUrls: ['http://localhost.evil.example.org/cb'] } })).toThrow(/oauthCallbackUrls.0: must be https/);
  });

  it('marks the prod stage of cdk.json production, and it validates', () => {
    expect(resolveStageConfig('prod', stages)).toMatchObject({ production: true });
  });
});
