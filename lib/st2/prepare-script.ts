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

export function prepareScript(): string {
  return `import os, socket, string, sys, time

try:
    from urllib.parse import quote
except ImportError:  # Python 2.7 (st2 2.x images)
    from urllib import quote

template, output, groups = sys.argv[1], sys.argv[2], sys.argv[3:]
deadline = time.time() + float(os.environ.get("ST2_WAIT_SECONDS", "600"))


def say(message):
    sys.stdout.write(message + "\\n")
    sys.stdout.flush()


def write(path, text, mode):
    if os.path.exists(path):  # a re-run init container: our read-only file refuses O_TRUNC
        os.remove(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.write(descriptor, text.encode("utf-8") if not isinstance(text, bytes) else text)
    os.close(descriptor)
    say("wrote " + path)


partitions = os.environ.get("ST2_SENSOR_PARTITIONS")
if partitions:
    pod, count = os.environ["ST2_POD_NAME"], int(partitions)
    ordinal = int(pod.rsplit("-", 1)[1])
    if ordinal >= count:
        sys.exit("%s has no hash partition: there are %d; change st2.sensorContainer.partitioning.partitions, not the StatefulSet" % (pod, count))
    start, end = ordinal * 2 ** 32 // count, (ordinal + 1) * 2 ** 32 // count
    write(os.path.join(os.path.dirname(output), "${SENSOR_PARTITION_FILE}"),
          "[sensorcontainer]\\nsensor_node_name = %s\\npartition_provider = name:hash, hash_ranges:%d..%d\\n" % (pod, start, end), 0o444)


def answers(host_port):
    host, port = host_port.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        return True
    except (socket.error, OSError, IOError):  # socket.error is no OSError on Python 2
        return False


for group in groups:
    members = group.split(",")
    while not any(answers(member) for member in members):
        if time.time() > deadline:
            sys.exit("timed out waiting for one of " + group)
        say("waiting for one of " + group)
        time.sleep(3)

values = {}
for name, value in os.environ.items():
    values[name] = value
    values[name + "_URLQ"] = quote(value, safe="")
with open(template) as source:
    text = string.Template(source.read()).substitute(values)
write(output, text, 0o400)
`;
}
