import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { StackStormHa, StackStormHaProps } from './stackstorm-ha';

/** Props of {@link StackStormHaChart}. */
export interface StackStormHaChartProps extends StackStormHaProps {
  /** Extra chart props (labels on every object). @default none */
  readonly chart?: Omit<ChartProps, 'namespace' | 'disableResourceNameHashes'>;
}

/**
 * A Chart holding exactly one {@link StackStormHa}: what `npm run synth` writes to
 * `dist/<environment>/`. Names are the stable ones StackStormHa gives (no hashes).
 */
export class StackStormHaChart extends Chart {
  public readonly deployment: StackStormHa;

  constructor(scope: Construct, id: string, props: StackStormHaChartProps = {}) {
    const { chart, ...settings } = props;
    super(scope, id, { ...chart, disableResourceNameHashes: true });
    this.deployment = new StackStormHa(this, 'StackStormHa', settings);
  }
}
