import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { k8s } from '../../imports/k8s';
import { requireInteger } from '../common/errors';
import { ComponentRole, componentLabels, labelAll, ReleaseIdentity, selectorLabels } from '../common/meta';
import { ResourceSettings, toContainerResources } from '../common/resources';
import { ImageSettings, imageReference, patchPodSpec, PlacementSettings, podSecurity, RunAs, selectByLabels, spreadFor } from '../common/workload';
import { DisruptionBudget } from '../common/disruption-budget';
import { memberHost } from './members';
import { checkQuorumMembers } from '../common/quorum';

/**
 * The settings a caller gives an in-cluster datastore that takes them one by one
 * (ZooKeeper, Redis Sentinel). Each datastore documents its own defaults; the pinned
 * image, its user and sizes belong to the datastore, not to this shared shape.
 */
export interface MemberSetSettings {
  /** Namespace and instance of the deployment. */
  readonly identity: ReleaseIdentity;
  /** Setting path used in error messages. @default the datastore's settings path, e.g. 'datastores.coordination.inCluster' */
  readonly setting?: string;
  /** Members (pods) of the set; odd and >= 3 so that losing one keeps a majority. @default 3 */
  readonly members?: number;
  /** Image fields to override. @default the datastore's pinned image */
  readonly image?: Partial<ImageSettings>;
  /** UID/GID the containers run as. @default the image's own non-root user */
  readonly runAs?: RunAs;
  /** Resources of the datastore's main container. @default the datastore's own sizing */
  readonly resources?: ResourceSettings;
  /** Spreading of the members across nodes and zones. @default preferred node spread */
  readonly placement?: PlacementSettings;
}

/** What a datastore fills in where the caller left a {@link MemberSetSettings} field out. */
export interface MemberSetDefaults {
  /** Setting path used in error messages. */
  readonly setting: string;
  /** What the members form, for the member-count message, e.g. "a Sentinel quorum". */
  readonly quorum: string;
  /** The pinned image. */
  readonly image: ImageSettings;
  /** The image's user. */
  readonly runAs: RunAs;
  /** Resources of the main container. */
  readonly resources: ResourceSettings;
}

/** {@link MemberSetSettings} checked and completed with a datastore's defaults. */
export interface ResolvedMemberSettings {
  readonly setting: string;
  readonly members: number;
  readonly image: ImageSettings;
  /** The image as a pull reference. */
  readonly imageRef: string;
  readonly runAs: RunAs;
  readonly resources: kplus.ContainerResources;
}

/**
 * Checks a quorum datastore's settings (members, image, UID, resources) in that order and
 * fills in its defaults; throws the SettingError of the first invalid one.
 */
export function resolveMemberSettings(props: MemberSetSettings, defaults: MemberSetDefaults): ResolvedMemberSettings {
  const setting = props.setting ?? defaults.setting;
  const members = props.members ?? 3;
  checkQuorumMembers(`${setting}.replicas`, members, defaults.quorum);
  const image: ImageSettings = { ...defaults.image, ...props.image };
  const imageRef = imageReference(image, `${setting}.image`);
  const runAs = props.runAs ?? defaults.runAs;
  requireInteger(runAs.user, `${setting}.runAs.user`, 0);
  const resources = toContainerResources(props.resources ?? defaults.resources, `${setting}.resources`);
  return { setting, members, image, imageRef, runAs, resources };
}

/** One port a member listens on; Services forward it to the same port number. */
export interface MemberPort {
  /** Port name, shared by the Service port and the container port. */
  readonly name: string;
  /** Port number. */
  readonly port: number;
}

/** A PersistentVolumeClaim per member. */
export interface MemberVolumeClaim {
  /** Claim template name, also the volume name in the pod. @default 'data' */
  readonly name?: string;
  /** Requested size, an already checked quantity such as `10Gi`. */
  readonly size: string;
  /** StorageClass of the claims. @default none: the cluster's default class */
  readonly storageClassName?: string;
  /** Where the first container mounts the claim. */
  readonly mountPath: string;
}

/** Props of {@link MemberSet}. */
export interface MemberSetProps {
  /** Namespace and instance of the deployment. */
  readonly identity: ReleaseIdentity;
  /** StatefulSet, PodDisruptionBudget and client Service name; the headless Service is `<name>-headless`. */
  readonly name: string;
  /** `app.kubernetes.io/component` of every object. */
  readonly role: ComponentRole;
  /** `app.kubernetes.io/version` of every object, normally the image tag. */
  readonly version: string;
  /** Members (StatefulSet replicas), already checked by the datastore. */
  readonly members: number;
  /** UID/GID of the pod security context. */
  readonly runAs: RunAs;
  /** Spreading of the members across nodes and zones. @default preferred node spread */
  readonly placement?: PlacementSettings;
  /** Ports of the headless Service, which gives every member its DNS name. */
  readonly ports: readonly MemberPort[];
  /** Ports of a ClusterIP Service `<name>` for clients. @default none: no client Service */
  readonly clientPorts?: readonly MemberPort[];
  /** Pod template annotations, e.g. a checksum of the configuration. @default none */
  readonly podAnnotations?: Record<string, string>;
  /** Seconds between SIGTERM and SIGKILL. @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * A ServiceAccount (created by the caller) the pods run as, with its API token mounted.
   * @default none: the namespace's default account and no token
   */
  readonly serviceAccountName?: string;
  /** A PersistentVolumeClaim template per member. @default none: the datastore uses its own volumes */
  readonly volumeClaim?: MemberVolumeClaim;
  /**
   * How the StatefulSet starts members. Parallel suits every set whose members become
   * ready only together (a quorum, a replica set): OrderedReady would wait for member 0's
   * readiness, which waits for the members not yet created.
   * @default Parallel
   */
  readonly podManagementPolicy?: kplus.PodManagementPolicy;
  /** Members a drain may evict at once; the budget exists only for 2 members or more. @default 1 */
  readonly maxUnavailable?: number;
}

