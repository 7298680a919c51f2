/** deploy/mongodb-backup/: the backup and restore Jobs of docs/operations.md stay valid and in step with dist/. */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { validateAll } from '../support/k8s-schema';
import { find, K8sObject, readDist } from '../support/synth';

const dir = path.join(__dirname, '..', '..', 'deploy', 'mongodb-backup');
const read = (file: string) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((doc) => doc.toJS() as K8sObject);
const mongodb = find(readDist('ha'), 'StatefulSet', 'mongodb').spec.template.spec;

test.each(['backup-job.yaml', 'restore-job.yaml'])('%s is schema-valid, hardened, and runs the MongoDB image and user dist/ha runs', (file) => {
  const objects = read(file);
  expect(validateAll(objects)).toEqual([]);
  const jobs = objects.filter((o) => o.kind === 'Job');
  expect(jobs.length).toBeGreaterThan(0);
  for (const job of jobs) {
    const spec = job.spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toEqual(
      expect.objectContaining({ runAsNonRoot: true, runAsUser: mongodb.securityContext.runAsUser, seccompProfile: { type: 'RuntimeDefault' } }),
    );
    for (const container of spec.containers) {
      expect(container.image).toBe(mongodb.containers[0].image);
      expect(container.securityContext).toEqual(
        expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
      );
    }
  }
});
