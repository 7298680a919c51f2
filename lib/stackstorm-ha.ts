import { ApiObject, Chart, ChartProps, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { check, requireInteger } from './common/errors';
import { componentLabels, labelAll, ReleaseIdentity } from './common/meta';
import { CoordinationEndpoint, MongoEndpoint, RabbitMqEndpoint } from './config/endpoints';
import { StackStormHaSettings } from './config/settings';
import { memberHostPorts } from './backing/members';
import { St2Api } from './st2/api';
import { St2Config } from './st2/st2-config';
import { St2Content } from './st2/content';
import { St2Release, St2Runtime, St2SecretNames } from './st2/st2-process';
import { st2Image } from './st2/images';

/** Props of {@link StackStormHa}. */
export interface StackStormHaProps extends StackStormHaSettings {
  /** Extra chart props (labels on every object). @default none */
  readonly chart?: Omit<ChartProps, 'namespace' | 'disableResourceNameHashes'>;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The whole deployment: picks the components for the topology, hands each the endpoints
 * of the others, and puts every object in one namespace with stable, human names.
 */
export class StackStormHa extends Chart {
  public readonly identity: ReleaseIdentity;
  public readonly runtime: St2Runtime;
  public readonly api: St2Api;

  constructor(scope: Construct, id: string, props: StackStormHaProps = {}) {
    const namespace = props.namespace ?? 'stackstorm';
    check(DNS_LABEL.test(namespace), 'namespace', `${JSON.stringify(namespace)} is not a DNS label`, 'use lower-case letters, digits and -, at most 63 characters');
    super(scope, id, { ...props.chart, namespace, disableResourceNameHashes: true });
    const instance = props.instance ?? 'stackstorm';
    check(DNS_LABEL.test(instance), 'instance', `${JSON.stringify(instance)} is not a DNS label`, 'use lower-case letters, digits and -');
    this.identity = { namespace, instance };
    const release: St2Release = {
      version: props.release?.version ?? '3.9',
      registry: props.release?.registry ?? 'docker.io/stackstorm',
      pullPolicy: props.release?.pullPolicy,
    };
    const st2Uid = props.release?.st2Uid ?? 999;
    const st2Gid = props.release?.st2Gid ?? 999;
    requireInteger(st2Uid, 'release.st2Uid', 1, 2147483647);
    requireInteger(st2Gid, 'release.st2Gid', 1, 2147483647);

    this.addNamespace();

    const secrets: St2SecretNames = {
      datastoreKey: props.secrets?.datastoreKey ?? 'st2-datastore-key',
      htpasswd: props.secrets?.htpasswd ?? 'st2-htpasswd',
      sshKey: props.secrets?.sshKey ?? 'st2-ssh-key',
      adminCredentials: props.secrets?.adminCredentials ?? 'st2-admin',
    };
    const mongo = this.mongoEndpoint(props);
    const rabbit = this.rabbitEndpoint(props);
    const coordination: CoordinationEndpoint = { backend: 'none', hosts: [] };
    const publicUrl = (props.publicUrl ?? 'https://stackstorm.example.com').replace(/\/+$/, '');

    const config = new St2Config(this, 'St2Config', {
      conf: {
        mongo,
        rabbit,
        coordination,
        apiUrl: `${publicUrl}/api`,
        webUrl: publicUrl,
        authEnabled: true,
        rbacEnabled: false,
        systemUser: 'stanley',
        actionRunnerDrainSeconds: 300,
        workflowEngineDrainSeconds: 300,
        streamHeartbeatSeconds: 25,
        timersIn: 'timersengine',
      },
    });
    const content = new St2Content(this, 'Content', {
      settings: props.content ?? { strategy: 'shared-volumes' },
      systemPacksImage: st2Image({ release }, 'st2actionrunner'),
    });
    labelAll(content, componentLabels(this.identity, 'st2-content', 'content', release.version));
    labelAll(config, componentLabels(this.identity, 'st2-config', 'backend', release.version));

    this.runtime = {
      identity: this.identity,
      config,
      content,
      secrets,
      mongoPassword: mongo.password,
      rabbitPassword: rabbit.password,
      waitFor: [mongo.hosts, rabbit.hosts],
      st2User: { user: st2Uid, group: st2Gid },
      placement: props.placement,
      release,
    };

    this.api = new St2Api(this, 'St2Api', { runtime: this.runtime, settings: props.st2?.api });
  }

  private addNamespace(): void {
    const namespace = new kplus.Namespace(this, 'Namespace', { metadata: { name: this.identity.namespace } });
    // A Namespace is cluster-scoped; the chart's namespace must not be stamped on it.
    ApiObject.of(namespace).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    labelAll(namespace, componentLabels(this.identity, 'namespace', 'namespace', 'v1'));
  }

  private mongoEndpoint(props: StackStormHaSettings): MongoEndpoint {
    const settings = props.datastores?.mongodb ?? {};
    const secretName = settings.secretName ?? 'st2-mongodb';
    const common = {
      database: settings.database ?? 'st2',
      username: settings.username ?? 'st2',
      password: { name: secretName, key: 'password' },
    };
    if ((settings.mode ?? 'in-cluster') === 'external') {
      const external = settings.external;
      check(!!external && external.hosts.length > 0, 'datastores.mongodb.external.hosts', 'external mode names no host', 'list every member as host:port, or use mode: in-cluster');
      return { ...common, hosts: external.hosts, replicaSet: external.replicaSet, tls: external.tls, authSource: common.database };
    }
    const replicas = settings.inCluster?.replicas ?? 3;
    return { ...common, hosts: memberHostPorts('mongodb', replicas, this.identity.namespace, 27017), replicaSet: settings.replicaSet ?? 'rs0', authSource: common.database };
  }

  private rabbitEndpoint(props: StackStormHaSettings): RabbitMqEndpoint {
    const settings = props.datastores?.rabbitmq ?? {};
    const common = {
      vhost: settings.vhost ?? '',
      username: settings.username ?? 'st2',
      password: { name: settings.secretName ?? 'st2-rabbitmq', key: 'password' },
    };
    if ((settings.mode ?? 'in-cluster') === 'external') {
      const external = settings.external;
      check(!!external && external.hosts.length > 0, 'datastores.rabbitmq.external.hosts', 'external mode names no host', 'list every node as host:port, or use mode: in-cluster');
      return { ...common, hosts: external.hosts };
    }
    const replicas = settings.inCluster?.replicas ?? 3;
    return { ...common, hosts: memberHostPorts('rabbitmq', replicas, this.identity.namespace, 5672) };
  }
}
