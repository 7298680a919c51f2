/** The one set of validators every component uses (lib/common/validators.ts, lib/common/quorum.ts). */
import { checkQuorumMembers } from '../../lib/common/quorum';
import { checkCidrs, checkStorageSize } from '../../lib/common/validators';
import { expectSettingError, quorumMessage } from '../support/errors';

describe('checkCidrs', () => {
  test.each(['10.0.0.0/8', '0.0.0.0/0', '192.168.1.0/24', '10.1.2.3/32', '::/0', 'fd00::/8', '2001:db8::/128'])('accepts %s', (cidr) => {
    expect(() => checkCidrs([cidr], 'x')).not.toThrow();
  });
  test.each(['10.0.0.0', '10.0.0.0/33', 'fd00::/129', 'everyone', '10.0.0.0/8 ', ''])('refuses %j, naming its index', (cidr) => {
    expectSettingError(() => checkCidrs(['10.0.0.0/8', cidr], 'edge.ranges'), 'edge.ranges[1]', 'is not a CIDR');
  });
  test("an empty list is refused with the caller's advice", () => {
    expectSettingError(() => checkCidrs([], 'x', 'list the pod CIDRs'), 'x', 'no network given. Fix: list the pod CIDRs');
  });
});

describe('checkStorageSize', () => {
  test.each(['1Mi', '8Gi', '10Ti'])('accepts %s', (size) => expect(() => checkStorageSize(size, 'x', '8Gi')).not.toThrow());
  test.each(['8GB', '8', '0Gi', '1.5Gi', '8gi', '8e3Mi', ' 8Gi'])('refuses %j', (size) => {
    expectSettingError(
      () => checkStorageSize(size, 'x.storageSize', '8Gi'),
      'x.storageSize',
      `${JSON.stringify(size)} is not a volume size. Fix: write a whole number with Mi, Gi or Ti, e.g. 8Gi`,
    );
  });
  test('a volume that makes no sense below a GiB refuses Mi', () => {
    expectSettingError(
      () => checkStorageSize('512Mi', 'content.packsSize', '4Gi', ['Gi', 'Ti']),
      'content.packsSize',
      'write a whole number with Gi or Ti, e.g. 4Gi',
    );
  });
});

describe('checkQuorumMembers', () => {
  test.each([3, 5, 7, 9])('accepts %i', (members) => expect(() => checkQuorumMembers('x', members, 'a set')).not.toThrow());
  test.each([0, 1, 2, 4, 6, 2.5, NaN])('refuses %p with one message family', (members) => {
    expectSettingError(
      () => checkQuorumMembers('x.replicas', members, 'a set'),
      'x.replicas',
      quorumMessage('x.replicas', members, 'a set').replace(/^x\.replicas: /, ''),
    );
  });
});
