import { contentHash } from '../common/hash';
import { Construct } from 'constructs';
import * as kplus from 'cdk8s-plus-27';
import { prepareScript } from '../common/prepare-script';
import { renderSt2Conf, ST2AUTH_SECRETS_TEMPLATE, st2AuthSecretsTemplate, St2ConfInput, st2SecretsTemplate } from './st2-conf';

/** Props of {@link St2Config}. */
export interface St2ConfigProps {
  /** What st2.conf is rendered from. */
  readonly conf: St2ConfInput;
  /** Name of the ConfigMap. @default 'st2-config' */
  readonly name?: string;
}

/**
 * The ConfigMap every st2 process mounts: the shared st2.conf, the template of the secrets
 * file and the script that fills it in. Its content hash rolls every st2 pod on change.
 */
export class St2Config extends Construct {
  public readonly configMap: kplus.ConfigMap;
  public readonly files: Readonly<Record<string, string>>;
  public readonly hash: string;
  /** The settings st2.conf was rendered from (components read the coordination backend here). */
  public readonly conf: St2ConfInput;

  constructor(scope: Construct, id: string, props: St2ConfigProps) {
    super(scope, id);
    this.conf = props.conf;
    this.files = {
      'st2.conf': renderSt2Conf(props.conf),
      'st2.secrets.conf.template': st2SecretsTemplate(props.conf),
      'prepare.py': prepareScript(),
    };
    const auth = props.conf.auth;
    if (auth && Object.keys(auth.secretKwargs).length > 0) {
      this.files = { ...this.files, [ST2AUTH_SECRETS_TEMPLATE]: st2AuthSecretsTemplate({ ...props.conf, auth }) };
    }
    this.configMap = new kplus.ConfigMap(this, 'Resource', {
      metadata: { name: props.name ?? 'st2-config' },
      data: this.files,
    });
    this.hash = contentHash(this.files);
  }
}
