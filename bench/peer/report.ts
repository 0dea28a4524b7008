import type { CallReading } from './call-meter';

/* The figures of the side by side with FHIR Works on AWS, and their Markdown (bench/peer-fwoa.ts measures them). */

export type Interaction = 'create' | 'read' | 'update';

export interface InteractionFigures extends Omit<CallReading, 'requests'> {
  readonly interaction: Interaction;
  readonly resourceType: string;
  /** Client-side milliseconds per call. */
  readonly p50: number;
  readonly p95: number;
  /** DynamoDB requests per call. */
  readonly requests: number;
}

/** One system's figures. */
export interface SystemFigures {
  readonly system: string;
  readonly interactions: readonly InteractionFigures[];
  /** Writes or projected reads billed on an item size the meter had not seen (counted as one unit); 0 means every unit comes from a real size. */
  readonly guessedSizes: number;
}

/** Both systems, measured the same way in the same run: the ratios are DSC / FWoA. */
export interface PeerFigures {
  readonly samples: number;
  readonly fwoa: SystemFigures;
  readonly dsc: SystemFigures;
}

/** DSC / FWoA, as `1.23×`; a dash when FWoA spent nothing. */
export function ratio(dsc: number, fwoa: number): string {
  return fwoa > 0 ? `${(dsc / fwoa).toFixed(2)}×` : '–';
}

const key = (figures: InteractionFigures) => `${figures.interaction} ${figures.resourceType}`;

const operations = (figures: InteractionFigures) =>
  Object.entries(figures.byOperation)
    .map(([operation, count]) => `${count} ${operation}`)
    .join(' + ');

/** The side by side as Markdown: each interaction's latency, units and requests, and the ratio DSC / FWoA. */
export function peerMarkdown(peer: PeerFigures): string {
  const dscByKey = new Map(peer.dsc.interactions.map((figures) => [key(figures), figures]));
  const lines = [
    `${peer.samples} calls per interaction, in-process, on the same DynamoDB Local; ${peer.fwoa.system}. Ratios are DSC / FWoA.`,
    '',
    '| interaction | p50 ms FWoA / DSC | p50 ratio | p95 ms FWoA / DSC | WCU FWoA / DSC | WCU ratio | RCU FWoA / DSC | RCU ratio | DynamoDB requests FWoA / DSC |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const fwoa of peer.fwoa.interactions) {
    const dsc = dscByKey.get(key(fwoa));
    if (!dsc) continue;
    lines.push(
      `| ${key(fwoa)} | ${fwoa.p50} / ${dsc.p50} | ${ratio(dsc.p50, fwoa.p50)} | ${fwoa.p95} / ${dsc.p95} | ${fwoa.wcu} / ${dsc.wcu} | ${ratio(dsc.wcu, fwoa.wcu)} | ` +
        `${fwoa.rcu} / ${dsc.rcu} | ${ratio(dsc.rcu, fwoa.rcu)} | ${operations(fwoa)} / ${operations(dsc)} |`,
    );
  }
  const reported = (system: SystemFigures) => system.interactions.map((figures) => `${key(figures)} ${figures.reportedWcu}`).join(', ');
  lines.push(
    '',
    'Units are computed from DynamoDB’s rules on the items each call wrote or read. DynamoDB Local’s own WCU report, which under-counts ' +
      `multi-item transactions: FWoA ${reported(peer.fwoa)}; DSC ${reported(peer.dsc)}.`,
    'DSC’s figures include validation, the access policy and the access-journal entry, written in the same transaction (its search index follows ' +
      'asynchronously, from the stream). FWoA’s persistence layer excludes its validation and authorization (its router), its search ' +
      '(Elasticsearch, fed from the stream) and its audit log (API Gateway execution logs in CloudWatch).',
  );
  const guessed = peer.fwoa.guessedSizes + peer.dsc.guessedSizes;
  if (guessed > 0) lines.push(`Item sizes the meter had not seen, counted as one unit: FWoA ${peer.fwoa.guessedSizes}, DSC ${peer.dsc.guessedSizes}.`);
  return lines.join('\n');
}