/**
 * The part every backing datastore shares: a StatefulSet `<name>` selecting exactly our
 * labels, its headless Service `<name>-headless` (member DNS, also for members not yet
 * ready), an optional client Service `<name>`, optional claim templates, node spreading
 * and a PodDisruptionBudget `<name>`. The datastore adds its containers and config.
 */
export class MemberSet extends Construct {
  public readonly statefulSet: kplus.StatefulSet;
  public readonly headlessService: kplus.Service;
  /** The client Service, when clientPorts were given. */
  public readonly service?: kplus.Service;
  /** Labels that select the members' pods. */
  public readonly selector: Record<string, string>;
  /** The full label set of every object and of the pod template. */
  public readonly labels: Record<string, string>;
  /** Stable DNS name of every member, by ordinal (see members.ts). */
  public readonly hosts: readonly string[];

  constructor(scope: Construct, id: string, props: MemberSetProps) {
    super(scope, id);
    const { name, members } = props;
    this.selector = selectorLabels(props.identity, name);
    this.labels = componentLabels(props.identity, name, props.role, props.version);
    this.hosts = Array.from({ length: members }, (_, ordinal) => memberHost(name, ordinal, props.identity));
    const servicePorts = (ports: readonly MemberPort[]) => ports.map(({ name: portName, port }) => ({ name: portName, port, targetPort: port }));

    this.headlessService = new kplus.Service(this, 'Headless', {
      metadata: { name: `${name}-headless` },
      clusterIP: 'None',
      selector: kplus.Pods.select(this, 'Pods', { labels: this.selector }),
      ports: servicePorts(props.ports),
    });
    const headless = ApiObject.of(this.headlessService);
    // Members must resolve each other while they start, i.e. before any of them is ready.
    headless.addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
    // The StatefulSet adds cdk8s-plus's hashed address label to its Service's selector; the
    // pods do not carry it (patchPodSpec removes it), so it would select nothing.
    headless.addJsonPatch(JsonPatch.remove('/spec/selector/cdk8s.io~1metadata.addr'));
    if (props.clientPorts) {
      this.service = new kplus.Service(this, 'Client', {
        metadata: { name },
        type: kplus.ServiceType.CLUSTER_IP,
        selector: kplus.Pods.select(this, 'ClientPods', { labels: this.selector }),
        ports: servicePorts(props.clientPorts),
      });
    }

    const grace = props.terminationGracePeriodSeconds ?? 30;
    requireInteger(grace, `${name}.terminationGracePeriodSeconds`, 1);
    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name },
      replicas: members,
      service: this.headlessService,
      podManagementPolicy: props.podManagementPolicy ?? kplus.PodManagementPolicy.PARALLEL,
      select: false,
      spread: false,
      serviceAccount: props.serviceAccountName ? kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccount', props.serviceAccountName) : undefined,
      // No API token unless the pods were given an account to use it with.
      automountServiceAccountToken: props.serviceAccountName !== undefined,
      securityContext: podSecurity(props.runAs),
      terminationGracePeriod: Duration.seconds(grace),
      podMetadata: props.podAnnotations ? { annotations: { ...props.podAnnotations } } : undefined,
    });
    selectByLabels(this.statefulSet, this.selector, this.labels);
    if (props.volumeClaim) this.addVolumeClaim(props.volumeClaim);
    patchPodSpec(this.statefulSet, { selector: this.selector, spread: spreadFor(members, props.placement), placement: props.placement });

    if (members >= 2) {
      new DisruptionBudget(this, 'DisruptionBudget', { name, selector: this.selector, replicas: members, maxUnavailable: props.maxUnavailable ?? 1 });
    }
    labelAll(this, this.labels);
  }

  /** `host:port` of every member. */
  public hostPorts(port: number): string[] {
    return this.hosts.map((host) => `${host}:${port}`);
  }

  private addVolumeClaim(claim: MemberVolumeClaim): void {
    const claimName = claim.name ?? 'data';
    const api = ApiObject.of(this.statefulSet);
    // cdk8s-plus 27 has no volume claim templates: add the claim and mount it by name.
    api.addJsonPatch(
      JsonPatch.add('/spec/volumeClaimTemplates', [
        {
          metadata: { name: claimName, labels: this.labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            // A Quantity, not a string: KubeStatefulSet converts requests after patches apply.
            resources: { requests: { storage: k8s.Quantity.fromString(claim.size) } },
            ...(claim.storageClassName ? { storageClassName: claim.storageClassName } : {}),
          },
        },
      ]),
    );
    // Patches apply at synth, after the datastore has added its containers.
    api.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: claimName, mountPath: claim.mountPath }));
  }
}
