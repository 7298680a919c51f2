import { shippedFile } from './shipped-files';

/**
 * The init step every st2 pod runs before its process: wait (bounded) until each datastore
 * answers on TCP, then write st2.secrets.conf from the template and the Secret values in
 * the environment. It runs on the st2 image's own Python, so no extra image is pulled.
 *
 * Usage: prepare.py TEMPLATE OUTPUT [HOST:PORT,HOST:PORT ...]...
 * Each HOST:PORT list is one datastore; one answering member is enough.
 *
 * With ST2_SENSOR_PARTITIONS=N (a StatefulSet of N hash partitions, see sensor-container.ts)
 * it first writes SENSOR_PARTITION_FILE beside OUTPUT: the pod named by ST2_POD_NAME runs
 * as sensor node ST2_POD_NAME with share `ordinal` of N equal ranges of [0, 2^32), the
 * split {@link equalHashRanges} computes.
 */
export const SENSOR_PARTITION_FILE = 'sensor-partition.conf';

/** The script, from the project root. */
export const PREPARE_SCRIPT_PATH = 'lib/common/scripts/prepare.py';

/** prepare.py, the file {@link PREPARE_SCRIPT_PATH} names. */
export function prepareScript(): string {
  return shippedFile(PREPARE_SCRIPT_PATH);
}

/** Environment variable names the secrets file template refers to. */
export const SECRET_ENV = {
  mongoPassword: 'ST2_MONGODB_PASSWORD',
  rabbitPassword: 'ST2_RABBITMQ_PASSWORD',
} as const;
